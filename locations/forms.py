from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ContactPerson, Location, LocationStatus, Municipality, Room
from .services import LOCATION_CODE_TAKEN


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = [
            "code", "name", "municipality", "kind", "status", "street", "postcode", "place",
            "latitude", "longitude", "opening_date", "end_date",
            "suitable_infants", "suitable_pets", "suitable_wheelchair", "suitable_care",
            "has_stairs", "has_bunk_beds", "is_remote", "intake_24_7",
            "target_families", "target_singles", "target_single_men", "notes",
        ]
        widgets = {"opening_date": DateInput(), "end_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        # Codes are unique nationally; a taken code may be another region's, so do not say whose.
        error_messages = {"code": {"unique": LOCATION_CODE_TAKEN}}

    def __init__(self, *args: Any, municipalities: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if municipalities is not None:
            self.fields["municipality"].queryset = municipalities
            if municipalities.count() == 1 and not self.instance.pk:
                self.fields["municipality"].initial = municipalities.first()

    def clean_postcode(self) -> str:
        from .services import normalise_postcode

        return normalise_postcode(self.cleaned_data["postcode"])

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()


class RoomForm(forms.ModelForm):
    class Meta:
        model = Room
        fields = ["number", "floor", "beds", "bunk_beds", "occupancy", "step_free", "wheelchair_accessible"]


class RoomBlockForm(forms.Form):
    reason = forms.CharField(label=_("Reden"), max_length=200,
                             help_text=_("Bijvoorbeeld: waterschade, schimmel, renovatie."))
    until = forms.DateField(label=_("Geblokkeerd tot (optioneel)"), required=False, widget=DateInput())


class ContactForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "function", "phone", "email", "is_primary"]


class OverviewFilterForm(forms.Form):
    SORT_CHOICES = [
        ("municipality", _("Gemeente")),
        ("name", _("Naam")),
        ("available", _("Meeste beschikbaar")),
        ("occupancy", _("Meeste bezet")),
        ("realised", _("Meeste gerealiseerd")),
        ("end_date", _("Eerste einddatum")),
    ]
    q = forms.CharField(label=_("Zoeken"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("naam, plaats of code")}))
    municipality = forms.ModelChoiceField(label=_("Gemeente"), queryset=Municipality.objects.none(),
                                          required=False, empty_label=_("Alle gemeenten"))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Alle statussen"))] + list(LocationStatus.choices))
    min_free_in_room = forms.IntegerField(label=_("Min. vrije bedden in één kamer"), required=False,
                                          min_value=1, max_value=6,
                                          widget=forms.NumberInput(attrs={"class": "input--narrow"}))
    ending_within_months = forms.IntegerField(label=_("Eindigt binnen (maanden)"), required=False,
                                              min_value=0, max_value=60,
                                              widget=forms.NumberInput(attrs={"class": "input--narrow"}))
    suitable_infants = forms.BooleanField(label=_("Zuigelingen"), required=False)
    suitable_pets = forms.BooleanField(label=_("Huisdieren"), required=False)
    suitable_wheelchair = forms.BooleanField(label=_("Rolstoel"), required=False)
    suitable_care = forms.BooleanField(label=_("Zorg"), required=False)
    intake_24_7 = forms.BooleanField(label=_("24/7 intake"), required=False)
    sort = forms.ChoiceField(label=_("Sorteren op"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args: Any, municipalities: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
