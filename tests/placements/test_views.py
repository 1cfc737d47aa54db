"""The belteam screens over HTTP: queue, new request with live candidates, placing with one
confirmation, the placement page, lifecycle buttons, transfers and swaps, residents, forwarding."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from locations.models import Room
from placements.models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementStatus,
    RequestStatus,
    SupraRegionalRequest,
    SupraRegionalStatus,
)
from placements.services import placement_confirm, placement_reserve, request_take
from tests.factories import (
    ContactPersonFactory,
    LocationFactory,
    RoomFactory,
    family_of_four_with_infant,
    make_request,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("placements:queue")
NEW = reverse("placements:request_new")
PREVIEW = reverse("placements:preview")


# --- helpers and fixtures ---------------------------------------------------------------------

def counts() -> tuple[int, int, int, int]:
    return (PlacementRequest.objects.count(), HouseholdMember.objects.count(), PlacementEvent.objects.count(),
            Placement.objects.count())


def tomorrow_at(hour: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def form_data(world, members, *, arrival: dt.datetime | None = None, **extra) -> dict[str, str]:
    """What the new-request screen posts: request fields and one formset row per member."""
    arrival = timezone.localtime(arrival or tomorrow_at(14))
    data = {
        "region": str(world.noord.pk), "source": "lcvs", "urgency": "normal",
        "arrival_date": arrival.date().isoformat(), "arrival_time": arrival.strftime("%H:%M"),
        "pets_count": "0", "pets_kind": "", "requested_by_name": "LCVS-medewerker",
        "members-TOTAL_FORMS": str(len(members)), "members-INITIAL_FORMS": "1" if members else "0",
        "members-MIN_NUM_FORMS": "0", "members-MAX_NUM_FORMS": "12",
    }
    for index, member in enumerate(members):
        for name, value in member.items():
            data[f"members-{index}-{name}"] = value.isoformat() if isinstance(value, dt.date) else str(value)
        data.setdefault(f"members-{index}-nationality", "Oekraïens")
    data.update({name: str(value) for name, value in extra.items()})
    return data


ONE_ADULT = [{"first_name": "Olena", "last_name": "Proefenko", "date_of_birth": dt.date(1990, 4, 1), "sex": "f",
              "relation": "main"}]


@pytest.fixture
def haven(world):
    """A location in municipality A that takes pets and infants, with one 4-bed household room."""
    location = LocationFactory(municipality=world.mun_a, code="AAD-002", name="De Haven", suitable_pets=True,
                               suitable_infants=True, intake_24_7=True)
    room = RoomFactory(location=location, number="1.04", beds=4)
    contact = ContactPersonFactory(location=location, name="Jansen", function="locatiemanager",
                                   phone="0592 123 456", email="haven@example.org")
    return type("Haven", (), {"location": location, "room": room, "contact": contact})


def place(user, request, room, persons, *, confirm=True):
    placement = placement_reserve(user=user, request=request, allocation=[(room.pk, persons)])
    if confirm:
        placement = placement_confirm(user=user, placement=placement)
    return placement


# --- queue ------------------------------------------------------------------------------------

def test_queue_lists_urgent_first_then_oldest(world, personas, login):
    now = timezone.now()
    old_normal = make_request(region=world.noord)
    PlacementRequest.objects.filter(pk=old_normal.pk).update(received_at=now - dt.timedelta(hours=5))
    new_acute = make_request(region=world.noord, urgency="acute")
    old_high = make_request(region=world.noord, urgency="high")
    PlacementRequest.objects.filter(pk=old_high.pk).update(received_at=now - dt.timedelta(hours=2))
    newer_high = make_request(region=world.noord, urgency="high")
    placed = make_request(region=world.noord)
    place(personas.belteam, placed, world.rooms_a[0], 1)

    content = login(personas.belteam).get(QUEUE).content.decode()

    order = [str(r.uuid) for r in (new_acute, old_high, newer_high, old_normal)]
    positions = [content.index(f'data-request="{uuid}"') for uuid in order]
    assert positions == sorted(positions)
    assert str(placed.uuid) not in content  # placed: no longer open
    assert 'accesskey="n"' in content and "Nieuw verzoek" in content
    assert "Acuut" in content


@pytest.mark.parametrize("persona, status", [
    ("belteam", 200), ("coordinator", 200), ("beheerder", 200), ("gemeente_a", 404), ("bestuur", 404),
])
def test_queue_only_for_placing_roles(world, personas, login, persona, status):
    make_request(region=world.noord)
    assert login(getattr(personas, persona)).get(QUEUE).status_code == status


def test_queue_outsider_sees_none_of_noord(world, personas, login):
    request = make_request(region=world.noord)
    response = login(personas.outsider).get(QUEUE)
    assert response.status_code == 200
    assert str(request.uuid) not in response.content.decode()


def test_queue_needs_login(client, world):
    response = client.get(QUEUE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_nav_link_only_for_placing_roles(world, personas, login):
    assert "Plaatsen</a>" in login(personas.belteam).get(reverse("locations:overview")).content.decode()
    assert "Plaatsen</a>" not in login(personas.gemeente_a).get(reverse("locations:overview")).content.decode()


def _queue_queries(login, user) -> int:
    client = login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(QUEUE).status_code == 200
    return len(ctx)


def test_queue_query_count_does_not_grow_with_requests(world, personas, login):
    family = family_of_four_with_infant()
    for _i in range(2):
        make_request(region=world.noord, members=family, pets_count=1, pets_kind="hond")
    few = _queue_queries(login, personas.belteam)
    for _i in range(8):
        request_take(user=personas.coordinator, request=make_request(region=world.noord, members=family))
    reserved = make_request(region=world.noord)
    place(personas.belteam, reserved, world.rooms_a[0], 1, confirm=False)
    assert _queue_queries(login, personas.belteam) == few


# --- new request: preview ---------------------------------------------------------------------

def test_new_request_screen_has_sensible_defaults(world, personas, login):
    response = login(personas.belteam).get(NEW)
    assert response.status_code == 200
    content = response.content.decode()
    form = response.context["form"]
    assert form["source"].value() == "lcvs" and form["urgency"].value() == "normal"
    arrival = timezone.make_aware(dt.datetime.combine(form["arrival_date"].value(), form["arrival_time"].value()))
    assert timezone.now() < arrival <= timezone.now() + dt.timedelta(hours=1)
    assert arrival.minute == 0
    first, empty = response.context["formset"].forms[0], response.context["formset"].empty_form
    assert first["relation"].value() == "main" and empty["relation"].value() == "child"
    assert first["nationality"].value() == "Oekraïens"
    assert 'id="member-template"' in content and "__prefix__" in content
    assert 'hx-post="/plaatsingen/nieuw/kandidaten/"' in content
    assert 'hx-trigger="change delay:300ms"' in content
    assert "js/household.js" in content


def test_new_request_is_404_for_roles_that_do_not_place(world, personas, login):
    for persona in (personas.gemeente_a, personas.bestuur):
        client = login(persona)
        assert client.get(NEW).status_code == 404
        assert client.post(PREVIEW, form_data(world, ONE_ADULT)).status_code == 404


def test_preview_shows_candidates_and_writes_nothing(world, personas, login, haven):
    before = counts()
    response = login(personas.belteam).post(PREVIEW, form_data(world, family_of_four_with_infant(),
                                                               pets_count=1, pets_kind="hond"),
                                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "De Haven" in content
    assert f'value="{haven.room.pk}:4"' in content  # the Plaatsen button carries the allocation
    assert "kamer 1.04 (4 bedden) · 4 personen" in content
    assert "tel:0592123456" in content
    assert "geen huisdieren" in content  # Het Anker and De Beuk take no pets
    assert 'id="candidates-status" hx-swap-oob="innerHTML"' in content
    assert "<html" not in content  # the partial only
    assert counts() == before


@pytest.mark.parametrize("case, message", [
    ("no_members", "Voeg minstens één gezinslid toe."),
    ("born_in_future", "De geboortedatum ligt in de toekomst."),
    ("arrival_in_past", "De verwachte aankomst ligt in het verleden."),
    ("two_main_applicants", "Een huishouden heeft precies één hoofdaanvrager."),
    ("pets_without_kind", "Vul de soort huisdier in."),
])
def test_impossible_households_are_refused_in_dutch_and_nothing_written(world, personas, login, case, message):
    members = [dict(m) for m in ONE_ADULT]
    extra, arrival = {}, None
    if case == "no_members":
        members = []
    elif case == "born_in_future":
        members[0]["date_of_birth"] = timezone.localdate() + dt.timedelta(days=30)
    elif case == "arrival_in_past":
        arrival = timezone.now() - dt.timedelta(days=2)
    elif case == "two_main_applicants":
        members.append({**members[0], "first_name": "Petro"})
    elif case == "pets_without_kind":
        extra = {"pets_count": 2}
    data = form_data(world, members, arrival=arrival, **extra)
    client = login(personas.belteam)
    before = counts()

    preview = client.post(PREVIEW, data, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200
    assert message in preview.content.decode()
    assert "Nog geen kandidaten" in preview.content.decode()

    saved = client.post(NEW, {**data, "action": "save"})
    assert saved.status_code == 400
    assert message in saved.content.decode()
    assert 'class="error-summary"' in saved.content.decode()
    assert counts() == before


def test_preview_warns_about_possible_duplicates(world, personas, login):
    existing = make_request(region=world.noord, members=family_of_four_with_infant())
    response = login(personas.belteam).post(PREVIEW, form_data(world, family_of_four_with_infant()[:1]),
                                            HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "Mogelijk dubbel: Iryna Kovalenko-Test (14-03-1991) staat al in verzoek" in content
    assert str(existing.uuid)[:8] in content and "(status nieuw)" in content


def test_save_without_placing_creates_the_request_and_goes_to_the_queue(world, personas, login):
    before = counts()
    response = login(personas.belteam).post(NEW, {**form_data(world, family_of_four_with_infant()),
                                                  "action": "save"})
    assert response.status_code == 302 and response["Location"] == QUEUE
    request = PlacementRequest.objects.get()
    assert request.members.count() == 4 and request.created_by == personas.belteam
    assert request.status == RequestStatus.NEW and request.requested_by_name == "LCVS-medewerker"
    assert counts()[:3] == (before[0] + 1, before[1] + 4, before[2] + 1)
    assert request.events.get().kind == PlacementEvent.Kind.REQUEST_CREATED


def test_an_untouched_extra_row_is_ignored(world, personas, login):
    data = form_data(world, ONE_ADULT)
    data.update({"members-TOTAL_FORMS": "2", "members-1-relation": "child", "members-1-nationality": "Oekraïens",
                 "members-1-first_name": "", "members-1-last_name": "", "members-1-date_of_birth": "",
                 "members-1-sex": "", "action": "save"})
    assert login(personas.belteam).post(NEW, data).status_code == 302
    assert HouseholdMember.objects.count() == 1


def test_add_member_without_javascript_adds_an_empty_row(world, personas, login):
    before = counts()
    response = login(personas.belteam).post(NEW, {**form_data(world, ONE_ADULT), "action": "add_member"})
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert 'name="members-1-first_name"' in response.content.decode()
    assert counts() == before


# --- new request: placing ---------------------------------------------------------------------

def test_place_flow_one_confirmation_then_placement_page(world, personas, login, haven):
    client = login(personas.belteam)
    data = form_data(world, family_of_four_with_infant(), pets_count=1, pets_kind="hond")
    allocation = f"{haven.room.pk}:4"
    before = counts()

    step = client.post(NEW, {**data, "allocation": allocation})
    assert step.status_code == 200
    content = step.content.decode()
    assert "Plaatsen en bevestigen" in content and "Alleen reserveren (4 uur)" in content
    assert 'name="notify_location"' in content and "checked" in content  # the location has an e-mail
    assert "De Haven" in content and "Kovalenko-Test" in content
    assert counts() == before  # the confirmation step writes nothing
    assert ("members-3-first_name", "Marko") in step.context["carry"]

    back = client.post(NEW, {**data, "allocation": allocation, "action": "back"})
    assert back.status_code == 200 and 'value="Marko"' in back.content.decode()
    assert counts() == before

    done = client.post(NEW, {**data, "allocation": allocation, "action": "confirm"})
    placement = Placement.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("placements:placement_detail", args=[placement.uuid])
    assert placement.status == PlacementStatus.CONFIRMED
    assert placement.request.status == RequestStatus.PLACED
    assert Room.objects.get(pk=haven.room.pk).occupants == 4
    kinds = set(placement.request.events.values_list("kind", flat=True))
    assert {"request_created", "reserved", "confirmed"} <= kinds

    page = client.get(done["Location"]).content.decode()
    assert "Jansen" in page and 'href="tel:0592123456"' in page and "0592 123 456" in page
    assert "Plaatsing bevestigd: De Haven" in page and "Iryna Kovalenko-Test" in page
    assert '<textarea id="confirmation-text" readonly' in page and "data-copy=" in page


def test_location_mail_is_queued_on_commit_when_checked(world, personas, login, haven,
                                                        django_capture_on_commit_callbacks):
    client = login(personas.belteam)
    data = {**form_data(world, ONE_ADULT), "allocation": f"{haven.room.pk}:1", "action": "confirm"}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(NEW, data)
    assert callbacks == []  # not checked: no mail

    other = [{**ONE_ADULT[0], "first_name": "Anna", "last_name": "Proef"}]
    room = RoomFactory(location=haven.location, number="1.05", beds=2)
    data = {**form_data(world, other), "allocation": f"{room.pk}:1", "action": "confirm", "notify_location": "on"}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(NEW, data)
    assert response.status_code == 302
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["haven@example.org"]]
    assert "Anna Proef" in mail.outbox[0].body
    assert PlacementEvent.objects.filter(kind=PlacementEvent.Kind.MAIL_SENT).count() == 1


def test_reserve_only_keeps_the_beds_for_some_hours(world, personas, login, haven, settings):
    settings.PLACEMENT_RESERVATION_HOURS = 3
    response = login(personas.belteam).post(NEW, {**form_data(world, ONE_ADULT),
                                                  "allocation": f"{haven.room.pk}:1", "action": "reserve"})
    placement = Placement.objects.get()
    assert response.status_code == 302
    assert placement.status == PlacementStatus.RESERVED
    assert placement.reserved_until == placement.reserved_at + dt.timedelta(hours=3)
    assert placement.request.status == RequestStatus.RESERVED


def test_a_room_taken_meanwhile_is_not_available_and_nothing_written(world, personas, login, haven):
    client = login(personas.belteam)
    data = form_data(world, family_of_four_with_infant(), pets_count=1, pets_kind="hond")
    allocation = f"{haven.room.pk}:4"
    assert client.post(NEW, {**data, "allocation": allocation}).status_code == 200
    other_room = RoomFactory(location=haven.location, number="1.06", beds=5)
    # Meanwhile a colleague places someone else in room 1.04.
    place(personas.coordinator, make_request(region=world.noord), haven.room, 1)
    before = counts()

    response = client.post(NEW, {**data, "allocation": allocation, "action": "confirm"})

    assert response.status_code == 409
    content = response.content.decode()
    assert "Niet meer beschikbaar" in content
    assert "Kamer 1.04 is niet meer beschikbaar." in content
    assert f'value="{other_room.pk}:4"' in content  # fresh candidates
    assert f'value="{allocation}"' not in content
    assert 'value="Marko"' in content  # the typed household is still there
    assert counts() == before
    assert Room.objects.get(pk=haven.room.pk).occupants == 1


def test_place_refuses_an_allocation_of_another_region(world, personas, login):
    before = counts()
    response = login(personas.belteam).post(NEW, {**form_data(world, ONE_ADULT),
                                                  "allocation": f"{world.rooms_c[0].pk}:1", "action": "confirm"})
    assert response.status_code == 409
    assert "Niet meer beschikbaar" in response.content.decode()
    assert counts() == before and Room.objects.get(pk=world.rooms_c[0].pk).occupants == 0


def test_no_candidate_offers_forwarding_to_the_kcio(world, personas, login):
    response = login(personas.belteam).post(PREVIEW, form_data(world, ONE_ADULT, pets_count=1, pets_kind="kat"),
                                            HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "0 passende locaties" in content
    assert 'name="action" value="forward"' in content
    assert "2 locaties: geen huisdieren" in content


def test_save_and_forward_goes_to_the_supra_form(world, personas, login):
    response = login(personas.belteam).post(NEW, {**form_data(world, ONE_ADULT), "action": "forward"})
    request = PlacementRequest.objects.get()
    assert response["Location"] == reverse("placements:request_forward", args=[request.uuid])


# --- request page -----------------------------------------------------------------------------

def test_request_page_shows_household_events_and_candidates(world, personas, login):
    request = make_request(region=world.noord, members=family_of_four_with_infant(), user=personas.belteam,
                           care_need=True)
    response = login(personas.belteam).get(reverse("placements:request_detail", args=[request.uuid]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Sofiia" in content and "Verzoek ontvangen" in content
    assert "details staan niet hier maar in de casuïstiek" in content
    assert "niet geschikt voor zuigelingen" in content  # Het Anker and De Beuk take no infants
    assert 'id="place-form"' in content


@pytest.mark.parametrize("persona", ["outsider", "gemeente_a", "bestuur"])
def test_request_page_is_404_outside_scope(world, personas, login, persona):
    request = make_request(region=world.noord)
    client = login(getattr(personas, persona))
    assert client.get(reverse("placements:request_detail", args=[request.uuid])).status_code == 404
    assert client.post(reverse("placements:request_take", args=[request.uuid])).status_code == 404


def test_take_and_cancel_write_events(world, personas, login):
    request = make_request(region=world.noord)
    client = login(personas.belteam)
    client.post(reverse("placements:request_take", args=[request.uuid]))
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS and request.assigned_to == personas.belteam

    url = reverse("placements:request_cancel", args=[request.uuid])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Dit veld is vereist." in refused.content.decode()
    assert PlacementRequest.objects.get(pk=request.pk).status == RequestStatus.IN_PROGRESS

    assert client.post(url, {"reason": "Familie heeft zelf opvang gevonden"}).status_code == 302
    event = request.events.filter(to_status=RequestStatus.CANCELLED).get()
    assert event.reason == "Familie heeft zelf opvang gevonden" and event.actor == personas.belteam


def test_place_from_the_request_page(world, personas, login):
    request = make_request(region=world.noord)
    room = world.rooms_a[0]
    client = login(personas.belteam)
    url = reverse("placements:request_place", args=[request.uuid])

    step = client.post(url, {"allocation": f"{room.pk}:1"})
    assert step.status_code == 200 and "Plaatsen en bevestigen" in step.content.decode()
    assert not Placement.objects.exists()

    done = client.post(url, {"allocation": f"{room.pk}:1", "action": "confirm"})
    placement = Placement.objects.get()
    assert done["Location"] == reverse("placements:placement_detail", args=[placement.uuid])
    assert placement.status == PlacementStatus.CONFIRMED and Room.objects.get(pk=room.pk).occupants == 1


def test_place_from_the_request_page_when_taken_meanwhile(world, personas, login):
    request = make_request(region=world.noord)
    room = world.rooms_a[0]
    place(personas.coordinator, make_request(region=world.noord), room, 1)
    before = counts()
    response = login(personas.belteam).post(reverse("placements:request_place", args=[request.uuid]),
                                            {"allocation": f"{room.pk}:1", "action": "confirm"})
    assert response.status_code == 409 and "Niet meer beschikbaar" in response.content.decode()
    assert counts() == before


# --- placement page and lifecycle ---------------------------------------------------------------

def test_placement_page_without_contact_says_so(world, personas, login):
    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[0], 1)
    content = login(personas.belteam).get(reverse("placements:placement_detail", args=[placement.uuid])).content
    assert "Geen contactpersoon bekend" in content.decode()


def test_confirm_a_reservation_from_the_placement_page(world, personas, login, haven,
                                                       django_capture_on_commit_callbacks):
    placement = place(personas.belteam, make_request(region=world.noord), haven.room, 1, confirm=False)
    client = login(personas.belteam)
    page = client.get(reverse("placements:placement_detail", args=[placement.uuid])).content.decode()
    assert "Gereserveerd tot" in page and "Plaatsing bevestigen" in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("placements:placement_confirm", args=[placement.uuid]),
                               {"notify_location": "on"})
    assert response.status_code == 302 and len(callbacks) == 1
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.CONFIRMED


def test_arrive_depart_and_release_buttons(world, personas, login):
    client = login(personas.belteam)
    room = world.rooms_a[2]
    placement = place(personas.belteam, make_request(region=world.noord), room, 1)
    client.post(reverse("placements:placement_arrive", args=[placement.uuid]))
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ARRIVED

    url = reverse("placements:placement_depart", args=[placement.uuid])
    future = client.post(url, {"on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
                               "reason": "own_housing"})
    assert future.status_code == 400 and "De vertrekdatum ligt in de toekomst." in future.content.decode()
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ARRIVED

    client.post(url, {"on": timezone.localdate().isoformat(), "reason": "own_housing", "note": "huurwoning"})
    placement.refresh_from_db()
    assert placement.status == PlacementStatus.DEPARTED and placement.departure_note == "huurwoning"
    assert Room.objects.get(pk=room.pk).occupants == 0
    kinds = list(placement.events.values_list("kind", flat=True))
    assert "arrived" in kinds and "departed" in kinds

    second = place(personas.belteam, make_request(region=world.noord), room, 1, confirm=False)
    client.post(reverse("placements:placement_release", args=[second.uuid]), {"reason": "Familie belt niet terug"})
    second.refresh_from_db()
    assert second.status == PlacementStatus.RELEASED and second.request.status == RequestStatus.IN_PROGRESS
    assert second.events.get(kind="released").reason == "Familie belt niet terug"
    # Releasing twice: a clear error, nothing changes.
    again = client.post(reverse("placements:placement_release", args=[second.uuid]), {"reason": "nogmaals"})
    assert again.status_code == 409 and "Vrijgeven kan niet vanuit status" in again.content.decode()


def test_gemeente_registers_arrival_at_its_own_location_only(world, personas, login):
    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[1], 1)
    client = login(personas.gemeente_b)
    assert client.post(reverse("placements:placement_arrive", args=[placement.uuid])).status_code == 404
    client = login(personas.gemeente_a)
    page = client.get(reverse("placements:placement_detail", args=[placement.uuid])).content.decode()
    assert "Bevestigingstekst" not in page and "Verloop" not in page
    assert client.post(reverse("placements:placement_release", args=[placement.uuid]),
                       {"reason": "x"}).status_code == 404
    assert client.post(reverse("placements:placement_arrive", args=[placement.uuid])).status_code == 302
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ARRIVED


def test_placement_page_is_404_for_outsider_and_bestuur(world, personas, login):
    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[1], 1)
    for persona in (personas.outsider, personas.bestuur):
        assert login(persona).get(reverse("placements:placement_detail", args=[placement.uuid])).status_code == 404


# --- transfers and swaps ----------------------------------------------------------------------

def test_coordinator_transfers_a_household(world, personas, login):
    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[2], 1)
    client = login(personas.coordinator)
    url = reverse("placements:placement_transfer", args=[placement.uuid])
    page = client.get(url).content.decode()
    target = world.rooms_b[0]
    assert "Verplaatsen" in page and f'value="{world.rooms_a[0].pk}:1"' in page

    refused = client.post(url, {"reason": "", "allocation": f"{target.pk}:1"})
    assert refused.status_code == 400 and Placement.objects.count() == 1

    response = client.post(url, {"reason": "Dichter bij school", "allocation": f"{target.pk}:1"})
    new = Placement.objects.get(transferred_from=placement)
    assert response["Location"] == reverse("placements:placement_detail", args=[new.uuid])
    assert new.location == world.loc_b and new.status == PlacementStatus.CONFIRMED
    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0 and Room.objects.get(pk=target.pk).occupants == 1
    assert new.events.get(kind="transferred").reason == "Dichter bij school"


def test_a_municipality_sees_that_its_household_moved_not_where_to(world, personas, login, api_for):
    """Issue 6, point 12: a transfer to a location of another municipality is "verplaatst" for the
    municipality the household left: no name, no room numbers, no link of the other location."""
    from placements.services import placement_transfer

    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[2], 1)
    new = placement_transfer(user=personas.coordinator, placement=placement,
                             allocation=[(world.rooms_b[1].pk, 1)], reason="Dichter bij De Beuk-school")
    url = reverse("placements:placement_detail", args=[placement.uuid])

    page = login(personas.gemeente_a).get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Dit huishouden is verplaatst." in content
    for leak in ("De Beuk", world.loc_b.code, "Beekdal", f"kamer {world.rooms_b[1].number}", str(new.uuid)):
        assert leak not in content, leak
    api = api_for(personas.gemeente_a).get(f"/api/v1/placements/{placement.uuid}/")
    for leak in ("De Beuk", world.loc_b.code, "Beekdal", str(new.uuid)):
        assert leak not in api.content.decode(), leak
    assert (api.json()["departure_reason"], api.json()["departure_note"]) == ("transfer", "verplaatst")
    seen_by_belteam = api_for(personas.belteam).get(f"/api/v1/placements/{placement.uuid}/").json()
    assert seen_by_belteam["departure_note"] == "Dichter bij De Beuk-school"

    content = login(personas.belteam).get(url).content.decode()  # within scope: the target is named
    assert "Dit huishouden is verplaatst:" in content and "De Beuk" in content
    assert reverse("placements:placement_detail", args=[new.uuid]) in content


def test_swap_between_two_households(world, personas, login):
    first = place(personas.belteam, make_request(region=world.noord), world.rooms_a[1], 1)
    other_request = make_request(region=world.noord, members=[
        {"first_name": "Anna", "last_name": "Proef", "date_of_birth": dt.date(1985, 1, 1), "sex": "f",
         "relation": "main"}])
    second = place(personas.belteam, other_request, world.rooms_b[0], 1)
    client = login(personas.coordinator)
    url = reverse("placements:placement_swap", args=[first.uuid])
    page = client.get(url).content.decode()
    assert "De Beuk · kamer B1 · 1 pers." in page

    response = client.post(url, {"other": second.pk, "reason": "Ruil op verzoek van beide gezinnen"})
    assert response.status_code == 302
    assert Placement.objects.get(transferred_from=first).location == world.loc_b
    assert Placement.objects.get(transferred_from=second).location == world.loc_a
    assert PlacementEvent.objects.filter(kind="swapped").count() == 2


def test_transfer_and_swap_are_for_coordinators_only(world, personas, login):
    placement = place(personas.belteam, make_request(region=world.noord), world.rooms_a[2], 1)
    client = login(personas.belteam)
    for name in ("placements:placement_transfer", "placements:placement_swap"):
        assert client.get(reverse(name, args=[placement.uuid])).status_code == 404
        assert client.post(reverse(name, args=[placement.uuid]), {"reason": "x"}).status_code == 404
    page = client.get(reverse("placements:placement_detail", args=[placement.uuid])).content.decode()
    assert "Overplaatsen" not in page
    assert Placement.objects.count() == 1


# --- residents --------------------------------------------------------------------------------

def test_residents_names_and_ages_only_for_own_municipality(world, personas, login):
    type(world.loc_a).objects.filter(pk=world.loc_a.pk).update(suitable_infants=True)
    request = make_request(region=world.noord, members=family_of_four_with_infant(), care_need=True,
                           notes="Vader heeft medicatie nodig")
    place(personas.belteam, request, world.rooms_a[2], 4)
    url_a = reverse("placements:residents", args=[world.loc_a.uuid])
    url_b = reverse("placements:residents", args=[world.loc_b.uuid])

    client = login(personas.gemeente_a)
    response = client.get(url_a)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Iryna" in content and "Kovalenko-Test" in content and "Marko Kovalenko-Test (0)" in content
    assert "zorg" not in content.lower() and "medicatie" not in content
    assert "1991" not in content  # ages, not dates of birth
    assert client.get(url_b).status_code == 404
    assert login(personas.bestuur).get(url_a).status_code == 404
    assert login(personas.outsider).get(url_a).status_code == 404
    assert "Iryna" in login(personas.belteam).get(url_a).content.decode()


def test_location_page_links_to_residents_for_those_who_may_see_them(world, personas, login):
    detail = reverse("locations:detail", args=[world.loc_a.uuid])
    residents = reverse("placements:residents", args=[world.loc_a.uuid])
    assert residents in login(personas.gemeente_a).get(detail).content.decode()
    assert residents in login(personas.belteam).get(detail).content.decode()
    assert residents not in login(personas.bestuur).get(detail).content.decode()


def _residents_queries(login, user, location) -> int:
    client = login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("placements:residents", args=[location.uuid])).status_code == 200
    return len(ctx)


def test_residents_query_count_does_not_grow(world, personas, login):
    type(world.loc_a).objects.filter(pk=world.loc_a.pk).update(suitable_infants=True)
    rooms = [RoomFactory(location=world.loc_a, number=f"R{i}", beds=4) for i in range(10)]
    for room in rooms[:2]:
        place(personas.belteam, make_request(region=world.noord, members=family_of_four_with_infant()), room, 4)
    few = _residents_queries(login, personas.gemeente_a, world.loc_a)
    for room in rooms[2:]:
        place(personas.belteam, make_request(region=world.noord, members=family_of_four_with_infant()), room, 4)
    assert _residents_queries(login, personas.gemeente_a, world.loc_a) == few


# --- forwarding to the KCIO -------------------------------------------------------------------

def test_forward_to_kcio_and_record_the_answer(world, personas, login):
    request = make_request(region=world.noord, members=family_of_four_with_infant())
    client = login(personas.belteam)
    url = reverse("placements:request_forward", args=[request.uuid])
    form = client.get(url)
    assert form.context["form"]["contact_name"].value() == personas.belteam.get_full_name()
    assert not form.context["form"]["contact_phone"].value()
    assert not form.context["form"]["include_names"].value()
    assert "namen zijn persoonsgegevens" in form.content.decode()

    refused = client.post(url, {"contact_name": "Belteam", "contact_phone": ""})
    assert refused.status_code == 400 and not SupraRegionalRequest.objects.exists()

    response = client.post(url, {"contact_name": "Belteam Noord", "contact_phone": "0592 000 111"})
    supra = SupraRegionalRequest.objects.get()
    assert response["Location"] == reverse("placements:supra_detail", args=[supra.uuid])
    assert supra.names == "" and supra.household_size == 4
    assert PlacementRequest.objects.get(pk=request.pk).status == RequestStatus.FORWARDED

    detail = reverse("placements:supra_detail", args=[supra.uuid])
    page = client.get(detail).content.decode()
    assert "Bovenregionaal verzoek aan KCIO" in page and "Iryna" not in page
    data = json.loads(client.get(detail, {"formaat": "json"}).content)
    assert data["household_size"] == 4 and "names" not in data
    text = client.get(detail, {"formaat": "txt"})
    assert text["Content-Type"].startswith("text/plain") and "0592 000 111" in text.content.decode()

    client.post(detail, {"status": SupraRegionalStatus.REJECTED, "note": "Geen plek landelijk"})
    assert SupraRegionalRequest.objects.get().status == SupraRegionalStatus.REJECTED
    assert PlacementRequest.objects.get(pk=request.pk).status == RequestStatus.IN_PROGRESS


def test_supra_pdf_download(world, personas, login):
    request = make_request(region=world.noord)
    client = login(personas.belteam)
    client.post(reverse("placements:request_forward", args=[request.uuid]),
                {"contact_name": "Belteam Noord", "contact_phone": "0592 000 111"})
    supra = SupraRegionalRequest.objects.get()
    response = client.get(reverse("placements:supra_detail", args=[supra.uuid]), {"formaat": "pdf"})
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_supra_pages_are_404_outside_scope(world, personas, login):
    request = make_request(region=world.noord)
    login(personas.belteam).post(reverse("placements:request_forward", args=[request.uuid]),
                                 {"contact_name": "Belteam Noord", "contact_phone": "0592 000 111"})
    supra = SupraRegionalRequest.objects.get()
    for persona in (personas.outsider, personas.gemeente_a, personas.bestuur):
        client = login(persona)
        assert client.get(reverse("placements:supra_detail", args=[supra.uuid])).status_code == 404
        assert client.get(reverse("placements:supra_detail", args=[supra.uuid]),
                          {"formaat": "json"}).status_code == 404


def test_supra_list_tracks_status_open_first_and_only_in_scope(world, personas, login):
    first, second = make_request(region=world.noord), make_request(region=world.noord)
    client = login(personas.belteam)
    for request in (first, second):
        client.post(reverse("placements:request_forward", args=[request.uuid]),
                    {"contact_name": "Belteam Noord", "contact_phone": "0592 000 111"})
    answered = SupraRegionalRequest.objects.get(request=first)
    client.post(reverse("placements:supra_detail", args=[answered.uuid]), {"status": SupraRegionalStatus.ACCEPTED})

    page = client.get(reverse("placements:supra_list"))
    rows = list(page.context["rows"])
    assert [s.request_id for s in rows] == [second.pk, first.pk]  # the open one first
    assert "Geaccepteerd" in page.content.decode() and "Verzonden" in page.content.decode()
    assert "Olena" not in page.content.decode()  # no names in the overview

    assert login(personas.outsider).get(reverse("placements:supra_list")).context["rows"].count() == 0
    for persona in (personas.gemeente_a, personas.bestuur):
        assert login(persona).get(reverse("placements:supra_list")).status_code == 404


def test_duplicate_search_is_one_query_for_the_whole_household(world, personas, django_assert_num_queries):
    from placements.selectors import possible_duplicates

    existing = make_request(region=world.noord, members=family_of_four_with_infant())
    people = [{"first_name": m.first_name, "last_name": m.last_name, "date_of_birth": m.date_of_birth}
              for m in existing.members.all()]
    with django_assert_num_queries(1):
        assert len(list(possible_duplicates(user=personas.belteam, people=people[:1]))) == 1
    with django_assert_num_queries(1):
        found = list(possible_duplicates(user=personas.belteam, people=people))
    assert sorted(m.first_name for m in found) == sorted(p["first_name"] for p in people)
