"""The second factor (issue 7, point 6): set-up with a QR code, recovery codes, the code after the
password, throttling of wrong codes, and the guards case pages and the case API use
(rcvs.accounts.otp.require_verified, IsOtpVerified), tried here on test-only views."""

from __future__ import annotations

import base64
import datetime as dt
import re
from io import StringIO

import pytest
import segno
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from rcvs.accounts.models import ApiToken, Role, User
from rcvs.accounts.otp import needs_second_factor, recovery_codes_replace
from rcvs.accounts.services import api_token_create
from tests.accounts.otp_urls import SECRET
from tests.conftest import PASSWORD
from tests.factories import UserFactory
from tests.otp import totp_code, totp_device, verified_login, verified_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.otp_urls")]

CASE_PAGE = "/test/casus/"
CASE_API = "/api/v1/test-casus/"
VERIFY = "/accounts/2fa/controleren/"
SETUP = "/accounts/2fa/instellen/"


def password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_roles_that_read_case_content_need_a_second_factor(personas):
    mental_coach = UserFactory(role=Role.MENTAL_COACH, regions=[personas.coordinator.regions.first()])
    assert needs_second_factor(personas.coordinator)
    assert needs_second_factor(mental_coach)
    assert needs_second_factor(personas.gemeente_a)
    for name in ("belteam", "bestuur", "beheerder"):
        assert not needs_second_factor(getattr(personas, name)), name


# --- the guards -------------------------------------------------------------------------------------

def test_password_only_session_gets_no_case_page_and_no_case_api(personas):
    user = personas.coordinator
    client = password_only(user)
    # No device yet: to the set-up page, keeping where they were going.
    response = client.get(CASE_PAGE + "?tab=tijdlijn")
    assert response.status_code == 302
    assert response["Location"] == SETUP + "?next=%2Ftest%2Fcasus%2F%3Ftab%3Dtijdlijn"
    # With a device: to the code page.
    totp_device(user)
    response = client.get(CASE_PAGE)
    assert response.status_code == 302 and response["Location"] == VERIFY + "?next=%2Ftest%2Fcasus%2F"
    assert SECRET not in response.text
    # htmx: a redirect header for the whole page, no fragment.
    response = client.get(CASE_PAGE, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/x/?a=1"})
    assert response.status_code == 401 and response["HX-Redirect"] == VERIFY + "?next=%2Fx%2F%3Fa%3D1"

    response = client.get(CASE_API)
    assert response.status_code == 403
    assert response.json()["code"] == "otp_required"
    assert "tweede factor" in response.json()["message"]
    assert SECRET not in response.text


def test_anonymous_goes_to_login_and_api_answers_401():
    client = Client()
    response = client.get(CASE_PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    assert client.get(CASE_API).status_code == 401


def test_force_authenticated_api_user_is_not_verified(personas, api_for):
    response = api_for(personas.coordinator).get(CASE_API)
    assert response.status_code == 403 and response.json()["code"] == "otp_required"


def test_verified_session_reaches_case_page_and_api(personas):
    client = verified_login(Client(), personas.coordinator)
    response = client.get(CASE_PAGE)
    assert response.status_code == 200 and response.text == SECRET
    assert client.get(CASE_API).json() == {"content": SECRET}


def test_session_verified_by_a_device_of_someone_else_does_not_count(personas):
    other = totp_device(personas.gemeente_a)
    client = password_only(personas.coordinator)
    totp_device(personas.coordinator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = other.persistent_id
    session.save()
    assert client.get(CASE_PAGE).status_code == 302
    assert client.get(CASE_API).status_code == 403


def test_api_keys_carry_whether_they_were_made_after_the_second_factor(personas):
    user = personas.coordinator
    _token, plain = api_token_create(user=user, name="zonder")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {plain}")
    response = api.get(CASE_API)
    assert response.status_code == 403 and response.json()["code"] == "otp_required"

    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")
    assert api.get(CASE_API).json() == {"content": SECRET}


def test_keys_page_marks_a_key_verified_only_from_a_verified_session(personas):
    user = personas.coordinator
    client = password_only(user)
    response = client.post(reverse("accounts:api_tokens"), {"name": "met wachtwoord"})
    assert response.status_code == 200 and "haalt geen casusgegevens op" in response.text
    client = verified_login(Client(), user)
    response = client.post(reverse("accounts:api_tokens"), {"name": "met code"})
    assert response.status_code == 200 and "ja (met tweede factor gemaakt)" in response.text
    assert dict(ApiToken.objects.filter(user=user).values_list("name", "otp_verified")) == {
        "met wachtwoord": False, "met code": True}


def test_token_endpoint_keys_are_not_verified(personas):
    response = APIClient().post("/api/v1/auth/token/", {"username": personas.coordinator.username,
                                                         "password": PASSWORD, "name": "script"}, format="json")
    assert response.status_code in (200, 201), response.content
    key = response.json().get("token") or response.json().get("key")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(CASE_API).json()["code"] == "otp_required"


# --- set-up ----------------------------------------------------------------------------------------

def test_setup_shows_qr_and_secret_and_a_code_confirms_it(personas):
    user = personas.coordinator
    client = password_only(user)
    response = client.get(SETUP + "?next=/test/casus/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.text
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert re.search(r'<svg role="img" aria-label="[^"]+"[^>]*class="qr-code"', page)
    # The QR code is the otpauth URL of this very device (segno draws it the same way every time).
    drawn = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    assert re.search(r' d="([^"]+)"', drawn).group(1) in page
    assert device.config_url.startswith("otpauth://totp/RCVS%3Acoordinator?secret=") and device.config_url.endswith("issuer=RCVS")
    secret = base64.b32encode(device.bin_key).decode()
    shown = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', page).group(1)
    assert shown.replace(" ", "") == secret
    # Reloading shows the same secret (one unconfirmed device, not a new one per visit).
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=user).count() == 1

    # A wrong code: not confirmed, a Dutch message.
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(SETUP, {"code": wrong, "next": "/test/casus/"})
    assert response.status_code == 400 and "Deze code klopt niet" in response.text
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(seconds=5)
    device.save()

    response = client.post(SETUP, {"code": totp_code(device), "next": "/test/casus/"})
    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(codes) == 10
    for code in codes:
        assert code in response.text  # shown this once
    assert "no-store" in response["Cache-Control"]
    # The session is verified now: the case page opens.
    assert client.get(CASE_PAGE).text == SECRET
    # The set-up page does not hand out a second device.
    assert client.get(SETUP).status_code == 302
    assert TOTPDevice.objects.filter(user=user).count() == 1


# --- the code after the password -------------------------------------------------------------------

def test_login_with_a_device_asks_for_the_code_then_goes_on(personas):
    user = personas.coordinator
    device = totp_device(user)
    client = Client()
    response = client.post("/accounts/login/?next=/test/casus/", {"username": user.username, "password": PASSWORD,
                                                                    "next": "/test/casus/"})
    assert response.status_code == 302 and response["Location"] == VERIFY + "?next=%2Ftest%2Fcasus%2F"
    assert client.get(CASE_PAGE).status_code == 302  # password alone
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Code invoeren" in page.text
    session_key = client.session.session_key
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/test/casus/"})
    assert response.status_code == 302 and response["Location"] == "/test/casus/"
    assert client.session.session_key != session_key  # a new session key for the stronger session
    assert client.get(CASE_PAGE).text == SECRET


def test_login_without_device_for_a_role_that_needs_one_goes_on_with_a_warning(personas):
    client = Client()
    response = client.post("/accounts/login/", {"username": personas.coordinator.username, "password": PASSWORD},
                           follow=True)
    assert response.status_code == 200 and "Stel een tweede factor in" in response.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_verify_does_not_redirect_off_site(personas, target):
    user = personas.coordinator
    device = totp_device(user)
    client = password_only(user)
    response = client.post(VERIFY + "?next=" + target, {"code": totp_code(device), "next": target})
    assert response.status_code == 302 and response["Location"] == "/locaties/"


def test_recovery_code_works_once(personas):
    user = personas.coordinator
    totp_device(user)
    code = recovery_codes_replace(user)[3]
    client = password_only(user)
    response = client.post(VERIFY, {"code": code.upper(), "next": "/test/casus/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/test/casus/" and response.text == SECRET
    assert StaticToken.objects.filter(device__user=user).count() == 9

    again = password_only(user)
    response = again.post(VERIFY, {"code": code, "next": "/test/casus/"})
    assert response.status_code == 400 and "Deze code klopt niet" in response.text
    assert again.get(CASE_PAGE).status_code == 302


def test_wrong_codes_are_throttled_even_with_the_right_code_next(personas):
    user = personas.coordinator
    device = totp_device(user)
    recovery = recovery_codes_replace(user)
    client = password_only(user)
    wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 400
    # Straight after: refused without checking, app code and recovery code alike.
    for code in (totp_code(device), recovery[0]):
        response = client.post(VERIFY, {"code": code})
        assert response.status_code == 429, code
        assert "Te veel onjuiste codes. Wacht" in response.text
    assert client.get(CASE_PAGE).status_code == 302
    assert StaticToken.objects.filter(token=recovery[0]).exists()  # not used up by a refused try
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    # Each failure doubles the wait.
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(seconds=2)
    device.save()
    assert client.post(VERIFY, {"code": "000000" if totp_code(device) != "000000" else "111111"}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 2
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(seconds=1)
    device.save()
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 429  # 2 s wait now

    # After the wait the right code works and the count starts over.
    device.throttling_failure_timestamp = timezone.now() - dt.timedelta(seconds=3)
    device.save()
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    assert client.get(CASE_PAGE).text == SECRET


def test_new_recovery_codes_only_from_a_verified_session(personas):
    user = personas.coordinator
    totp_device(user)
    old = recovery_codes_replace(user)
    url = reverse("accounts:otp_recovery_codes")
    response = password_only(user).post(url)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)) == set(old)

    response = verified_login(Client(), user).post(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10 and not new & set(old)
    assert all(code in response.text for code in new)


def test_a_code_is_not_accepted_twice(personas):
    user = personas.coordinator
    device = totp_device(user)
    code = totp_code(device)
    assert password_only(user).post(VERIFY, {"code": code}).status_code == 302
    assert password_only(user).post(VERIFY, {"code": code}).status_code == 400


# --- admin: reset, the special-category right, no device admins -----------------------------------

@pytest.fixture
def staff_beheerders(personas):
    for user in (personas.beheerder, personas.outsider):
        user.is_staff = True
        user.save()
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    return personas


def _reset(client: Client, user: User):
    return client.post(reverse("admin:accounts_user_changelist"),
                       {"action": "reset_second_factor", "_selected_action": [str(user.pk)]})


def test_beheerder_resets_second_factor_of_a_user_they_manage(staff_beheerders):
    personas = staff_beheerders
    target = personas.coordinator
    device = totp_device(target)
    recovery_codes_replace(target)
    session = verified_login(Client(), target)
    assert session.get(CASE_PAGE).status_code == 200
    key = verified_token(target)

    client = Client()
    client.force_login(personas.beheerder)
    assert _reset(client, target).status_code == 302
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    assert LogEntry.objects.filter(object_id=str(target.pk), change_message="Tweede factor opnieuw ingesteld.").exists()
    # The session verified with the removed device is not verified any more: back to set-up.
    response = session.get(CASE_PAGE)
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    # Keys made after the old second factor lose their case access too.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(CASE_API).json()["code"] == "otp_required"
    assert device.pk is not None


def test_outsider_beheerder_cannot_reset_a_user_of_another_region(staff_beheerders):
    personas = staff_beheerders
    target = personas.coordinator
    totp_device(target)
    recovery_codes_replace(target)
    client = Client()
    client.force_login(personas.outsider)
    _reset(client, target)
    assert TOTPDevice.objects.filter(user=target).exists()
    assert StaticDevice.objects.filter(user=target).exists()
    assert client.get(reverse("admin:accounts_user_change", args=[target.pk])).status_code == 404


def test_only_a_superuser_grants_special_category_access(staff_beheerders, django_user_model):
    personas = staff_beheerders
    target = personas.coordinator
    client = Client()
    client.force_login(personas.beheerder)
    page = client.get(reverse("admin:accounts_user_change", args=[target.pk])).text
    assert "mag bijzondere persoonsgegevens inzien" in page.lower() or "bijzondere persoonsgegevens" in page
    assert 'name="special_category_access"' not in page
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123")
    client.force_login(root)
    assert 'name="special_category_access"' in client.get(
        reverse("admin:accounts_user_change", args=[target.pk])).text


def test_only_a_superuser_hands_out_the_mental_coach_role(staff_beheerders, world):
    personas = staff_beheerders
    client = Client()
    client.force_login(personas.beheerder)
    page = client.get(reverse("admin:accounts_user_change", args=[personas.belteam.pk])).text
    assert 'value="coordinator"' in page and 'value="mental_coach"' not in page
    # A mental coach of their region: the beheerder may open the user, but the role is read-only.
    coach = UserFactory(role=Role.MENTAL_COACH, regions=[world.noord])
    page = client.get(reverse("admin:accounts_user_change", args=[coach.pk]))
    assert page.status_code == 200 and 'name="role"' not in page.text


def test_device_admins_of_django_otp_are_not_registered():
    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


# --- shorter idle time for roles that read case content -------------------------------------------

@pytest.mark.parametrize("persona,logged_out", [("coordinator", True), ("gemeente_a", True), ("belteam", False),
                                                ("beheerder", False)])
def test_casework_roles_have_a_shorter_idle_time(personas, settings, persona, logged_out):
    from tests.accounts.test_sessions import age

    settings.SESSION_IDLE_MINUTES, settings.SESSION_IDLE_MINUTES_CASEWORK = 30, 15
    client = password_only(getattr(personas, persona))
    age(client, idle=16 * 60)
    response = client.get(reverse("accounts:api_tokens"))
    assert (response.status_code == 302) is logged_out


def test_mental_coach_has_the_shorter_idle_time(world, settings):
    from tests.accounts.test_sessions import age

    settings.SESSION_IDLE_MINUTES_CASEWORK = 15
    client = password_only(UserFactory(role=Role.MENTAL_COACH, regions=[world.noord]))
    age(client, idle=15 * 60 + 1)
    assert client.get(reverse("accounts:api_tokens")).status_code == 302


# --- demo_otp --------------------------------------------------------------------------------------

def test_demo_otp_prints_the_code_of_a_demo_device_with_debug(personas, settings):
    settings.DEBUG = True
    device = totp_device(personas.coordinator, name="demo")
    out = StringIO()
    call_command("demo_otp", personas.coordinator.username, stdout=out, stderr=StringIO())
    assert out.getvalue().strip() in {totp_code(device), totp_code(device, offset_steps=1)}


def test_demo_otp_refuses_without_debug(personas, settings):
    settings.DEBUG = False
    totp_device(personas.coordinator, name="demo")
    out = StringIO()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_otp", personas.coordinator.username, stdout=out, stderr=StringIO())
    assert not out.getvalue()


def test_demo_otp_refuses_a_device_that_is_not_a_demo_device(personas, settings):
    settings.DEBUG = True
    totp_device(personas.coordinator)  # set up on the 2FA page: "default"
    out = StringIO()
    with pytest.raises(CommandError, match="geen demo-authenticator"):
        call_command("demo_otp", personas.coordinator.username, stdout=out, stderr=StringIO())
    assert not out.getvalue()
