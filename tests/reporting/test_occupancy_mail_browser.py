"""The occupancy mail's pages in a real browser (Playwright driving Debian's Chromium): a gemeente
user adds a contact and switches it off, and the contact unsubscribes through the mail's link
without logging in. Screenshots in test-artifacts/mail-*.png."""

from __future__ import annotations

import os
import re

import pytest
from playwright import sync_api

from reporting.models import MailContact
from reporting.occupancy_mail import mail_contact_create, unsubscribe_token
from tests.browser.conftest import ARTIFACTS, CHROMIUM
from tests.conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "nl-NL", "viewport": {"width": 1280, "height": 900}}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_gemeente_adds_and_switches_off_a_contact(page, live_server, personas, world):
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/rapportage/bezettingsmail/")
    page.get_by_label("Gebruikersnaam").fill(personas.gemeente_a.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("heading", name="Bezettingsmail: ontvangers per gemeente")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Beekdal"))).to_have_count(0)  # not its municipality
    page.get_by_role("link", name="Ontvanger toevoegen").click()
    page.get_by_label("Naam").fill("Anna Aadorp-Test")
    page.get_by_label("E-mailadres").fill("anna@aadorp.example")
    page.get_by_label("Functie").fill("beleidsadviseur opvang")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De ontvanger is toegevoegd aan Aadorp.")).to_be_visible()
    expect(page.get_by_role("cell", name="anna@aadorp.example")).to_be_visible()
    shot(page, "mail-01-contacts")

    page.get_by_role("button", name="Uitzetten").click()
    expect(page.get_by_text("uitgezet")).to_be_visible()
    expect(page.get_by_role("button", name="Weer aanzetten")).to_be_visible()
    shot(page, "mail-02-switched-off")
    contact = MailContact.objects.get(email="anna@aadorp.example")
    assert (contact.active, contact.switched_off_by, contact.switched_off_via) == (False, personas.gemeente_a, "staff")
    assert errors == []  # nothing on these pages refused by the Content Security Policy


def test_contact_unsubscribes_through_the_link_without_logging_in(page, live_server, world):
    contact = mail_contact_create(user=None, municipality=world.mun_a,
                                  data={"name": "Anna", "email": "anna@aadorp.example", "function": ""})
    page.goto(f"{live_server.url}/rapportage/bezettingsmail/afmelden/{unsubscribe_token(contact)}/")
    expect(page.get_by_text("Wilt u de dagelijkse bezettingsmail van Aadorp niet meer ontvangen?")).to_be_visible()
    shot(page, "mail-03-unsubscribe-confirm")
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_text("U bent afgemeld")).to_be_visible()
    shot(page, "mail-04-unsubscribed")
    contact.refresh_from_db()
    assert (contact.active, contact.switched_off_via) == (False, "link")
