from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import API_TOKEN_NAME_MAX


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Naam"), max_length=API_TOKEN_NAME_MAX,
        help_text=_("Waarvoor de sleutel dient, bijvoorbeeld de koppeling die hem gebruikt."),
    )
