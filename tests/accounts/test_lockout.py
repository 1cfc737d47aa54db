"""Brute force: django-axes locks a username + address after AXES_FAILURE_LIMIT failures, on the
login page and on the token endpoint; a throttle limits the token endpoint; a beheerder lifts a
lockout of their own region's users only."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from rcvs.accounts.models import ApiToken
from tests.conftest import PASSWORD

LOGIN = reverse("login")
TOKEN = "/api/v1/auth/token/"
OFFICE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"
LIMIT = settings.AXES_FAILURE_LIMIT


def login_post(client: Client, username: str, password: str, ip: str = OFFICE):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_logins(client: Client, username: str, times: int, ip: str = OFFICE):
    return [login_post(client, username, "niet-het-wachtwoord", ip) for _ in range(times)]


def test_limit_is_five_by_default():
    assert LIMIT == 5


def test_login_page_locks_after_limit_with_dutch_page(client, personas):
    responses = fail_logins(client, "belteam", LIMIT - 1)
    assert all(r.status_code == 200 for r in responses)  # the form again, with its error

    locked = fail_logins(client, "belteam", 1)[0]
    assert locked.status_code == 429
    assert "Te veel mislukte inlogpogingen" in locked.content.decode()
    assert "15 minuten" in locked.content.decode()
    assert "accounts/locked_out.html" in [t.name for t in locked.templates]
    assert int(locked["Retry-After"]) == 15 * 60

    # Now even the right password is refused, and nobody is logged in.
    right = login_post(client, "belteam", PASSWORD)
    assert right.status_code == 429
    assert SESSION_KEY not in client.session


def test_lockout_is_per_username_and_address(client, personas):
    fail_logins(client, "belteam", LIMIT)
    # The same user from another address, and a colleague from the same office, still get in.
    assert login_post(Client(), "belteam", PASSWORD, ip=ELSEWHERE).status_code == 302
    assert login_post(Client(), "coordinator", PASSWORD, ip=OFFICE).status_code == 302


def test_success_before_the_limit_resets_the_count(client, personas):
    fail_logins(client, "belteam", LIMIT - 1)
    assert login_post(Client(), "belteam", PASSWORD).status_code == 302
    fail_logins(Client(), "belteam", LIMIT - 1)
    assert login_post(Client(), "belteam", PASSWORD).status_code == 302


def test_failures_and_lockout_are_logged_with_username_and_address_not_password(client, personas, caplog):
    with caplog.at_level(logging.INFO):
        fail_logins(client, "belteam", LIMIT)
    text = caplog.text
    assert "belteam" in text and OFFICE in text
    assert "Locking out" in text
    assert "niet-het-wachtwoord" not in text
    attempt = AccessAttempt.objects.get(username="belteam")
    assert "niet-het-wachtwoord" not in attempt.post_data


def test_token_endpoint_locks_after_limit_with_json(personas):
    api = APIClient(REMOTE_ADDR=OFFICE)
    for _ in range(LIMIT - 1):
        response = api.post(TOKEN, {"username": "belteam", "password": "fout"}, format="json")
        assert response.status_code == 400
    response = api.post(TOKEN, {"username": "belteam", "password": "fout"}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert "Te veel mislukte inlogpogingen" in body["message"]

    response = api.post(TOKEN, {"username": "belteam", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert not ApiToken.objects.exists()
    # Failures on the API and on the login page count together: the login page is locked too.
    assert login_post(Client(), "belteam", PASSWORD).status_code == 429


def test_token_endpoint_is_throttled_per_address(personas, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth_token", "3/minute")
    api = APIClient(REMOTE_ADDR=OFFICE)
    # Different usernames, so that it is the throttle and not a lockout that answers.
    for name in ("a", "b", "c"):
        assert api.post(TOKEN, {"username": name, "password": "x"}, format="json").status_code == 400
    response = api.post(TOKEN, {"username": "belteam", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert not ApiToken.objects.exists()


# --- the admin ---------------------------------------------------------------------------------------------

CHANGELIST = reverse("admin:axes_accessattempt_changelist")


def _locked(username: str) -> AccessAttempt:
    fail_logins(Client(), username, LIMIT)
    return AccessAttempt.objects.get(username=username)


def test_beheerder_sees_and_lifts_a_lockout_of_their_region(personas):
    attempt = _locked("belteam")
    admin = Client()
    admin.force_login(personas.beheerder)
    page = admin.get(CHANGELIST)
    assert page.status_code == 200
    assert "belteam" in page.content.decode()
    assert admin.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).status_code == 200

    response = admin.post(CHANGELIST, {"action": "lift_lockout", "_selected_action": [attempt.pk]})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert login_post(Client(), "belteam", PASSWORD).status_code == 302


def test_beheerder_of_another_region_neither_sees_nor_lifts_it(personas):
    attempt = _locked("belteam")
    guess = _locked("nobody-by-this-name")
    personas.outsider.is_staff = True  # a beheerder of Zuid who works in the admin
    personas.outsider.save()
    outsider = Client()
    outsider.force_login(personas.outsider)
    page = outsider.get(CHANGELIST)
    assert page.status_code == 200
    assert "belteam" not in page.content.decode()
    assert "nobody-by-this-name" not in page.content.decode()
    assert outsider.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).status_code == 404
    assert outsider.get(reverse("admin:axes_accessattempt_delete", args=[attempt.pk])).status_code == 404
    assert outsider.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]),
                         {"post": "yes"}).status_code == 404
    outsider.post(CHANGELIST, {"action": "lift_lockout", "_selected_action": [attempt.pk, guess.pk]})
    assert AccessAttempt.objects.filter(pk__in=[attempt.pk, guess.pk]).count() == 2


@pytest.mark.parametrize("persona", ["belteam", "gemeente_a", "bestuur"])
def test_staff_without_the_beheerder_role_gets_no_lockout_admin(personas, persona):
    user = getattr(personas, persona)
    user.is_staff = True
    user.save()
    attempt = _locked("coordinator")
    client = Client()
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).status_code in (403, 404)


def test_superuser_sees_attempts_on_unknown_usernames(personas, django_user_model):
    _locked("nobody-by-this-name")
    root = django_user_model.objects.create_superuser("root", "root@example.org", PASSWORD)
    client = Client()
    client.force_login(root)
    assert "nobody-by-this-name" in client.get(CHANGELIST).content.decode()


def test_admin_login_is_locked_too(personas):
    client = Client()
    url = reverse("admin:login")
    for _ in range(LIMIT):
        client.post(url, {"username": "beheerder", "password": "fout"}, REMOTE_ADDR=OFFICE)
    response = client.post(url, {"username": "beheerder", "password": PASSWORD}, REMOTE_ADDR=OFFICE)
    assert response.status_code == 429
    assert "Te veel mislukte inlogpogingen" in response.content.decode()
    assert SESSION_KEY not in client.session
