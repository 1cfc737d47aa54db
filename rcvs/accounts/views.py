"""Pages of one's own account (API keys) and the lockout answer after too many failed logins."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import segno
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from rcvs.errors import ApplicationError, NotFound, add_to_form

from . import otp
from .forms import ApiTokenCreateForm, OtpCodeForm, OtpSetupForm
from .selectors import api_token_list_for
from .services import api_token_create, api_token_revoke


def lockout_message(request: HttpRequest) -> str:
    if getattr(request, "rcvs_address_blocked", False):
        return _("Te veel mislukte inlogpogingen vanaf dit adres. Inloggen vanaf dit adres is %(minutes)d "
                 "minuten geblokkeerd. Probeer het daarna opnieuw.") % {
                     "minutes": settings.LOGIN_ADDRESS_WINDOW_MINUTES}
    minutes = max(1, int(get_cool_off(request).total_seconds() // 60))
    return _("Te veel mislukte inlogpogingen. Inloggen met deze gebruikersnaam is vanaf dit adres %(minutes)d "
             "minuten geblokkeerd. Probeer het daarna opnieuw, of vraag de beheerder van je regio de blokkade "
             "op te heffen.") % {"minutes": minutes}


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a login attempt while locked out (429)."""
    retry_after = str(settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60 if getattr(request, "rcvs_address_blocked", False)
                      else int(get_cool_off(request).total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"message": lockout_message(request), "code": "locked_out"}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": lockout_message(request)}, status=429)
    response["Retry-After"] = retry_after
    return response


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API keys; POST makes a new one and shows it this once (never stored in plain)."""
    form = ApiTokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"],
                                              otp_verified=otp.is_verified(request.user))
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            form = ApiTokenCreateForm()
    response = render(request, "accounts/api_tokens.html", {
        "form": form,
        "tokens": api_token_list_for(request.user),
        "new_key": new_key,
        "ttl_days": settings.API_TOKEN_TTL_DAYS,
        "verified": otp.is_verified(request.user),
    }, status=400 if form.errors else 200)
    # The page may hold a new key: no cache, browser or proxy, may keep it.
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        token = api_token_revoke(user=request.user, public_id=str(public_id))
    except NotFound as error:
        return render(request, "accounts/not_found.html", {"message": error.message}, status=404)
    messages.success(request, _("API-sleutel ‘%(name)s’ is ingetrokken.") % {"name": token.name})
    return redirect("accounts:api_tokens")


# --- login and the second factor --------------------------------------------------------------------

class LoginView(auth_views.LoginView):
    """Django's login, then the second factor: a user with a device is asked for a code before
    going on; a user whose role needs one but has none is told to set it up (case pages send
    them to the set-up page; other pages work meanwhile)."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if otp.has_device(user):
            return redirect(otp.verify_url(self.get_success_url()))
        if otp.needs_second_factor(user):
            messages.warning(self.request, _("Stel een tweede factor in om casussen te kunnen openen."))
        return response


def _otp_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)  # secrets and recovery codes must not stay in a cache
    return response


@login_required
def otp_status(request: HttpRequest) -> HttpResponse:
    user = request.user
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return _otp_page(request, "accounts/otp_status.html", {
        "has_device": otp.has_device(user),
        "verified": otp.is_verified(user),
        "required": otp.needs_second_factor(user),
        "codes_left": static.token_set.count() if static else 0,
        "recovery_codes": None,
    })


@login_required
@require_POST
def otp_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (shown once), only from a session that passed the second factor."""
    if not otp.is_verified(request.user):
        return redirect(otp.second_factor_url(request.user, reverse("accounts:otp_status")))
    codes = otp.recovery_codes_replace(request.user)
    return _otp_page(request, "accounts/otp_status.html", {
        "has_device": True, "verified": True, "required": otp.needs_second_factor(request.user),
        "codes_left": len(codes), "recovery_codes": codes,
    })


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: QR code (inline SVG, made here) and the secret as text; a code
    from the app confirms it, and then the recovery codes are shown once."""
    next_url = otp.safe_next(request)
    try:
        device = otp.totp_device_for_setup(request.user)
    except ApplicationError as error:
        messages.info(request, error.message)
        return redirect(otp.second_factor_url(request.user, next_url) if not otp.is_verified(request.user)
                        else reverse("accounts:otp_status"))
    form = OtpSetupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = otp.otp_setup_confirm(user=request.user, device=device, code=form.cleaned_data["code"])
        except ApplicationError as error:
            add_to_form(form, error)
            status = error.status_code
        else:
            device.refresh_from_db()
            otp.otp_login(request, device)
            return _otp_page(request, "accounts/otp_setup_done.html",
                             {"recovery_codes": codes, "next": next_url})
    elif form.errors:
        status = 400
    secret = base64.b32encode(device.bin_key).decode()
    qr = segno.make(device.config_url, error="m")
    qr_label = escape(_("QR-code om je authenticator-app in te stellen"))
    return _otp_page(request, "accounts/otp_setup.html", {
        "form": form, "next": next_url,
        # segno writes the SVG itself from the otpauth URL (no user input in it but the username,
        # which segno escapes); inline <svg> is markup, not script or style, so CSP allows it.
        "qr_svg": mark_safe(qr.svg_inline(scale=5, dark="#000", light="#fff", svgclass="qr-code")  # noqa: S308
                            .replace("<svg ", f'<svg role="img" aria-label="{qr_label}" ', 1)),
        "secret_groups": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": otp.needs_second_factor(request.user),
    }, status=status)


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code (or a recovery code) after the password."""
    next_url = otp.safe_next(request)
    user = request.user
    if otp.is_verified(user):
        return redirect(next_url)
    if not otp.has_device(user):
        return redirect(otp.setup_url(next_url))
    form = OtpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            device = otp.otp_verify(user=user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            add_to_form(form, error)
            status = error.status_code
        else:
            otp.otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(request, ngettext(
                    "Je hebt een herstelcode gebruikt; je hebt er nog %(n)d. Maak nieuwe aan op de pagina "
                    "Tweede factor.", "Je hebt een herstelcode gebruikt; je hebt er nog %(n)d. Maak nieuwe aan "
                    "op de pagina Tweede factor.", left) % {"n": left})
            return redirect(next_url)
    elif form.errors:
        status = 400
    return _otp_page(request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status)
