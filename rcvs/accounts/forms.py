from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import API_TOKEN_NAME_MAX


class ApiTokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Naam"), max_length=API_TOKEN_NAME_MAX,
        help_text=_("Waarvoor de sleutel dient, bijvoorbeeld de koppeling die hem gebruikt."),
    )


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        help_text=_("De zes cijfers uit je authenticator-app, of een van je herstelcodes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off",
                                      "spellcheck": "false", "autofocus": True}),
    )


class OtpSetupForm(forms.Form):
    code = forms.CharField(
        label=_("Code uit je app"), max_length=12, strip=True,
        help_text=_("Typ de zes cijfers die je app nu toont."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )
