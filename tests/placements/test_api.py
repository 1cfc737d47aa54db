"""The placements API: requests in (with their household), duplicates, candidates, and every step
of a placement as an explicit operation; 409 with fresh candidates; constant query counts; schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from locations.models import Room
from placements.models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    PlacementStatus,
    RequestStatus,
    SupraRegionalRequest,
)
from placements.services import placement_confirm, placement_reserve
from tests.factories import ContactPersonFactory, UserFactory, family_of_four_with_infant, make_request

pytestmark = pytest.mark.django_db

API = "/api/v1"


def tomorrow_at(hour: int) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def as_json(members: list[dict]) -> list[dict]:
    return [{**m, "date_of_birth": m["date_of_birth"].isoformat()} for m in members]


def request_url(request: PlacementRequest, suffix: str = "") -> str:
    return f"{API}/placement-requests/{request.uuid}/{suffix}"


def placement_url(placement: Placement, suffix: str = "") -> str:
    return f"{API}/placements/{placement.uuid}/{suffix}"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def single(first_name: str = "Olena", last_name: str = "Testenko", **extra) -> list[dict]:
    return [{"first_name": first_name, "last_name": last_name, "date_of_birth": dt.date(1990, 4, 1), "sex": "f",
             "relation": "main", **extra}]


def confirmed(world, personas, room: Room, members: list[dict] | None = None) -> Placement:
    request = make_request(region=world.noord, members=members, user=personas.belteam)
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, len(members or [1]))])
    return placement_confirm(user=personas.belteam, placement=placement)


def new_request_body(**overrides) -> dict:
    body = {
        "source": "lcvs",
        "external_reference": "LCVS-2026-0042",
        "urgency": "high",
        "expected_arrival": tomorrow_at(13).isoformat(),
        "requested_by_name": "Medewerker LCVS",
        "care_need": True,
        "members": as_json(family_of_four_with_infant()),
    }
    body["members"][0]["v_number"] = "1234567890"
    body["members"][0]["bsn"] = "123456782"
    body.update(overrides)
    return body


def nothing_written() -> None:
    assert not PlacementRequest.objects.exists()
    assert not HouseholdMember.objects.exists()
    assert not PlacementEvent.objects.exists()


# --- requests -----------------------------------------------------------------------------------


def test_create_request_with_household(api_for, personas, world):
    response = api_for(personas.belteam).post(f"{API}/placement-requests/", new_request_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    request = PlacementRequest.objects.get(uuid=body["uuid"])
    assert (request.region, request.created_by, request.urgency, request.status) == (
        world.noord, personas.belteam, "high", RequestStatus.NEW)
    assert [m.first_name for m in request.members.order_by("position")] == ["Iryna", "Taras", "Sofiia", "Marko"]
    assert request.members.get(relation="main").bsn == "123456782"
    assert [m["first_name"] for m in body["members"]] == ["Iryna", "Taras", "Sofiia", "Marko"]
    assert body["persons"] == 4
    assert body["composition"] == {"adults": 2, "children": 1, "infants": 1}
    assert body["care_need"] is True
    assert body["region"] == "noord"
    # The BSN goes in, never out.
    assert "bsn" not in body["members"][0]
    assert "123456782" not in response.content.decode()
    event = PlacementEvent.objects.get(request=request)
    assert (event.kind, event.actor, event.data["persons"]) == ("request_created", personas.belteam, 4)


def test_create_request_with_preferred_municipality_by_cbs_code(api_for, personas, world):
    body = new_request_body(preferred_municipality="GM9002", preference_reason="school")
    response = api_for(personas.coordinator).post(f"{API}/placement-requests/", body, format="json")
    assert response.status_code == 201, response.content
    assert PlacementRequest.objects.get().preferred_municipality == world.mun_b
    assert response.json()["preferred_municipality"] == "GM9002"


def _members_with(index: int, **changes) -> list[dict]:
    members = as_json(family_of_four_with_infant())
    members[index].update(changes)
    return members


@pytest.mark.parametrize(("overrides", "field"), [
    ({"members": []}, "members"),
    ({"members": _members_with(2, date_of_birth=(dt.date.today() + dt.timedelta(days=30)).isoformat())},
     "members[2].date_of_birth"),
    ({"expected_arrival": (timezone.now() - dt.timedelta(days=1)).isoformat()}, "expected_arrival"),
    ({"members": _members_with(1, relation="main")}, "members"),
    ({"members": _members_with(1, date_of_birth="31-02-1990")}, "members[1].date_of_birth"),
    ({"members": _members_with(0, v_number="12345")}, "members[0].v_number"),
    ({"pets_count": 2}, "pets_kind"),
    ({"preferred_municipality": "GM9003", "preference_reason": "work"}, "preferred_municipality"),
], ids=["no-members", "born-in-future", "arrival-in-past", "two-main-applicants", "bad-date", "bad-v-number",
        "pets-without-kind", "municipality-of-other-region"])
def test_create_request_refuses_bad_input_and_writes_nothing(api_for, personas, world, overrides, field):
    response = api_for(personas.belteam).post(f"{API}/placement-requests/", new_request_body(**overrides),
                                              format="json")
    body = assert_error(response, 400, "invalid")
    assert field in body["errors"], body
    assert all(isinstance(message, str) for message in body["errors"][field])
    nothing_written()


def test_create_request_needs_a_region_code_when_the_user_has_several(api_for, world):
    both = UserFactory(username="twee-regios", role="coordinator", regions=[world.noord, world.zuid])
    api = api_for(both)
    body = assert_error(api.post(f"{API}/placement-requests/", new_request_body(), format="json"), 400, "invalid")
    assert "region" in body["errors"]
    nothing_written()
    body = assert_error(api.post(f"{API}/placement-requests/", new_request_body(region="elders"), format="json"),
                        400, "invalid")
    assert "region" in body["errors"]
    response = api.post(f"{API}/placement-requests/", new_request_body(region="zuid"), format="json")
    assert response.status_code == 201, response.content
    assert PlacementRequest.objects.get().region == world.zuid


def test_list_is_without_names_and_open_queue_is_urgent_then_oldest(api_for, personas, world):
    now = timezone.now()
    old_normal = make_request(region=world.noord, received_at=now - dt.timedelta(hours=5))
    new_acute = make_request(region=world.noord, urgency="acute", received_at=now - dt.timedelta(hours=1))
    old_high = make_request(region=world.noord, urgency="high", received_at=now - dt.timedelta(hours=3))
    newer_high = make_request(region=world.noord, urgency="high", received_at=now - dt.timedelta(hours=2))
    cancelled = make_request(region=world.noord, received_at=now - dt.timedelta(hours=9))
    cancelled.status = RequestStatus.CANCELLED
    cancelled.save()
    api = api_for(personas.belteam)

    response = api.get(f"{API}/placement-requests/?open=1")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["uuid"] for row in rows] == [str(r.uuid) for r in (new_acute, old_high, newer_high, old_normal)]
    assert "Testenko" not in response.content.decode()
    assert "members" not in rows[0]
    assert rows[0]["persons"] == 1

    everything = api.get(f"{API}/placement-requests/").json()["results"]
    assert str(cancelled.uuid) in {row["uuid"] for row in everything}
    filtered = api.get(f"{API}/placement-requests/?status=cancelled").json()["results"]
    assert [row["uuid"] for row in filtered] == [str(cancelled.uuid)]
    assert_error(api.get(f"{API}/placement-requests/?open=misschien"), 400, "invalid")


def test_request_detail_has_the_household_and_its_placements(api_for, personas, world):
    placement = confirmed(world, personas, world.rooms_a[1])
    body = api_for(personas.belteam).get(request_url(placement.request)).json()
    assert body["members"][0]["last_name"] == "Testenko"
    assert body["members"][0]["date_of_birth"] == "1990-04-01"
    assert [p["uuid"] for p in body["placements"]] == [str(placement.uuid)]
    assert body["placements"][0]["location"]["code"] == "AAD-001"


def test_take_and_cancel(api_for, personas, world):
    request = make_request(region=world.noord)
    api = api_for(personas.belteam)
    response = api.post(request_url(request, "take/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert response.json()["assigned_to"] == "belteam"
    assert_error(api.post(request_url(request, "cancel/"), {"reason": ""}, format="json"), 400, "invalid")
    response = api.post(request_url(request, "cancel/"), {"reason": "Elders opgevangen"}, format="json")
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.status == RequestStatus.CANCELLED
    event = PlacementEvent.objects.filter(request=request).last()
    assert (event.to_status, event.actor, event.reason) == ("cancelled", personas.belteam, "Elders opgevangen")
    assert_error(api.post(request_url(request, "take/")), 409, "invalid_transition")


# --- duplicates ---------------------------------------------------------------------------------


def test_duplicates_by_v_number_or_name_and_birth_date(api_for, personas, world):
    waiting = make_request(region=world.noord, members=single(v_number="1111111111"))
    make_request(region=world.zuid, members=single(v_number="1111111111"))  # other region: never shown
    api = api_for(personas.belteam)

    url = f"{API}/placement-requests/duplicates/"
    response = api.post(url, {"v_number": "1111111111"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == [{"request": str(waiting.uuid), "status": "new", "urgency": "normal",
                                "received_at": response.json()[0]["received_at"], "matched_on": ["v_number"]}]
    assert "Testenko" not in response.content.decode()

    rows = api.post(url, {"last_name": "testenko", "date_of_birth": "1990-04-01"}, format="json").json()
    assert [(row["request"], row["matched_on"]) for row in rows] == [(str(waiting.uuid), ["name_and_date_of_birth"])]
    assert api.post(url, {"last_name": "Testenko", "date_of_birth": "1990-04-02"}, format="json").json() == []
    assert api.post(url, {"last_name": "Testenko", "first_name": "Anna", "date_of_birth": "1990-04-01"},
                    format="json").json() == []
    body = assert_error(api.post(url, {"last_name": "Testenko"}, format="json"), 400, "invalid")
    assert "non_field_errors" in body["errors"]
    assert_error(api.post(url, {"last_name": "X", "date_of_birth": "gisteren"}, format="json"), 400, "invalid")
    assert_error(api.post(url, ["1111111111"], format="json"), 400, "invalid")
    # Personal data never travels in the URL: the old GET with query parameters is gone.
    assert api.get(f"{url}?v_number=1111111111").status_code == 405


# --- candidates and reserve ---------------------------------------------------------------------


def test_candidates_rank_rooms_and_explain(api_for, personas, world):
    world.loc_a.suitable_infants = True
    world.loc_a.save()
    ContactPersonFactory(location=world.loc_a, name="Jansen (locatiemanager)")
    request = make_request(region=world.noord, members=family_of_four_with_infant())
    response = api_for(personas.belteam).get(request_url(request, "candidates/"))
    assert response.status_code == 200, response.content
    body = response.json()
    first = body["candidates"][0]
    assert first["rank"] == 1
    assert first["location"] == {"uuid": str(world.loc_a.uuid), "code": "AAD-001", "name": "Het Anker",
                                 "municipality": "Aadorp"}
    room = world.rooms_a[2]  # exactly four beds: no snijverlies
    assert first["rooms"] == [{"id": room.pk, "number": "A3", "beds": 4, "persons": 4}]
    assert first["allocation"] == [[room.pk, 4]]
    assert (first["beds_used"], first["snijverlies"]) == (4, 0)
    assert first["explanation"] and all(isinstance(line, str) for line in first["explanation"])
    assert first["contact"] == {"name": "Jansen (locatiemanager)", "phone": "0592 123 456",
                                "email": "locatie@example.org"}
    # Location B takes no infants: left out, and said why.
    assert {c["location"]["code"] for c in body["candidates"]} == {"AAD-001"}
    assert any("zuigelingen" in line for line in body["excluded"])
    assert "Iryna" not in response.content.decode()
    assert body["warnings"] == []

    limited = api_for(personas.belteam).get(request_url(request, "candidates/?limit=0"))
    assert "limit" in assert_error(limited, 400, "invalid")["errors"]


def test_candidates_warn_when_the_expected_arrival_has_passed(api_for, personas, world):
    request = make_request(region=world.noord)
    PlacementRequest.objects.filter(pk=request.pk).update(expected_arrival=timezone.now() - dt.timedelta(hours=3))
    body = api_for(personas.belteam).get(request_url(request, "candidates/")).json()
    assert len(body["warnings"]) == 1
    assert "aankomst" in body["warnings"][0]


def test_reserve_takes_the_beds(api_for, personas, world):
    request = make_request(region=world.noord)
    room = world.rooms_a[1]
    response = api_for(personas.belteam).post(request_url(request, "reserve/"), {"allocation": [[room.pk, 1]]},
                                              format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    placement = Placement.objects.get(uuid=body["uuid"])
    assert (placement.status, placement.request, placement.location) == (PlacementStatus.RESERVED, request,
                                                                         world.loc_a)
    assert body["rooms"] == [{"id": room.pk, "number": "A2", "beds": 2, "persons": 1, "active": True}]
    assert body["household"][0]["last_name"] == "Testenko"
    room.refresh_from_db()
    assert room.occupants == 1
    request.refresh_from_db()
    assert request.status == RequestStatus.RESERVED
    event = PlacementEvent.objects.get(placement=placement, kind="reserved")
    assert event.actor == personas.belteam


def test_reserve_a_room_taken_meanwhile_answers_409_with_fresh_candidates(api_for, personas, world):
    room = world.rooms_a[2]
    first = make_request(region=world.noord, members=single("Anna", "Eerst"))
    late = make_request(region=world.noord)
    placement_reserve(user=personas.coordinator, request=first, allocation=[(room.pk, 1)])  # meanwhile
    events_before = PlacementEvent.objects.count()

    response = api_for(personas.belteam).post(request_url(late, "reserve/"), {"allocation": [[room.pk, 1]]},
                                              format="json")
    body = assert_error(response, 409, "not_available")
    assert body["extra"]["reasons"]
    fresh = body["candidates"]
    assert fresh, "other rooms are still free"
    assert all(room.pk not in [room_id for room_id, _persons in c["allocation"]] for c in fresh)
    assert [c["rank"] for c in fresh] == list(range(1, len(fresh) + 1))
    # Nothing written for the late request.
    assert not Placement.objects.filter(request=late).exists()
    assert Room.objects.get(pk=room.pk).occupants == 1
    assert PlacementEvent.objects.count() == events_before
    late.refresh_from_db()
    assert late.status == RequestStatus.NEW


def test_reserve_refuses_bad_allocations(api_for, personas, world):
    request = make_request(region=world.noord)
    api = api_for(personas.belteam)
    room = world.rooms_a[2]
    for allocation, field in (([], "allocation"), ([[room.pk]], "allocation[0]"),
                              ([[room.pk, 1], [room.pk, 1]], "allocation")):
        body = assert_error(api.post(request_url(request, "reserve/"), {"allocation": allocation}, format="json"),
                            400, "invalid")
        assert field in body["errors"], body
    # A room of another region: refused as not available, nothing written.
    assert_error(api.post(request_url(request, "reserve/"), {"allocation": [[world.rooms_c[0].pk, 1]]},
                          format="json"), 409, "not_available")
    assert not Placement.objects.exists()


# --- confirm, arrive, depart, release ------------------------------------------------------------


def test_lifecycle_confirm_arrive_depart_writes_events_with_actor(api_for, personas, world,
                                                                  django_capture_on_commit_callbacks):
    request = make_request(region=world.noord)
    room = world.rooms_a[1]
    belteam, gemeente = api_for(personas.belteam), api_for(personas.gemeente_a)
    uuid = belteam.post(request_url(request, "reserve/"), {"allocation": [[room.pk, 1]]}, format="json").json()["uuid"]
    placement = Placement.objects.get(uuid=uuid)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = belteam.post(placement_url(placement, "confirm/"), {"notify_location": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert len(callbacks) == 1  # the mail to the location, queued after commit
    assert_error(belteam.post(placement_url(placement, "confirm/"), {}, format="json"), 409, "invalid_transition")

    response = gemeente.post(placement_url(placement, "arrive/"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "arrived"

    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    body = assert_error(gemeente.post(placement_url(placement, "depart/"), {"on": future, "reason": "own_housing"},
                                      format="json"), 400, "invalid")
    assert "on" in body["errors"]
    body = assert_error(gemeente.post(placement_url(placement, "depart/"), {"on": timezone.localdate().isoformat(),
                                                                            "reason": "weg"}, format="json"),
                        400, "invalid")
    assert "reason" in body["errors"]
    assert Placement.objects.get(pk=placement.pk).status == PlacementStatus.ARRIVED

    response = gemeente.post(placement_url(placement, "depart/"),
                             {"on": timezone.localdate().isoformat(), "reason": "own_housing", "note": "Huurwoning"},
                             format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "departed"
    assert response.json()["departure_reason"] == "own_housing"
    room.refresh_from_db()
    assert room.occupants == 0
    events = {e.kind: e.actor for e in PlacementEvent.objects.filter(placement=placement).exclude(kind="request_status")}
    assert events == {"reserved": personas.belteam, "confirmed": personas.belteam, "arrived": personas.gemeente_a,
                      "departed": personas.gemeente_a}


def test_release_gives_the_beds_back_and_requeues(api_for, personas, world):
    request = make_request(region=world.noord)
    room = world.rooms_a[3]
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 1)])
    api = api_for(personas.coordinator)
    assert_error(api.post(placement_url(placement, "release/"), {}, format="json"), 400, "invalid")
    response = api.post(placement_url(placement, "release/"), {"reason": "Komt niet"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "released"
    assert Room.objects.get(pk=room.pk).occupants == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS
    event = PlacementEvent.objects.get(placement=placement, kind="released")
    assert (event.actor, event.reason) == (personas.coordinator, "Komt niet")


# --- transfer and swap --------------------------------------------------------------------------


def test_transfer_moves_the_household_in_one_step(api_for, personas, world):
    old = confirmed(world, personas, world.rooms_a[1])
    target = world.rooms_b[0]
    response = api_for(personas.coordinator).post(
        placement_url(old, "transfer/"), {"allocation": [[target.pk, 1]], "reason": "Dichter bij school"},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    new = Placement.objects.get(uuid=body["uuid"])
    assert (new.location, new.status, new.transferred_from) == (world.loc_b, PlacementStatus.CONFIRMED, old)
    assert body["transferred_from"] == str(old.uuid)
    old.refresh_from_db()
    assert (old.status, old.departure_reason) == (PlacementStatus.DEPARTED, "transfer")
    assert Room.objects.get(pk=world.rooms_a[1].pk).occupants == 0
    assert Room.objects.get(pk=target.pk).occupants == 1
    event = PlacementEvent.objects.get(placement=new, kind="transferred")
    assert (event.actor, event.reason) == (personas.coordinator, "Dichter bij school")


def test_transfer_to_a_taken_room_answers_409_with_fresh_candidates(api_for, personas, world):
    old = confirmed(world, personas, world.rooms_a[1])
    target = world.rooms_b[0]
    confirmed(world, personas, target, members=single("Anna", "Eerder"))
    before = list(PlacementRoom.objects.values_list("pk", "active"))
    response = api_for(personas.beheerder).post(
        placement_url(old, "transfer/"), {"allocation": [[target.pk, 1]], "reason": "Ruimer"}, format="json")
    body = assert_error(response, 409, "not_available")
    assert isinstance(body["candidates"], list)
    assert all(target.pk not in [room_id for room_id, _p in c["allocation"]] for c in body["candidates"])
    old.refresh_from_db()
    assert old.status == PlacementStatus.CONFIRMED
    assert list(PlacementRoom.objects.values_list("pk", "active")) == before
    assert Room.objects.get(pk=target.pk).occupants == 1
    assert not PlacementEvent.objects.filter(kind="transferred").exists()


def test_swap_exchanges_rooms(api_for, personas, world):
    first = confirmed(world, personas, world.rooms_a[1])
    second = confirmed(world, personas, world.rooms_b[0], members=single("Anna", "Ruil"))
    response = api_for(personas.coordinator).post(
        f"{API}/placements/swap/", {"first": str(first.uuid), "second": str(second.uuid), "reason": "Op verzoek"},
        format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["first"]["location"]["code"] == "BEE-001"
    assert body["second"]["location"]["code"] == "AAD-001"
    assert body["first"]["transferred_from"] == str(first.uuid)
    for old in (first, second):
        old.refresh_from_db()
        assert old.status == PlacementStatus.DEPARTED
    events = PlacementEvent.objects.filter(kind="swapped")
    assert events.count() == 2
    assert {e.actor for e in events} == {personas.coordinator}


def test_swap_that_does_not_fit_answers_409_and_writes_nothing(api_for, personas, world):
    world.loc_a.suitable_infants = True
    world.loc_a.save()
    family = confirmed(world, personas, world.rooms_a[2], members=family_of_four_with_infant())
    alone = confirmed(world, personas, world.rooms_a[0], members=single("Anna", "Klein"))
    events_before = PlacementEvent.objects.count()
    api = api_for(personas.coordinator)
    body = assert_error(api.post(f"{API}/placements/swap/", {"first": str(family.uuid), "second": str(alone.uuid),
                                                              "reason": "Ruimer"}, format="json"),
                        409, "not_available")
    assert body["extra"]["reasons"]
    assert PlacementEvent.objects.count() == events_before
    assert {p.status for p in Placement.objects.all()} == {PlacementStatus.CONFIRMED}
    assert_error(api.post(f"{API}/placements/swap/", {"first": str(family.uuid), "second": str(family.uuid),
                                                       "reason": "x"}, format="json"), 400, "invalid")


def test_placement_list_filters(api_for, personas, world):
    at_a = confirmed(world, personas, world.rooms_a[1])
    at_b = confirmed(world, personas, world.rooms_b[0], members=single("Anna", "Bee"))
    api = api_for(personas.belteam)
    rows = api.get(f"{API}/placements/?location={world.loc_b.uuid}").json()["results"]
    assert [row["uuid"] for row in rows] == [str(at_b.uuid)]
    rows = api.get(f"{API}/placements/?status=confirmed").json()["results"]
    assert {row["uuid"] for row in rows} == {str(at_a.uuid), str(at_b.uuid)}
    assert api.get(f"{API}/placements/?status=arrived").json()["results"] == []
    response = api.get(f"{API}/placements/")
    assert "Testenko" not in response.content.decode()
    assert "household" not in response.json()["results"][0]


# --- supra-regional requests --------------------------------------------------------------------


def incoming_body(**overrides) -> dict:
    body = {
        "counterpart": "Regio Twente",
        "household_size": 3,
        "composition": {"18-64": 2, "4-11": 1},
        "needs": {"reduced_mobility": True, "pets_count": 1, "pets_kind": "kat"},
        "earliest_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "contact": {"name": "Piket Twente", "phone": "053 123 4567", "email": "piket@example.org"},
    }
    body.update(overrides)
    return body


def test_incoming_supra_regional_request(api_for, personas, world):
    response = api_for(personas.coordinator).post(f"{API}/supra-regional-requests/", incoming_body(), format="json")
    assert response.status_code == 201, response.content
    supra = SupraRegionalRequest.objects.get()
    assert (supra.direction, supra.region, supra.counterpart, supra.household_size, supra.created_by) == (
        "incoming", world.noord, "Regio Twente", 3, personas.coordinator)
    assert supra.composition == {"0-1": 0, "2-3": 0, "4-11": 1, "12-17": 0, "18-64": 2, "65+": 0}
    assert supra.needs["pets_kind"] == "kat" and supra.needs["reduced_mobility"] is True
    assert supra.contact_phone == "053 123 4567"
    body = response.json()
    assert body["contact"]["name"] == "Piket Twente"
    assert body["direction"] == "incoming"
    detail = api_for(personas.belteam).get(f"{API}/supra-regional-requests/{supra.uuid}/")
    assert detail.status_code == 200
    assert detail.json()["uuid"] == str(supra.uuid)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"household_size": 4}, "composition"),
    ({"household_size": 0}, "household_size"),
    ({"earliest_date": "2020-01-01"}, "earliest_date"),
    ({"needs": {"pets_count": 2}}, "needs.pets_kind"),
    ({"contact": {"name": "Piket"}}, "contact.phone"),
    ({"contact": {"name": "Piket", "phone": "bel me"}}, "contact.phone"),
    ({"composition": {"18-64": -1, "4-11": 4}}, "composition.18-64"),
])
def test_incoming_supra_regional_request_is_validated(api_for, personas, world, overrides, field):
    response = api_for(personas.coordinator).post(f"{API}/supra-regional-requests/", incoming_body(**overrides),
                                                  format="json")
    body = assert_error(response, 400, "invalid")
    assert field in body["errors"], body
    assert not SupraRegionalRequest.objects.exists()


# --- query counts -------------------------------------------------------------------------------


def _grow(world, personas, count: int) -> None:
    world.loc_a.suitable_infants = world.loc_b.suitable_infants = True
    world.loc_a.save()
    world.loc_b.save()
    for i in range(count):
        request = make_request(region=world.noord, members=family_of_four_with_infant(f"Groei-{i}"),
                               urgency="acute" if i % 3 == 0 else "normal")
        room = Room.objects.create(location=world.loc_a if i % 2 else world.loc_b, number=f"G{count}-{i}", beds=4)
        if i % 2:
            placement_reserve(user=personas.belteam, request=request, allocation=[(room.pk, 4)])
        SupraRegionalRequest.objects.create(
            region=world.noord, household_size=2, composition={"18-64": 2}, earliest_date=timezone.localdate(),
            contact_name="Piket", contact_phone="0591 000 000", direction="incoming")


def _queries(api: APIClient, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize("path", ["/placement-requests/", "/placement-requests/?open=1", "/placements/",
                                  "/supra-regional-requests/"])
def test_list_query_count_does_not_grow_with_rows(api_for, personas, world, path):
    api = api_for(personas.coordinator)
    _grow(world, personas, 2)
    few, few_rows = _queries(api, API + path)
    _grow(world, personas, 8)
    many, many_rows = _queries(api, API + path)
    assert many_rows > few_rows
    assert many == few
    assert many <= 6


def test_detail_query_count_does_not_grow_with_household(api_for, personas, world):
    api = api_for(personas.coordinator)
    small = confirmed(world, personas, world.rooms_a[1])
    world.loc_b.suitable_infants = True
    world.loc_b.save()
    large = confirmed(world, personas, world.rooms_b[1], members=family_of_four_with_infant())
    counts = []
    for placement in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(placement_url(placement)).status_code == 200
            assert api.get(request_url(placement.request)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- schema -------------------------------------------------------------------------------------


def test_schema_documents_every_operation():
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    paths = schema["paths"]
    expected = {
        "/api/v1/placement-requests/": {"get", "post"},
        "/api/v1/placement-requests/{uuid}/": {"get"},
        "/api/v1/placement-requests/duplicates/": {"post"},
        "/api/v1/placement-requests/{uuid}/take/": {"post"},
        "/api/v1/placement-requests/{uuid}/cancel/": {"post"},
        "/api/v1/placement-requests/{uuid}/candidates/": {"get"},
        "/api/v1/placement-requests/{uuid}/reserve/": {"post"},
        "/api/v1/placements/": {"get"},
        "/api/v1/placements/{uuid}/": {"get"},
        "/api/v1/placements/{uuid}/confirm/": {"post"},
        "/api/v1/placements/{uuid}/arrive/": {"post"},
        "/api/v1/placements/{uuid}/depart/": {"post"},
        "/api/v1/placements/{uuid}/release/": {"post"},
        "/api/v1/placements/{uuid}/transfer/": {"post"},
        "/api/v1/placements/swap/": {"post"},
        "/api/v1/supra-regional-requests/": {"get", "post"},
        "/api/v1/supra-regional-requests/{uuid}/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    for path in ("/api/v1/placement-requests/{uuid}/reserve/", "/api/v1/placements/{uuid}/transfer/"):
        conflict = paths[path]["post"]["responses"]["409"]["content"]["application/json"]["schema"]
        assert conflict == {"$ref": "#/components/schemas/CandidateConflict"}
    components = schema["components"]["schemas"]
    assert "candidates" in components["CandidateConflict"]["properties"]
    assert "bsn" not in components["HouseholdMember"]["properties"]
    assert "bsn" in components["HouseholdMemberRequest"]["properties"]
    assert "household" not in components["PlacementSummary"]["properties"]
    assert "members" not in components["PlacementRequestSummary"]["properties"]
    parameters = {p["name"] for p in paths["/api/v1/placements/"]["get"]["parameters"]}
    assert {"status", "location"} <= parameters
    duplicates = paths["/api/v1/placement-requests/duplicates/"]["post"]
    assert not duplicates.get("parameters")
    body = duplicates["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(components[body]["properties"]) == {"first_name", "last_name", "date_of_birth", "v_number"}
