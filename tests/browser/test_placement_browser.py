"""The belteam at work in a real browser: a family of four with an infant and a dog is placed by
keyboard, from the queue to the confirmation text; and the placement screens pass WCAG checks."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from locations.models import Room
from placements.models import Placement, PlacementStatus
from placements.services import placement_confirm, placement_reserve
from placements.supra import supra_request_create
from tests.conftest import PASSWORD
from tests.factories import (
    ContactPersonFactory,
    LocationFactory,
    RoomFactory,
    family_of_four_with_infant,
    make_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


@pytest.fixture
def pet_locations(world):
    """Two 24/7 locations in municipality A (so a night arrival fits too): one takes pets and
    infants, with a 4-bed household room and a contact; one takes infants but no pets."""
    haven = LocationFactory(municipality=world.mun_a, code="AAD-002", name="De Haven", suitable_pets=True,
                            suitable_infants=True, intake_24_7=True)
    room = RoomFactory(location=haven, number="1.04", beds=4)
    ContactPersonFactory(location=haven, name="M. Jansen", function="locatiemanager", phone="0592 123 456",
                         email="haven@example.org")
    no_pets = LocationFactory(municipality=world.mun_a, code="AAD-003", name="Zonder Dieren",
                              suitable_infants=True, intake_24_7=True)
    RoomFactory(location=no_pets, number="2.01", beds=4)
    return haven, room, no_pets


def _login(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/locaties/"))


def _date_keys(page: Page) -> str:
    """The order in which this Chromium's date input takes digits: it follows the browser's own
    language (here often en-US: mm-dd-jjjj), not the page's. Probed once on a scratch input."""
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<input type=date id=date-probe>')")
    page.locator("#date-probe").focus()
    page.keyboard.type("01022003")
    value = page.locator("#date-probe").input_value()
    page.evaluate("document.getElementById('date-probe').remove()")
    return "%m%d%Y" if value == "2003-01-02" else "%d%m%Y"


def _tab_until_focused(page: Page, selector: str, most: int = 4) -> None:
    """Tab on; a date input may keep the focus in its own segments for a Tab or two."""
    for _press in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} not reached by Tab")


def _type_member(page: Page, index: int, date_keys: str, *, first: str, last: str, born: dt.date, sex: str,
                 relation: str | None) -> None:
    """One household row, typed: the focus starts in the row's first name."""
    row = f"#id_members-{index}-"
    page.keyboard.type(first)
    page.keyboard.press("Tab")
    page.keyboard.type(last)
    page.keyboard.press("Tab")
    page.keyboard.type(born.strftime(date_keys))
    _tab_until_focused(page, row + "sex")
    page.keyboard.type(sex)  # type-ahead in the closed select
    page.keyboard.press("Tab")
    if relation:
        page.keyboard.type(relation)
    page.keyboard.press("Tab")  # nationality keeps its default
    page.keyboard.press("Tab")  # into the V-number, the row's last input


def test_belteam_places_family_with_infant_and_dog_by_keyboard(page: Page, live_server, personas, world,
                                                               pet_locations, screenshot):
    haven, room, _no_pets = pet_locations
    make_request(region=world.noord, urgency="acute", members=[
        {"first_name": "Oksana", "last_name": "Wachtrij-Test", "date_of_birth": dt.date(1978, 2, 3), "sex": "f",
         "relation": "main"}])
    make_request(region=world.noord, members=family_of_four_with_infant("Bondarenko-Test"), pets_count=2,
                 pets_kind="katten")
    _login(page, live_server, personas.belteam)

    page.goto(f"{live_server.url}/plaatsingen/")
    expect(page.get_by_role("heading", name="Wachtrij plaatsingsverzoeken")).to_be_visible()
    expect(page.locator("tbody tr").first).to_contain_text("Wachtrij-Test")  # acute first
    screenshot("placement-01-queue")
    date_keys = _date_keys(page)

    new = page.get_by_role("link", name="Nieuw verzoek")
    new.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Nieuw plaatsingsverzoek")).to_be_visible()
    first_name = page.locator("#id_members-0-first_name")
    expect(first_name).to_be_focused()  # straight to typing
    screenshot("placement-02-new-empty")

    today = timezone.localdate()
    family = [
        dict(first="Iryna", last="Kovalenko-Test", born=dt.date(1991, 3, 14), sex="V", relation=None),
        dict(first="Taras", last="Kovalenko-Test", born=dt.date(1989, 7, 2), sex="M", relation="P"),
        dict(first="Sofiia", last="Kovalenko-Test", born=dt.date(2018, 9, 30), sex="V", relation=None),
        dict(first="Marko", last="Kovalenko-Test", born=today - dt.timedelta(days=120), sex="M", relation=None),
    ]
    for index, member in enumerate(family):
        expect(page.locator(f"#id_members-{index}-first_name")).to_be_focused()
        _type_member(page, index, date_keys, **member)
        expect(page.locator(f"#id_members-{index}-v_number")).to_be_focused()
        if index < len(family) - 1:
            page.keyboard.press("Enter")  # Enter in the last input of the last row adds a row
    expect(page.locator("[data-member-row]")).to_have_count(4)
    expect(page.locator("#id_members-1-relation")).to_have_value("partner")
    expect(page.locator("#id_members-3-relation")).to_have_value("child")
    expect(page.locator("#id_members-0-date_of_birth")).to_have_value("1991-03-14")
    expect(page.locator("#id_members-3-date_of_birth")).to_have_value((today - dt.timedelta(days=120)).isoformat())

    # From the last V-number: the row's remove button, "Gezinslid toevoegen", then the pets.
    for _step in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_label("Aantal huisdieren")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Soort huisdier(en)")).to_be_focused()
    page.keyboard.type("hond")
    page.keyboard.press("Tab")

    panel = page.locator("#candidates")
    expect(panel.locator('[data-location="AAD-002"]')).to_be_visible()
    expect(panel.locator('[data-location="AAD-003"]')).to_have_count(0)
    expect(panel).to_contain_text("3 locaties: geen huisdieren")  # Zonder Dieren, Het Anker, De Beuk
    expect(panel).to_contain_text("kamer 1.04 (4 bedden) · 4 personen")
    screenshot("placement-03-new-with-candidates")

    place = panel.get_by_role("button", name="Plaatsen").first
    place.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="4 personen naar De Haven?")).to_be_visible()
    confirm = page.get_by_role("button", name="Plaatsen en bevestigen")
    expect(confirm).to_be_focused()
    expect(page.get_by_label("Locatie mailen")).to_be_checked()
    screenshot("placement-04-confirm")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Kovalenko-Test → De Haven")).to_be_visible()
    expect(page.get_by_role("link", name="0592 123 456")).to_have_attribute("href", "tel:0592123456")
    text = page.get_by_role("textbox", name="Bevestigingstekst")
    expect(text).to_have_value(re.compile(r"Plaatsing bevestigd: De Haven"))
    expect(text).to_have_value(re.compile(r"Marko Kovalenko-Test \(0\)"))
    page.get_by_role("button", name="Kopieer").click()
    expect(page.locator("#copy-status")).not_to_be_empty()
    screenshot("placement-05-placement-page")

    room.refresh_from_db()
    assert room.occupants == 4
    placement = Placement.objects.get(location=haven)
    assert placement.status == PlacementStatus.CONFIRMED and placement.persons == 4
    assert placement.request.pets_count == 1 and placement.request.pets_kind == "hond"


def test_placement_screens_have_no_wcag_violations(page: Page, live_server, personas, world, pet_locations,
                                                   screenshot):
    haven, room, no_pets = pet_locations
    waiting = make_request(region=world.noord, members=family_of_four_with_infant(), care_need=True)
    placed = make_request(region=world.noord, members=family_of_four_with_infant("Melnyk-Test"))
    placement = placement_confirm(user=personas.belteam, placement=placement_reserve(
        user=personas.belteam, request=placed, allocation=[(room.pk, 4)]))
    forwarded = supra_request_create(user=personas.belteam, request=make_request(region=world.noord),
                                     contact_name="Belteam Noord", contact_phone="0592 000 111")
    _login(page, live_server, personas.coordinator)
    axe, base = Axe(), live_server.url
    pages = {
        "queue": "/plaatsingen/",
        "new": "/plaatsingen/nieuw/",
        "request": f"/plaatsingen/verzoek/{waiting.uuid}/",
        "placement": f"/plaatsingen/plaatsing/{placement.uuid}/",
        "transfer": f"/plaatsingen/plaatsing/{placement.uuid}/overplaatsen/",
        "swap": f"/plaatsingen/plaatsing/{placement.uuid}/ruilen/",
        "residents": f"/plaatsingen/locatie/{haven.uuid}/bewoners/",
        "forward": f"/plaatsingen/verzoek/{waiting.uuid}/doorzetten/",
        "supra": f"/plaatsingen/bovenregionaal/{forwarded.uuid}/",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(base + path)
        results = axe.run(page, options=WCAG)
        if results.violations_count:
            problems[name] = results.generate_report()
        if name in ("request", "transfer", "swap", "residents", "forward", "supra"):
            screenshot(f"placement-a11y-{name}")

    # The new-request screen with errors, and its live candidates panel after a change.
    page.goto(base + "/plaatsingen/nieuw/")
    page.get_by_role("button", name="Opslaan zonder plaatsen").click()
    expect(page.locator("#error-summary")).to_be_focused()
    screenshot("placement-a11y-new-with-errors")
    results = axe.run(page, options=WCAG)
    if results.violations_count:
        problems["new-with-errors"] = results.generate_report()
    # The confirmation step, from the request page (De Haven is taken: Zonder Dieren fits).
    page.goto(base + f"/plaatsingen/verzoek/{waiting.uuid}/")
    page.get_by_role("button", name="Plaatsen").first.click()
    expect(page.get_by_role("button", name="Plaatsen en bevestigen")).to_be_focused()
    results = axe.run(page, options=WCAG)
    if results.violations_count:
        problems["confirm"] = results.generate_report()
    # Taken meanwhile: a colleague fills Zonder Dieren's room before the confirmation click.
    other = make_request(region=world.noord, members=family_of_four_with_infant("Shevchenko-Test"))
    placement_reserve(user=personas.belteam, request=other,
                      allocation=[(Room.objects.get(location=no_pets).pk, 4)])
    page.get_by_role("button", name="Plaatsen en bevestigen").click()
    expect(page.get_by_role("heading", name="Niet meer beschikbaar")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    screenshot("placement-a11y-not-available")
    results = axe.run(page, options=WCAG)
    if results.violations_count:
        problems["not-available"] = results.generate_report()
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
    assert Room.objects.get(pk=room.pk).occupants == 4


def test_household_rows_are_added_and_removed_without_gaps(page: Page, live_server, personas, world):
    _login(page, live_server, personas.belteam)
    page.goto(f"{live_server.url}/plaatsingen/nieuw/")
    add = page.get_by_role("button", name="Gezinslid toevoegen")
    for _row in range(2):
        add.focus()
        page.keyboard.press("Enter")
    expect(page.locator("[data-member-row]")).to_have_count(3)
    expect(page.locator("#id_members-2-first_name")).to_be_focused()
    page.keyboard.type("Derde")
    page.get_by_role("button", name="gezinslid 2 verwijderen").click()
    expect(page.locator("[data-member-row]")).to_have_count(2)
    expect(page.locator("[name=members-TOTAL_FORMS]")).to_have_value("2")
    expect(page.locator("#id_members-1-first_name")).to_have_value("Derde")  # renumbered, no gap
    expect(page.get_by_role("button", name="Gezinslid toevoegen")).to_be_focused()
    # Enter in an ordinary field does not submit the form.
    page.locator("#id_members-0-first_name").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/plaatsingen/nieuw/$"))
    expect(page.locator("[data-member-row]")).to_have_count(2)
