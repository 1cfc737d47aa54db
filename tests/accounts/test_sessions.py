"""Sessions end after an idle period and after an absolute lifetime; a password change ends the
user's other sessions; deactivation ends them all."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from rcvs.accounts.sessions import LOGIN_AT, SEEN_AT
from tests.conftest import PASSWORD

PAGE = reverse("accounts:api_tokens")
LOGIN = reverse("login")
EXPIRED = "Je sessie is verlopen"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def age(client: Client, *, idle: float = 0, since_login: float = 0) -> None:
    """Move the session's stamps into the past (seconds)."""
    session = client.session
    now = time.time()
    session[SEEN_AT] = int(now - idle)
    session[LOGIN_AT] = int(now - max(idle, since_login))
    session.save()


def test_login_stamps_the_session(personas):
    client = logged_in(personas.belteam)
    assert abs(client.session[LOGIN_AT] - time.time()) < 5
    assert client.session[SEEN_AT] == client.session[LOGIN_AT]


def test_idle_session_is_logged_out_with_a_dutch_message(personas):
    client = logged_in(personas.belteam)
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.get(PAGE + "?x=1")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Faccounts%2Fapi-sleutels%2F%3Fx%3D1"
    assert SESSION_KEY not in client.session
    assert EXPIRED in client.get(response["Location"]).content.decode()


def test_session_just_under_idle_limit_lives_and_is_refreshed(personas):
    client = logged_in(personas.belteam)
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 - 30)
    assert client.get(PAGE).status_code == 200
    assert abs(client.session[SEEN_AT] - time.time()) < 5  # refreshed: the clock starts again
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 - 30, since_login=3600)
    assert client.get(PAGE).status_code == 200


def test_bestuur_has_the_longer_idle_time(personas):
    assert settings.SESSION_IDLE_MINUTES_BESTUUR > settings.SESSION_IDLE_MINUTES
    client = logged_in(personas.bestuur)
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 + 60)
    assert client.get(PAGE).status_code == 200
    age(client, idle=settings.SESSION_IDLE_MINUTES_BESTUUR * 60 + 1)
    assert client.get(PAGE).status_code == 302
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("persona", ["belteam", "coordinator", "gemeente_a", "beheerder"])
def test_roles_that_see_persons_have_the_short_idle_time(personas, persona):
    client = logged_in(getattr(personas, persona))
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 + 1)
    assert client.get(PAGE).status_code == 302


def test_absolute_lifetime_ends_an_active_session(personas):
    client = logged_in(personas.belteam)
    age(client, idle=0, since_login=settings.SESSION_MAX_HOURS * 3600 + 1)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert SESSION_KEY not in client.session


def test_htmx_request_after_expiry_gets_hx_redirect(personas):
    client = logged_in(personas.belteam)
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.get(PAGE, headers={
        "HX-Request": "true", "HX-Current-URL": "http://testserver/plaatsingen/?status=open"})
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"{LOGIN}?next=%2Fplaatsingen%2F%3Fstatus%3Dopen"
    assert response.content == b""
    assert SESSION_KEY not in client.session


def test_api_with_expired_session_answers_401(personas):
    client = logged_in(personas.belteam)
    age(client, idle=settings.SESSION_IDLE_MINUTES * 60 + 1)
    response = client.get("/api/v1/locations/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_password_change_ends_the_other_sessions(personas):
    here, there = logged_in(personas.belteam), logged_in(personas.belteam)
    assert there.get(PAGE).status_code == 200
    new = "een-heel-ander-wachtwoord-42"
    response = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert here.get(PAGE).status_code == 200  # the session that changed it stays
    response = there.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def _sessions_of(user) -> list[Session]:
    return [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk)]


def test_deactivation_ends_all_sessions_for_good(personas):
    user = personas.belteam
    first, second = logged_in(user), logged_in(user)
    bystander = logged_in(personas.coordinator)
    assert len(_sessions_of(user)) == 2
    user.is_active = False
    user.save()
    assert _sessions_of(user) == []
    user.is_active = True  # switched back on: the old sessions stay dead
    user.save()
    for client in (first, second):
        assert client.get(PAGE).status_code == 302
    assert bystander.get(PAGE).status_code == 200
