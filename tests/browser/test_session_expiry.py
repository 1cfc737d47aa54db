"""In a real browser: after the idle timeout an htmx request leads to the login page (whole page,
with the Dutch message), not a login form swapped into the fragment."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from rcvs.accounts.sessions import SEEN_AT
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _age_sessions_of(user, seconds: int) -> int:
    aged = 0
    for row in Session.objects.all():
        store = SessionStore(session_key=row.session_key)
        if store.get(SESSION_KEY) == str(user.pk):
            store[SEEN_AT] = int(time.time()) - seconds
            store.save()
            aged += 1
    return aged


def test_htmx_filter_after_idle_timeout_goes_to_the_login_page(page: Page, live_server, personas, world, settings):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(personas.belteam.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/locaties/$"))
    expect(page.locator("#results")).to_be_visible()

    assert _age_sessions_of(personas.belteam, settings.SESSION_IDLE_MINUTES * 60 + 5) == 1
    page.get_by_role("button", name="Filteren").click()  # the filter form submits through htmx

    page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Flocaties%2F"))
    expect(page.get_by_text("Je sessie is verlopen")).to_be_visible()
    # A new page, not the login page inside the overview: the filter form and the results are gone
    # (with a plain redirect htmx would follow it and swap the login page into #results, and with
    # hx-push-url even the address bar would show the login URL).
    expect(page.locator("form[role=search]")).to_have_count(0)
    expect(page.locator("#results")).to_have_count(0)
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.get_by_label("Wachtwoord")).to_have_count(1)
