"""Spraying: many usernames guessed from one address is stopped per address, while axes keeps
locking one username from one address after five failures."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str):
    return client.post(reverse("login"), {"username": username, "password": "fout-wachtwoord-1"})


@override_settings(LOGIN_FAILURES_PER_ADDRESS=6)
def test_guessing_across_usernames_from_one_address_is_stopped(personas, caplog, monkeypatch):
    # Capture the guard's own warning whatever an earlier test in this worker did to logging.
    guard_log = logging.getLogger("rcvs.accounts.address_guard")
    monkeypatch.setattr(guard_log, "disabled", False)
    caplog.set_level(logging.WARNING, logger=guard_log.name)
    client = Client(REMOTE_ADDR="198.51.100.7")
    for number in range(6):
        assert _fail(client, f"gok{number}").status_code == 200  # the form again, each name once
    response = client.post(reverse("login"), {"username": "belteam", "password": PASSWORD})
    assert response.status_code == 429
    assert "vanaf dit adres" in response.content.decode()
    assert "_auth_user_id" not in client.session  # not even the right password gets in
    assert "198.51.100.7" in caplog.text and PASSWORD not in caplog.text
    # The token endpoint is closed to that address too, with the API's JSON.
    api = APIClient(REMOTE_ADDR="198.51.100.7")
    answer = api.post("/api/v1/auth/token/", {"username": "belteam", "password": PASSWORD}, format="json")
    assert answer.status_code == 429 and answer.json()["code"] == "locked_out"
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.8")
    assert other.post(reverse("login"), {"username": "belteam", "password": PASSWORD}).status_code == 302


@override_settings(LOGIN_FAILURES_PER_ADDRESS=30)
def test_an_office_mistyping_now_and_then_is_not_blocked(personas):
    office = Client(REMOTE_ADDR="198.51.100.9")
    for number in range(12):  # twelve colleagues, one typo each
        user = UserFactory(username=f"collega{number}")
        assert _fail(office, user.username).status_code == 200
    assert office.post(reverse("login"), {"username": "belteam", "password": PASSWORD}).status_code == 302
