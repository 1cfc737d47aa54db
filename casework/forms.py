"""Forms of the case pages. They check types and shapes only; the rules (a follow-up not in the
past, a referral to somebody, a share with a purpose and an end date, special-category entries
only with the right and a legal basis) live in casework.services, so the pages and the API refuse
the same things with the same words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from locations.forms import DateInput
from locations.models import Location, Municipality
from placements.models import Urgency
from rcvs.accounts.models import Role, User

from . import selectors
from .models import CaseCategory, CaseStatus, ClosedReason, EntryKind, ReferralKind

DATE_FORMATS = ["%d-%m-%Y", "%d-%m-%y", "%Y-%m-%d"]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _user_label(user: User) -> str:
    return user.get_full_name() or user.username


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _user_label(obj)


class UsersChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _user_label(obj)


# --- dashboard ------------------------------------------------------------------------------------

class FilterForm(forms.Form):
    """GET filters: ids and codes only, never personal data."""

    category = forms.ChoiceField(label=_("Categorie"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Alle statussen")), *CaseStatus.choices])
    location = forms.ModelChoiceField(label=_("Locatie"), queryset=Location.objects.none(), required=False,
                                      empty_label=_("Alle locaties"))
    municipality = forms.ModelChoiceField(label=_("Gemeente"), queryset=Municipality.objects.none(),
                                          required=False, empty_label=_("Alle gemeenten"))

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        regions = selectors.casework_regions(user)
        self.fields["category"].choices = [("", _("Alle categorieën"))] + [
            (c.code, c.name) for c in CaseCategory.objects.filter(active=True)]
        self.fields["location"].queryset = (Location.objects.filter(municipality__region__in=regions)
                                            .order_by("name"))
        self.fields["municipality"].queryset = Municipality.objects.filter(region__in=regions).order_by("name")

    def filters(self) -> selectors.CaseFilters:
        data = self.cleaned_data if self.is_valid() else {}
        location, municipality = data.get("location"), data.get("municipality")
        return selectors.CaseFilters(category=data.get("category", ""), status=data.get("status", ""),
                                     location_id=location.pk if location else None,
                                     municipality_id=municipality.pk if municipality else None)

    @property
    def active(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())


class SearchForm(forms.Form):
    """Find a resident by name, date of birth and/or V-number. Sent by POST, never in a URL."""

    name = forms.CharField(label=_("Naam"), max_length=100, required=False)
    date_of_birth = forms.DateField(label=_("Geboortedatum"), required=False, input_formats=DATE_FORMATS,
                                    help_text=_("dd-mm-jjjj"),
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    v_number = forms.CharField(label=_("V-nummer"), max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not any(data.get(k) for k in ("name", "date_of_birth", "v_number")):
            raise forms.ValidationError(_("Vul een naam, geboortedatum of V-nummer in."))
        return data

    def search(self) -> selectors.CaseSearch:
        data = self.cleaned_data
        return selectors.CaseSearch(name=data.get("name") or "", date_of_birth=data.get("date_of_birth"),
                                    v_number=data.get("v_number") or "")


# --- a new case -----------------------------------------------------------------------------------

WHOLE_HOUSEHOLD = "household"


class CaseForm(forms.Form):
    subject = forms.ChoiceField(label=_("Over wie gaat de casus?"), widget=forms.RadioSelect)
    category = forms.ModelChoiceField(label=_("Categorie"), queryset=CaseCategory.objects.filter(active=True),
                                      empty_label=None)
    urgency = forms.ChoiceField(label=_("Urgentie"), choices=Urgency.choices, initial=Urgency.NORMAL)
    summary = forms.CharField(
        label=_("Titel"), max_length=200,
        help_text=_("Een neutrale titel, bijvoorbeeld 'Afspraken huisregels'. Geen gezondheidsgegevens of andere "
                    "bijzondere persoonsgegevens: die horen in een aantekening."))
    follow_up_on = forms.DateField(label=_("Opvolgen op"), required=False, widget=DateInput())
    owner = UserChoiceField(label=_("Eigenaar"), queryset=User.objects.none(), required=False,
                            empty_label=_("Nog niemand"))

    def __init__(self, *args: Any, household: Any, user: User, **kwargs: Any):
        super().__init__(*args, **kwargs)
        members = list(household.members.order_by("pk"))
        self.members = {str(m.pk): m for m in members}
        self.fields["subject"].choices = [(WHOLE_HOUSEHOLD, _("Het hele huishouden"))] + [
            (str(m.pk), f"{m.first_name} {m.last_name} ({m.date_of_birth:%d-%m-%Y})") for m in members]
        self.fields["subject"].initial = WHOLE_HOUSEHOLD
        self.fields["owner"].queryset = selectors.casework_users_of(household.region_id)
        if selectors.casework_users_of(household.region_id).filter(pk=user.pk).exists():
            self.fields["owner"].initial = user.pk

    def subject_member(self) -> Any:
        value = self.cleaned_data["subject"]
        return None if value == WHOLE_HOUSEHOLD else self.members[value]


# --- the case page ----------------------------------------------------------------------------------

class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden om deze casus in te zien"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bijvoorbeeld: vervanging van de eigenaar, acute situatie op de locatie. De reden wordt "
                    "vastgelegd en de eigenaar van de casus ziet hem."),
        error_messages={"required": _("Geef een reden om deze casus buiten uw caseload in te zien.")})


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Soort"), choices=EntryKind.choices, initial=EntryKind.NOTE)
    text = forms.CharField(label=_("Aantekening"), widget=forms.Textarea(attrs={"rows": 5}),
                           error_messages={"required": _("Schrijf de aantekening.")})
    special_category = forms.BooleanField(
        label=_("Bevat bijzondere persoonsgegevens (gezondheid, trauma, middelengebruik en dergelijke)"),
        required=False)
    occurred_at = forms.DateTimeField(label=_("Tijdstip"), required=False, widget=DateTimeLocalInput(),
                                      help_text=_("Leeg: nu."))

    def __init__(self, *args: Any, case: Any, may_special: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["special_category"].initial = case.category.special_category
        if not may_special:
            del self.fields["special_category"]

    def special(self) -> bool:
        return bool(self.cleaned_data.get("special_category", False))


class EntryEditForm(forms.Form):
    text = forms.CharField(label=_("Aantekening"), widget=forms.Textarea(attrs={"rows": 6}),
                           error_messages={"required": _("Schrijf de aantekening.")})


class ReferralForm(forms.Form):
    to_kind = forms.ChoiceField(label=_("Verwijzen naar"), choices=[("", "---------"), *ReferralKind.choices],
                                required=False)
    to_user = UserChoiceField(label=_("Mental coach"), queryset=User.objects.none(), required=False,
                              help_text=_("Alleen bij een verwijzing naar een mental coach van het team."))
    to_organisation = forms.CharField(label=_("Organisatie"), max_length=200, required=False,
                                      help_text=_("Bij alle andere verwijzingen: naam van de organisatie of praktijk."))
    note = forms.CharField(label=_("Toelichting"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = selectors.mental_coaches_of(case.region_id)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reden van afwijzing"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Geef een reden voor de afwijzing.")})


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[
        (s, label) for s, label in CaseStatus.choices if s != CaseStatus.CLOSED])


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reden van afsluiten"), choices=[("", "---------"), *ClosedReason.choices],
                               error_messages={"required": _("Kies een reden om de casus af te sluiten.")})
    note = forms.CharField(label=_("Toelichting"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    follow_up_on = forms.DateField(label=_("Opvolgen op"), required=False, widget=DateInput(),
                                   help_text=_("Leeg: geen opvolgdatum."))
    urgency = forms.ChoiceField(label=_("Urgentie"), choices=Urgency.choices)


class AssignForm(forms.Form):
    owner = UserChoiceField(label=_("Eigenaar"), queryset=User.objects.none(), required=False,
                            empty_label=_("Niemand"))
    co_workers = UsersChoiceField(label=_("Medewerkers"), queryset=User.objects.none(), required=False,
                                  widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, case: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        users = selectors.casework_users_of(case.region_id)
        self.fields["owner"].queryset = users
        self.fields["co_workers"].queryset = users


class ShareForm(forms.Form):
    to_user = UserChoiceField(label=_("Delen met"), queryset=User.objects.none(),
                              error_messages={"required": _("Kies met wie u de casus deelt.")},
                              help_text=_("Een gebruiker van de gemeente waar het huishouden nu verblijft."))
    purpose = forms.CharField(label=_("Doel"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    until = forms.DateField(label=_("Gedeeld tot en met"), required=False, widget=DateInput())
    include_special = forms.BooleanField(label=_("Ook bijzondere persoonsgegevens delen"), required=False)

    def __init__(self, *args: Any, case: Any, may_special: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        municipality_id = getattr(case, "current_municipality_id", None)
        self.fields["to_user"].queryset = (
            User.objects.filter(is_active=True, role=Role.GEMEENTE, municipalities=municipality_id)
            .order_by("username") if municipality_id else User.objects.none())
        self.fields["until"].initial = timezone.localdate() + dt.timedelta(days=30)
        if not may_special:
            del self.fields["include_special"]
