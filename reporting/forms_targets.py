"""Forms of the targets, normbedrag and compensation pages (reporting/views_targets.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


DATE_FORMATS = ["%Y-%m-%d", "%d-%m-%Y"]


class RegionChoiceField(forms.ModelChoiceField):
    def __init__(self, queryset, **kwargs):
        super().__init__(queryset=queryset, to_field_name="code", label=_("Regio"), empty_label=None,
                         required=False, **kwargs)


class TargetsFilterForm(forms.Form):
    regio = forms.CharField(required=False, widget=forms.HiddenInput)
    jaar = forms.IntegerField(label=_("Jaar"), min_value=2022, max_value=2100, required=False)
    peildatum = forms.DateField(label=_("Gerealiseerd op (peildatum)"), input_formats=DATE_FORMATS,
                                widget=DateInput(), required=False,
                                help_text=_("De momentopname op of vóór deze dag telt."))


class PeriodForm(forms.Form):
    regio = forms.CharField(required=False, widget=forms.HiddenInput)
    van = forms.DateField(label=_("Van"), input_formats=DATE_FORMATS, widget=DateInput(), required=False)
    tot = forms.DateField(label=_("Tot en met"), input_formats=DATE_FORMATS, widget=DateInput(), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("van"), data.get("tot")
        if start and end and end < start:
            self.add_error("tot", _("De einddatum ligt vóór de begindatum."))
        return data


class NormRateForm(forms.Form):
    valid_from = forms.DateField(label=_("Geldig vanaf"), input_formats=DATE_FORMATS, widget=DateInput())
    valid_until = forms.DateField(label=_("Geldig tot en met"), input_formats=DATE_FORMATS, widget=DateInput(),
                                  required=False, help_text=_("Leeg: geldt tot er een volgend normbedrag is."))
    amount = forms.DecimalField(label=_("Bedrag per plaats per dag (€)"), max_digits=8, decimal_places=2,
                                min_value=Decimal("0.01"), localize=True)
    note = forms.CharField(label=_("Bron of toelichting"), max_length=300, required=False)


class TargetSplitForm(forms.Form):
    """One whole number of places per municipality of the region."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.municipalities = {}
        for row in rows:
            name = f"m{row.municipality.pk}"
            self.municipalities[name] = row.municipality
            self.fields[name] = forms.IntegerField(
                label=f"{row.municipality.name} ({row.municipality.cbs_code})", min_value=0, max_value=10**7,
                initial=row.places,
                help_text=_("Standaard (naar inwoners): %(n)s") % {"n": row.default_places})

    def places(self) -> dict[int, int]:
        return {m.pk: self.cleaned_data[name] for name, m in self.municipalities.items()}


def last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    end = today.replace(day=1) - dt.timedelta(days=1)
    return end.replace(day=1), end
