"""A gemeente user keeps its rooms current in a real browser, and the overview follows."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from locations.models import Room, RoomState
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _available(page: Page) -> int:
    # Shown with a thousands separator (4.151 in Dutch).
    return int(page.locator("#total-available").inner_text().replace(".", "").replace(",", ""))


def test_gemeente_blocks_a_room_and_the_available_count_drops(page: Page, live_server, personas, world, screenshot):
    room = world.rooms_a[3]  # 6 beds, empty, in the gemeente's own location
    page.goto(f"{live_server.url}/locaties/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Gebruikersnaam").fill(personas.gemeente_a.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    expect(page.get_by_role("heading", name="Capaciteitsoverzicht")).to_be_visible()
    expect(page.get_by_role("link", name=world.loc_b.name)).to_have_count(0)  # not its municipality
    before = _available(page)
    screenshot("registry-01-overview-before")

    page.get_by_role("link", name=world.loc_a.name).click()
    expect(page.get_by_role("heading", name=world.loc_a.name)).to_be_visible()
    page.locator(f'[data-room="{room.number}"]').get_by_role("link", name="Blokkeren").click()
    page.get_by_label("Reden").fill("Waterschade na lekkage")
    page.get_by_role("button", name="Blokkeren").click()
    expect(page.get_by_text(f"Kamer {room.number} is geblokkeerd")).to_be_visible()
    expect(page.locator(f'[data-room="{room.number}"]')).to_contain_text("Waterschade na lekkage")
    screenshot("registry-02-location-after-block")

    page.get_by_role("link", name="Capaciteit").first.click()
    expect(page.get_by_role("heading", name="Capaciteitsoverzicht")).to_be_visible()
    assert _available(page) == before - room.beds
    screenshot("registry-03-overview-after")

    room.refresh_from_db()
    assert room.state == RoomState.BLOCKED
    assert Room.history.filter(id=room.pk).first().history_user_id == personas.gemeente_a.pk


def test_language_switch_to_english(page: Page, live_server, personas, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(personas.belteam.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_label("Taal").select_option("en")
    expect(page.get_by_role("heading", name="Capacity overview")).to_be_visible()
