"""Forms of the cost pages (reporting/views_costs.py). They parse; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import BudgetLine, CostCategory, DeclarationStatus

# An <input type="date"> only takes ISO dates, whatever the page's language.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class YearForm(forms.Form):
    jaar = forms.IntegerField(label=_("Jaar"), min_value=2022, max_value=2100, required=False)


class MoneyField(forms.DecimalField):
    """Accepts 1.234,56 and 1234.56 (a Dutch user types a comma); always two decimals, no float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("€", "").replace(" ", "")
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


class CostEntryForm(forms.Form):
    budget_line = forms.ModelChoiceField(label=_("Begrotingspost"), queryset=BudgetLine.objects.none())
    date = forms.DateField(label=_("Datum"), widget=DATE)
    category = forms.ChoiceField(label=_("Categorie"), choices=CostCategory.choices)
    supplier = forms.CharField(label=_("Leverancier"), max_length=160)
    description = forms.CharField(label=_("Omschrijving"), max_length=300)
    amount_excl_vat = MoneyField(label=_("Bedrag excl. btw (€)"))
    amount_incl_vat = MoneyField(label=_("Bedrag incl. btw (€)"))
    invoice_reference = forms.CharField(label=_("Factuurnummer"), max_length=80, required=False)
    declarable = forms.BooleanField(label=_("Declarabel"), required=False, initial=True)
    non_declarable_reason = forms.CharField(label=_("Reden niet declarabel"), max_length=300, required=False,
                                            help_text=_("Verplicht als de kosten niet declarabel zijn."))
    attachment = forms.FileField(label=_("Bijlage (PDF, PNG of JPEG)"), required=False)
    remove_attachment = forms.BooleanField(label=_("Bijlage verwijderen"), required=False)

    def __init__(self, *args, lines=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["budget_line"].queryset = lines if lines is not None else BudgetLine.objects.none()
        self.fields["budget_line"].label_from_instance = lambda line: f"{line.budget.year} — {line.name}"
        if not editing:
            del self.fields["remove_attachment"]

    def data_for_service(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("attachment", "remove_attachment")}
        for key in ("amount_excl_vat", "amount_incl_vat"):
            if isinstance(data.get(key), Decimal):
                data[key] = data[key].quantize(Decimal("0.01"))
        return data


class BudgetLineForm(forms.Form):
    name = forms.CharField(label=_("Begrotingspost"), max_length=120)
    amount = MoneyField(label=_("Begroot bedrag (€)"))
    position = forms.IntegerField(label=_("Volgorde"), min_value=0, max_value=999, required=False, initial=0)


class PeriodForm(forms.Form):
    label = forms.CharField(label=_("Naam"), max_length=80)
    start = forms.DateField(label=_("Begin"), widget=DATE)
    end = forms.DateField(label=_("Einde (tot en met)"), widget=DATE)
    deadline = forms.DateField(label=_("Uiterste indiendatum"), required=False,
                               widget=DATE,
                               help_text=_("Leeg: de laatste dag van de vierde maand van de periode."))


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=DeclarationStatus.choices)
    note = forms.CharField(max_length=300, required=False)
