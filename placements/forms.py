"""Forms of the belteam screens. They check types and shapes only; the rules of a household
(one main applicant, no birth dates in the future, arrival not in the past) live in the service,
so the screen, the preview and the API refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from locations.forms import DateInput
from locations.models import Municipality

from .models import (
    DepartureReason,
    HouseholdMember,
    Placement,
    PlacementRequest,
    Relation,
    Sex,
    SupraRegionalStatus,
)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%H:%M", **kwargs)


def _request_field(name: str, **kwargs: Any) -> forms.Field:
    return PlacementRequest._meta.get_field(name).formfield(**kwargs)


def _member_field(name: str, **kwargs: Any) -> forms.Field:
    return HouseholdMember._meta.get_field(name).formfield(**kwargs)


def next_full_hour(now: dt.datetime | None = None) -> dt.datetime:
    """The default expected arrival: the next full hour, local time (23:20 → 00:00 tomorrow)."""
    now = timezone.localtime(now or timezone.now())
    return (now + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)


class RequestForm(forms.Form):
    """The request and its needs. Members come in a formset beside it."""

    region = forms.ModelChoiceField(label=_("Regio"), queryset=None, empty_label=None)
    source = _request_field("source")
    urgency = _request_field("urgency")
    arrival_date = forms.DateField(label=_("Verwachte aankomst (datum)"), widget=DateInput())
    arrival_time = forms.TimeField(label=_("Tijd"), widget=TimeInput())
    external_reference = _request_field("external_reference")
    requested_by_name = _request_field("requested_by_name")
    requested_by_organisation = _request_field("requested_by_organisation")
    requested_by_phone = _request_field("requested_by_phone", widget=forms.TextInput(attrs={"type": "tel"}))
    pets_count = _request_field("pets_count", min_value=0, max_value=10, required=False,
                                widget=forms.NumberInput(attrs={"min": 0, "max": 10, "class": "input--short"}))
    pets_kind = _request_field("pets_kind", widget=forms.TextInput(attrs={"placeholder": _("bijv. hond, kat")}))
    needs_wheelchair = _request_field("needs_wheelchair")
    reduced_mobility = _request_field("reduced_mobility")
    care_need = _request_field("care_need")
    own_transport = _request_field("own_transport")
    preferred_municipality = forms.ModelChoiceField(label=_("Voorkeursgemeente"), queryset=None, required=False,
                                                    empty_label=_("Geen voorkeur"))
    preference_reason = _request_field("preference_reason")
    notes = _request_field("notes", widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Alleen wat nodig is om te plaatsen; geen medische of persoonlijke details."))

    def __init__(self, *args: Any, regions: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        if len(regions) == 1:
            self.fields["region"].widget = forms.HiddenInput()
        first = regions[0] if regions else None
        self.fields["region"].initial = first.pk if first else None
        self.fields["preferred_municipality"].queryset = Municipality.objects.filter(
            region__in=regions).order_by("name")
        arrival = next_full_hour()
        self.fields["arrival_date"].initial = arrival.date()
        self.fields["arrival_time"].initial = arrival.time()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, time = data.get("arrival_date"), data.get("arrival_time")
        if day and time:
            data["expected_arrival"] = timezone.make_aware(dt.datetime.combine(day, time))
        if data.get("pets_count") and not (data.get("pets_kind") or "").strip():
            self.add_error("pets_kind", _("Vul de soort huisdier in."))
        if data.get("preferred_municipality") and not data.get("preference_reason"):
            self.add_error("preference_reason", _("Geef een reden voor de voorkeursgemeente."))
        return data

    def service_data(self) -> dict[str, Any]:
        """The request fields as services.request_create takes them."""
        data = {name: value for name, value in self.cleaned_data.items()
                if name not in ("region", "arrival_date", "arrival_time")}
        data["pets_count"] = data.get("pets_count") or 0
        if not data["pets_count"]:
            data["pets_kind"] = ""
        if not data.get("preferred_municipality"):
            data["preference_reason"] = ""
        return data


class MemberForm(forms.Form):
    """One row of the household table. A row the user left untouched is skipped."""

    first_name = _member_field("first_name")
    last_name = _member_field("last_name")
    date_of_birth = _member_field("date_of_birth", widget=DateInput())
    sex = forms.ChoiceField(label=_("Geslacht"), choices=[("", "–")] + list(Sex.choices))
    relation = forms.ChoiceField(label=_("Relatie"), choices=Relation.choices, initial=Relation.CHILD)
    nationality = _member_field("nationality", required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    v_number = _member_field("v_number", widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["nationality"].initial = "Oekraïens"

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["first_name"], data["last_name"] = data["first_name"].strip(), data["last_name"].strip()
        data["nationality"] = (data.get("nationality") or "").strip() or "Oekraïens"
        return data


class BaseMemberFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.household_errors: list[str] = []  # the service's errors about the household as a whole

    def filled_forms(self) -> list[MemberForm]:
        return [form for form in self.forms if form.has_changed() or not form.empty_permitted]


MemberFormSet = forms.formset_factory(MemberForm, formset=BaseMemberFormSet, extra=0, max_num=12,
                                      absolute_max=20)


def member_formset(data: Any = None) -> BaseMemberFormSet:
    """The first row is the main applicant; rows added later default to 'kind'."""
    return MemberFormSet(data, prefix="members", initial=[{"relation": Relation.MAIN}])


class ErrorForm(forms.Form):
    """A bound form without fields that carries a refusal as a form-wide error.

    For actions without a form of their own (taking a request, placing a candidate): an unbound
    `forms.Form()` cannot hold errors, so the error page itself would crash."""

    def __init__(self, message: str):
        super().__init__(data={})
        self.full_clean()
        self.add_error(None, message)


# PostgreSQL integers: a room id beyond this cannot exist, and sending it to the database
# would answer "out of range" instead of "not found".
MAX_ROOM_ID = 2**63 - 1
MAX_HOUSEHOLD = 12


def parse_allocation(raw: str) -> list[tuple[int, int]] | None:
    """'12:4,13:2' → [(12, 4), (13, 2)]: the rooms and persons of one candidate; None when the
    text is not such a list (empty, not numbers, a room twice, a number out of range)."""
    allocation = []
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        room, sep, persons = part.strip().partition(":")
        if not (sep and room.isascii() and room.isdigit() and persons.isascii() and persons.isdigit()):
            return None
        room_id, count = int(room), int(persons)
        if not (1 <= room_id <= MAX_ROOM_ID and 1 <= count <= MAX_HOUSEHOLD):
            return None
        allocation.append((room_id, count))
    if not allocation or len({room_id for room_id, _count in allocation}) != len(allocation):
        return None
    return allocation


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reden van annuleren"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reden"), max_length=300)


class ConfirmForm(forms.Form):
    notify_location = forms.BooleanField(label=_("Locatie mailen"), required=False)


class DepartForm(forms.Form):
    on = forms.DateField(label=_("Vertrokken op"), widget=DateInput())
    reason = forms.ChoiceField(label=_("Reden van vertrek"),
                               choices=[("", _("Kies een reden"))] + list(DepartureReason.choices))
    note = forms.CharField(label=_("Toelichting (optioneel)"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class TransferForm(forms.Form):
    reason = forms.CharField(label=_("Reden van de overplaatsing"), max_length=300)


class SwapForm(forms.Form):
    other = forms.ModelChoiceField(label=_("Ruilen met"), queryset=None,
                                   empty_label=_("Kies een andere plaatsing"))
    reason = forms.CharField(label=_("Reden van de ruil"), max_length=300)

    def __init__(self, *args: Any, others: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = others
        self.fields["other"].label_from_instance = self._label

    @staticmethod
    def _label(placement: Placement) -> str:
        rooms = ", ".join(pr.room.number for pr in placement.rooms.all() if pr.active)
        return _("%(location)s · kamer %(rooms)s · %(n)s pers. (%(status)s)") % {
            "location": placement.location.name, "rooms": rooms or "–", "n": placement.persons,
            "status": placement.get_status_display()}


class SupraForm(forms.Form):
    contact_name = forms.CharField(label=_("Contactpersoon"), max_length=120)
    contact_phone = forms.CharField(label=_("Telefoon"), max_length=20,
                                    widget=forms.TextInput(attrs={"type": "tel"}),
                                    help_text=_("Waarop de KCIO of de andere regio u kan bereiken."))
    contact_email = forms.EmailField(label=_("E-mail (optioneel)"), required=False)
    include_names = forms.BooleanField(
        label=_("Namen meesturen"), required=False,
        help_text=_("Alleen als de ontvanger de namen echt nodig heeft. Zonder vinkje gaan alleen "
                    "samenstelling naar leeftijd en behoeften mee."))
    note = forms.CharField(label=_("Toelichting (optioneel)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Geen medische of persoonlijke details."))


class SupraStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nieuwe status"), choices=[
        (SupraRegionalStatus.ACCEPTED, SupraRegionalStatus.ACCEPTED.label),
        (SupraRegionalStatus.PLACED_ELSEWHERE, SupraRegionalStatus.PLACED_ELSEWHERE.label),
        (SupraRegionalStatus.REJECTED, SupraRegionalStatus.REJECTED.label),
    ])
    note = forms.CharField(label=_("Toelichting (optioneel)"), max_length=300, required=False)
