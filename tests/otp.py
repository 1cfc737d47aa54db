"""Second-factor helpers for tests of case pages and the case API (issue 7).

    from tests.otp import verified_login, verified_token
    client = verified_login(client, personas.coordinator)   # session that passed the second factor
    api = APIClient(); api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")

A session from plain `client.force_login(user)` or `api_for(user)` has NOT passed it: case pages
redirect it to the second factor and the case API answers 403 {"code": "otp_required"}.
"""

from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from rcvs.accounts.services import api_token_create


def totp_device(user: Any, *, name: str = "default", confirmed: bool = True) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, name=name).first()
    return device or TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)


def totp_code(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the user's authenticator app shows now (computed from the device's key, RFC 6238)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def verified_login(client: Any, user: Any) -> Any:
    """Log `user` into the Django test client as if they had typed their code after the password."""
    device = totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def verified_token(user: Any, name: str = "Test-koppeling") -> str:
    """A plain API key as made on the API-sleutels page from a session that passed the second factor."""
    return api_token_create(user=user, name=name, otp_verified=True)[1]
