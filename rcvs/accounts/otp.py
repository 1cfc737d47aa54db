"""The second factor (django-otp): who needs one, and the checks case pages and the case API use.

A user logs in with a password; a user with a confirmed device is then asked for a code
(`/accounts/2fa/controleren/`). Which device verified the session is kept in the session by
django-otp (`request.user.is_verified()`, from OTPMiddleware). Case content is only served to a
verified session (`require_verified`, `IsOtpVerified`) or to an API key that was made from one
(`ApiToken.otp_verified`).

Devices: one TOTP device (an authenticator app) and one static device holding single-use recovery
codes. Every wrong code is counted on the device (django-otp's ThrottlingMixin): the next try has
to wait 1, 2, 4, 8 … seconds (OTP_TOTP_THROTTLE_FACTOR, OTP_STATIC_THROTTLE_FACTOR).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import django_otp
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.permissions import BasePermission

from rcvs.errors import ApplicationError

from .models import ApiToken
from .sessions import CASEWORK_ROLES

log = logging.getLogger(__name__)

# Roles that can read case content (design: coordinator, mental coach, and gemeente users with a
# share). A gemeente user counts whether or not a share exists right now: one can be made any time.
SECOND_FACTOR_ROLES = CASEWORK_ROLES
RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "default"
STATIC_DEVICE_NAME = "herstelcodes"


class OtpThrottled(ApplicationError):
    status_code = 429


def needs_second_factor(user: Any) -> bool:
    """Whether `user` must pass a second factor to read case content (and so is urged to set one up)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and getattr(user, "role", None) in SECOND_FACTOR_ROLES)


def has_device(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user, confirmed=True)


def is_verified(user: Any) -> bool:
    """True if this request's session passed the second factor (OTPMiddleware sets is_verified)."""
    check = getattr(user, "is_verified", None)
    return bool(getattr(user, "is_authenticated", False) and callable(check) and check())


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    """The `next` of the request if it points into this site, else `default` (the home page)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def verify_url(next_url: str) -> str:
    return _with_next("accounts:otp_verify", next_url)


def setup_url(next_url: str) -> str:
    return _with_next("accounts:otp_setup", next_url)


def second_factor_url(user: Any, next_url: str) -> str:
    """Where a user goes who has not passed the second factor: the code, or first the set-up."""
    return verify_url(next_url) if has_device(user) else setup_url(next_url)


def _back_to(request: HttpRequest) -> str:
    """The page to return to after the second factor (as the session middleware does: for an htmx
    fragment the page it sits on, for a POST the home page — a POST cannot be replayed)."""
    if request.headers.get("HX-Request") == "true":
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        return (current.path + (f"?{current.query}" if current.query else "")) or "/"
    if request.method != "GET":
        return "/"
    return request.get_full_path()


def require_verified(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator for every page with case content: logged in AND passed the second factor in
    this session. Anonymous → the login page; logged in without a device → the set-up page;
    with a device but not verified → the code page; each keeps `next`. Includes login_required."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if is_verified(user):
            return view(request, *args, **kwargs)
        url = second_factor_url(user, _back_to(request))
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=401)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)

    return wrapped


class IsOtpVerified(BasePermission):
    """DRF permission for every case API view. A session counts if it passed the second factor; an
    API key counts only if it was made on the API-sleutels page from such a session
    (`ApiToken.otp_verified`): a key from the password-only token endpoint gets a 403
    {"code": "otp_required"}. Unauthenticated requests get DRF's 401 before this runs."""

    code = "otp_required"

    @property
    def message(self) -> str:  # translated per request
        return _("Voor deze gegevens is een tweede factor nodig. Log in op de website met je code, of gebruik "
                 "een API-sleutel die je na het invoeren van je code hebt gemaakt.")

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return False
        auth = request.auth
        if isinstance(auth, ApiToken):
            return auth.otp_verified and auth.user_id == user.pk
        if auth is None:
            return is_verified(user)
        return False  # any other kind of credential: never case content


# --- services -------------------------------------------------------------------------------------

def _throttle_message(locked_until: Any) -> str:
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return ngettext("Te veel onjuiste codes. Wacht %(n)d seconde en probeer het dan opnieuw.",
                    "Te veel onjuiste codes. Wacht %(n)d seconden en probeer het dan opnieuw.", seconds) % {"n": seconds}


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def otp_verify(*, user: Any, code: str) -> Device:
    """Check a code against the user's confirmed devices: six digits → the authenticator app,
    otherwise a recovery code (used up when it matches). Returns the device that accepted it.

    Wrong codes are counted on the device (django-otp's throttling, committed: the failure is
    recorded even though this raises). While any of the user's devices is in its waiting time no
    code is checked at all, so alternating between app code and recovery code gains nothing."""
    code = _normalise(code)
    refusal: ApplicationError | None = None
    accepted: Device | None = None
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=True, for_verify=True))
        if not devices:
            raise ApplicationError(_("Je hebt nog geen tweede factor ingesteld."), code="otp_no_device")
        for device in devices:
            allowed, info = device.verify_is_allowed()
            if not allowed:
                refusal = OtpThrottled(_throttle_message(info["locked_until"]) if info and "locked_until" in info
                                       else _("Te veel onjuiste codes. Probeer het later opnieuw."),
                                       code="otp_throttled")
                break
        if refusal is None:
            kind = TOTPDevice if (code.isascii() and code.isdigit() and len(code) == 6) else StaticDevice
            candidates = [d for d in devices if isinstance(d, kind)]
            for device in candidates:
                if device.verify_token(code):  # counts a failure on the device itself
                    accepted = device
                    break
            if accepted is None:
                if not candidates:
                    devices[0].throttle_increment(commit=True)
                message = _("Deze code klopt niet. Gebruik de zescijferige code uit je app of een van je "
                            "herstelcodes.")
                refusal = ApplicationError(message, code="otp_invalid", extra={"fields": {"code": [message]}})
    if refusal is not None:
        log.info("Second factor refused for user %s: %s", user.pk, refusal.code)
        raise refusal
    log.info("Second factor passed by user %s (%s)", user.pk, type(accepted).__name__)
    return accepted


def otp_login(request: HttpRequest, device: Device) -> None:
    """Mark this session as verified by `device`, under a new session key (the session now holds
    more rights than the one a password alone gave)."""
    request.session.cycle_key()
    django_otp.login(request, device)


def totp_device_for_setup(user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator device, made once so that reloading the set-up page
    shows the same QR code. A user who already has a confirmed device gets an error."""
    if has_device(user):
        raise ApplicationError(_("Je tweede factor is al ingesteld. Vraag de beheerder van je regio om hem "
                                 "opnieuw in te stellen als je je app kwijt bent."), code="otp_already_set")
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_DEVICE_NAME).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def recovery_codes_replace(user: Any) -> list[str]:
    """New single-use recovery codes for `user` (the old ones stop working); returned in plain
    once for showing, never logged."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name=STATIC_DEVICE_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    log.info("Recovery codes replaced for user %s", user.pk)
    return codes


def otp_setup_confirm(*, user: Any, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the authenticator app with a code from it; returns the new recovery codes."""
    code = _normalise(code)
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
        if device is None:  # confirmed meanwhile (another tab) or reset by a beheerder
            raise ApplicationError(_("Begin opnieuw met het instellen van je tweede factor."), code="otp_setup_gone")
        allowed, info = device.verify_is_allowed()
        ok = allowed and code.isascii() and code.isdigit() and len(code) == 6 and device.verify_token(code)
        if allowed and not ok and not (code.isascii() and code.isdigit() and len(code) == 6):
            device.throttle_increment(commit=True)
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if not allowed:
        raise OtpThrottled(_throttle_message(info["locked_until"]), code="otp_throttled")
    if not ok:
        message = _("Deze code klopt niet. Kijk of de tijd op je telefoon klopt en typ de code die je app nu toont.")
        raise ApplicationError(message, code="otp_invalid", extra={"fields": {"code": [message]}})
    log.info("Second factor set up by user %s", user.pk)
    return recovery_codes_replace(user)


def second_factor_reset(*, user: Any, by: Any) -> int:
    """Remove every device of `user` (a lost phone, or a suspicion): their next case page asks them
    to set up again. Sessions that were verified with the removed device are no longer verified,
    and the user's API keys lose their case access (otp_verified): after a new second factor the
    user makes new keys on the API-sleutels page."""
    with transaction.atomic():
        count = sum(model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
                    for model in (TOTPDevice, StaticDevice))
        ApiToken.objects.filter(user=user, otp_verified=True).update(otp_verified=False)
    log.info("Second factor of user %s reset by user %s (%d device(s))", user.pk, by.pk, count)
    return count
