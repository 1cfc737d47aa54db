"""The registry API: authentication, scope per role, writes through the services, JSON errors,
capacity figures, filters, query counts and the schema."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from locations.models import (
    Location,
    LocationKind,
    LocationStatus,
    Municipality,
    Room,
    RoomOccupancy,
    RoomState,
)
from locations.selectors import (
    Capacity,
    location_detail,
    locations_with_capacity,
    municipalities_with_capacity,
    region_capacity,
    rooms_with_capacity,
)
from locations.services import room_block
from rcvs.accounts.models import ApiToken
from rcvs.accounts.services import api_token_create
from tests.conftest import PASSWORD
from tests.factories import (
    ContactPersonFactory,
    LocationFactory,
    MunicipalityFactory,
    RoomFactory,
    room_set_occupants,
)

API = "/api/v1"
CAPACITY_NAMES = ("realised", "occupied", "available", "snijverlies", "out_of_service", "planned",
                  "largest_free_room")


def location_url(location: Location, suffix: str = "") -> str:
    return f"{API}/locations/{location.uuid}/{suffix}"


def room_url(room: Room, suffix: str = "") -> str:
    return f"{API}/rooms/{room.pk}/{suffix}"


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def codes(response) -> set[str]:
    return {row["code"] for row in results(response)}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def assert_capacity(api: dict, capacity: Capacity) -> None:
    for name in CAPACITY_NAMES:
        assert api[name] == getattr(capacity, name), name
    expected_rate = capacity.occupancy_rate
    assert (None if api["occupancy_rate"] is None else Decimal(str(api["occupancy_rate"]))) == expected_rate


@pytest.fixture
def filled(world, personas):
    """Location A: A1 (1 bed) blocked, A2 (2 beds) full, A3 (4 beds) with a household of 3,
    A4 (6 beds) empty. Location B: empty rooms of 3 and 4 beds."""
    a1, a2, a3, _a4 = world.rooms_a
    room_block(user=personas.beheerder, room=a1, reason="Lekkage")
    room_set_occupants(room=a2, occupants=2)
    room_set_occupants(room=a3, occupants=3)
    return world


# --- authentication ------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/regions/"), ("get", "/municipalities/"), ("get", "/locations/"), ("get", "/rooms/"),
    ("post", "/locations/"), ("post", "/rooms/"),
])
def test_anonymous_gets_401_json(world, method, path):
    response = getattr(APIClient(), method)(API + path, {}, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_anonymous_gets_401_on_detail_and_actions(world):
    api = APIClient()
    assert_error(api.get(location_url(world.loc_a)), 401, "not_authenticated")
    assert_error(api.patch(location_url(world.loc_a), {"name": "X"}, format="json"), 401, "not_authenticated")
    assert_error(api.post(room_url(world.rooms_a[0], "block/"), {"reason": "x"}, format="json"), 401,
                 "not_authenticated")
    world.loc_a.refresh_from_db()
    assert world.loc_a.name == "Het Anker"


def test_token_endpoint_and_token_authentication(personas, world):
    api = APIClient()
    response = api.post(f"{API}/auth/token/", {"username": "gemeente_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    # Stored as a digest only; the key itself is in the answer and nowhere else.
    token = ApiToken.objects.get(user=personas.gemeente_a)
    assert key.startswith(token.token_key) and key != token.digest

    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert codes(api.get(f"{API}/locations/")) == {"AAD-001"}


def test_token_endpoint_rejects_wrong_password_with_json(personas):
    response = APIClient().post(f"{API}/auth/token/", {"username": "gemeente_a", "password": "fout"},
                                format="json")
    body = assert_error(response, 400, "invalid")
    assert body["errors"]["non_field_errors"]
    assert not ApiToken.objects.exists()


def test_unknown_token_gets_401(world):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error(api.get(f"{API}/locations/"), 401, "not_authenticated")


def test_session_authentication_reads(client, personas):
    client.force_login(personas.belteam)
    response = client.get(f"{API}/locations/")
    assert codes(response) == {"AAD-001", "BEE-001"}


def test_session_writes_need_csrf_token(personas, world):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(personas.gemeente_a)
    response = api.patch(location_url(world.loc_a), {"name": "Zonder token"}, format="json")
    assert_error(response, 403, "forbidden")
    world.loc_a.refresh_from_db()
    assert world.loc_a.name == "Het Anker"

    secret = "a" * 32
    api.cookies["csrftoken"] = secret
    response = api.patch(location_url(world.loc_a), {"name": "Met token"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 200, response.content
    world.loc_a.refresh_from_db()
    assert world.loc_a.name == "Met token"


# --- read scope per role ---------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["belteam", "coordinator", "bestuur", "beheerder"])
def test_region_roles_see_their_region(api_for, personas, world, role):
    api = api_for(getattr(personas, role))
    assert [r["code"] for r in results(api.get(f"{API}/regions/"))] == ["noord"]
    assert {m["cbs_code"] for m in results(api.get(f"{API}/municipalities/"))} == {"GM9001", "GM9002"}
    assert codes(api.get(f"{API}/locations/")) == {"AAD-001", "BEE-001"}
    assert {r["number"] for r in results(api.get(f"{API}/rooms/"))} == {"A1", "A2", "A3", "A4", "B1", "B2"}
    assert api.get(location_url(world.loc_b)).status_code == 200
    assert_error(api.get(location_url(world.loc_c)), 404, "not_found")
    assert_error(api.get(room_url(world.rooms_c[0])), 404, "not_found")
    assert_error(api.get(f"{API}/regions/{world.zuid.pk}/"), 404, "not_found")
    assert_error(api.get(f"{API}/municipalities/{world.mun_c.pk}/"), 404, "not_found")


def test_gemeente_sees_only_its_municipalities(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    assert {m["cbs_code"] for m in results(api.get(f"{API}/municipalities/"))} == {"GM9001"}
    assert codes(api.get(f"{API}/locations/")) == {"AAD-001"}
    assert {r["number"] for r in results(api.get(f"{API}/rooms/"))} == {"A1", "A2", "A3", "A4"}
    assert_error(api.get(location_url(world.loc_b)), 404, "not_found")
    assert_error(api.get(room_url(world.rooms_b[0])), 404, "not_found")
    assert_error(api.get(f"{API}/municipalities/{world.mun_b.pk}/"), 404, "not_found")


def test_gemeente_region_figures_cover_only_its_municipalities(api_for, personas, filled):
    regions = results(api_for(personas.gemeente_a).get(f"{API}/regions/"))
    assert [r["code"] for r in regions] == ["noord"]
    assert regions[0]["capacity"]["realised"] == 1 + 2 + 4 + 6  # location A only, not B's 3 + 4


def test_outsider_sees_nothing_of_another_region(api_for, personas, world):
    api = api_for(personas.outsider)
    assert codes(api.get(f"{API}/locations/")) == {"CRA-001"}
    assert codes(api.get(f"{API}/locations/?region=noord")) == set()
    assert results(api.get(f"{API}/rooms/?location={world.loc_a.uuid}")) == []
    assert [r["code"] for r in results(api.get(f"{API}/regions/"))] == ["zuid"]
    assert_error(api.get(location_url(world.loc_a)), 404, "not_found")
    assert_error(api.get(room_url(world.rooms_a[0])), 404, "not_found")
    assert_error(api.get(f"{API}/regions/{world.noord.pk}/"), 404, "not_found")


def test_location_detail_has_contacts(api_for, personas, world):
    ContactPersonFactory(location=world.loc_a, name="Jansen", phone="0592 123 456")
    body = api_for(personas.belteam).get(location_url(world.loc_a)).json()
    assert body["uuid"] == str(world.loc_a.uuid)
    assert body["municipality"] == world.mun_a.pk
    assert body["municipality_cbs_code"] == "GM9001"
    assert body["region"] == world.noord.pk
    assert [c["name"] for c in body["contacts"]] == ["Jansen"]


# --- writes by a municipality user ------------------------------------------------------------------

def test_gemeente_updates_own_location(api_for, personas, world):
    response = api_for(personas.gemeente_a).patch(
        location_url(world.loc_a), {"name": "Het Anker II", "suitable_pets": True, "postcode": "9402ab"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Het Anker II"
    world.loc_a.refresh_from_db()
    assert (world.loc_a.name, world.loc_a.suitable_pets, world.loc_a.postcode) == ("Het Anker II", True, "9402 AB")
    assert world.loc_a.history.first().history_user == personas.gemeente_a


def test_gemeente_creates_location_in_own_municipality(api_for, personas, world):
    response = api_for(personas.gemeente_a).post(f"{API}/locations/", {
        "municipality": world.mun_a.pk, "code": "AAD-002", "name": "De Haven", "street": "Kade 4",
        "postcode": "9401 AC", "place": "Aadorp", "kind": LocationKind.GOO, "status": LocationStatus.PREPARING,
    }, format="json")
    assert response.status_code == 201, response.content
    location = Location.objects.get(code="AAD-002")
    assert response.json()["uuid"] == str(location.uuid)
    assert location.municipality == world.mun_a
    assert location.history.first().history_user == personas.gemeente_a


def test_gemeente_cannot_create_location_elsewhere(api_for, personas, world):
    response = api_for(personas.gemeente_a).post(f"{API}/locations/", {
        "municipality": world.mun_b.pk, "code": "BEE-009", "name": "Elders", "street": "Weg 1",
        "postcode": "9401 AC", "place": "Beekdal",
    }, format="json")
    body = assert_error(response, 400, "invalid")
    assert "municipality" in body["errors"]
    assert not Location.objects.filter(code="BEE-009").exists()


def test_gemeente_cannot_move_location_out_of_scope(api_for, personas, world):
    response = api_for(personas.gemeente_a).patch(location_url(world.loc_a), {"municipality": world.mun_b.pk},
                                                  format="json")
    assert "municipality" in assert_error(response, 400, "invalid")["errors"]
    world.loc_a.refresh_from_db()
    assert world.loc_a.municipality == world.mun_a


def test_gemeente_updates_own_room_but_not_its_occupants(api_for, personas, world):
    room = world.rooms_a[2]
    response = api_for(personas.gemeente_a).patch(
        room_url(room), {"beds": 5, "occupancy": RoomOccupancy.SHARED, "occupants": 4}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["capacity"]["available"] == 5
    room.refresh_from_db()
    assert (room.beds, room.occupancy, room.occupants) == (5, RoomOccupancy.SHARED, 0)
    assert room.history.first().history_user == personas.gemeente_a


def test_gemeente_creates_and_deletes_a_room(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    response = api.post(f"{API}/rooms/", {"location": str(world.loc_a.uuid), "number": "A5", "beds": 3},
                        format="json")
    assert response.status_code == 201, response.content
    room = Room.objects.get(location=world.loc_a, number="A5")
    assert response.json()["id"] == room.pk
    assert response.json()["capacity"]["available"] == 3

    response = api.delete(room_url(room))
    assert response.status_code == 204
    assert not Room.objects.filter(pk=room.pk).exists()
    deleted = Room.history.filter(id=room.pk, history_type="-").get()
    assert deleted.history_user == personas.gemeente_a


def test_room_cannot_move_to_another_location(api_for, personas, world):
    other = LocationFactory(municipality=world.mun_a, code="AAD-003")
    room = world.rooms_a[0]
    response = api_for(personas.gemeente_a).patch(room_url(room), {"location": str(other.uuid)}, format="json")
    assert "location" in assert_error(response, 400, "invalid")["errors"]
    room.refresh_from_db()
    assert room.location == world.loc_a


def test_gemeente_blocks_and_unblocks_own_room(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    room = world.rooms_a[3]
    until = dt.date.today() + dt.timedelta(days=30)
    response = api.post(room_url(room, "block/"), {"reason": "Schimmel", "until": until.isoformat()},
                        format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["blocked_reason"], body["blocked_until"]) == ("blocked", "Schimmel",
                                                                               until.isoformat())
    assert body["capacity"]["out_of_service"] == 6 and body["capacity"]["available"] == 0
    room.refresh_from_db()
    assert (room.state, room.blocked_reason, room.blocked_until) == (RoomState.BLOCKED, "Schimmel", until)
    event = room.history.first()
    assert event.history_user == personas.gemeente_a
    assert "Schimmel" in event.history_change_reason

    response = api.post(room_url(room, "unblock/"), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "available"
    room.refresh_from_db()
    assert (room.state, room.blocked_reason, room.blocked_until) == (RoomState.AVAILABLE, "", None)
    assert room.history.first().history_user == personas.gemeente_a
    assert room.history.count() == 3  # created, blocked, unblocked


def test_gemeente_gets_404_on_other_municipality(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    room = world.rooms_b[0]
    history_before = room.history.count()
    assert_error(api.get(location_url(world.loc_b)), 404, "not_found")
    assert_error(api.patch(location_url(world.loc_b), {"name": "Overgenomen"}, format="json"), 404, "not_found")
    assert_error(api.get(room_url(room)), 404, "not_found")
    assert_error(api.patch(room_url(room), {"beds": 1}, format="json"), 404, "not_found")
    assert_error(api.post(room_url(room, "block/"), {"reason": "x"}, format="json"), 404, "not_found")
    assert_error(api.post(room_url(room, "unblock/")), 404, "not_found")
    assert_error(api.delete(room_url(room)), 404, "not_found")
    response = api.post(f"{API}/rooms/", {"location": str(world.loc_b.uuid), "number": "B9", "beds": 2},
                        format="json")
    assert "location" in assert_error(response, 400, "invalid")["errors"]

    world.loc_b.refresh_from_db()
    room.refresh_from_db()
    assert world.loc_b.name == "De Beuk"
    assert (room.beds, room.state) == (3, RoomState.AVAILABLE)
    assert room.history.count() == history_before
    assert not Room.objects.filter(number="B9").exists()


# --- roles that only read -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["belteam", "coordinator", "bestuur"])
def test_read_only_roles_get_403_in_scope(api_for, personas, world, role):
    api = api_for(getattr(personas, role))
    room = world.rooms_a[0]
    assert_error(api.patch(location_url(world.loc_a), {"name": "X"}, format="json"), 403, "forbidden")
    # Refused before the input is looked at: invalid input changes nothing about the answer.
    assert_error(api.patch(location_url(world.loc_a), {"postcode": "fout"}, format="json"), 403, "forbidden")
    assert_error(api.patch(room_url(room), {"beds": 2}, format="json"), 403, "forbidden")
    assert_error(api.post(room_url(room, "block/"), {"reason": "x"}, format="json"), 403, "forbidden")
    assert_error(api.post(room_url(room, "unblock/")), 403, "forbidden")
    assert_error(api.delete(room_url(room)), 403, "forbidden")
    assert_error(api.post(f"{API}/rooms/", {"location": str(world.loc_a.uuid), "number": "A9", "beds": 2},
                          format="json"), 403, "forbidden")
    assert_error(api.post(f"{API}/locations/", {"municipality": world.mun_a.pk}, format="json"), 403, "forbidden")

    world.loc_a.refresh_from_db()
    room.refresh_from_db()
    assert world.loc_a.name == "Het Anker"
    assert (room.beds, room.state) == (1, RoomState.AVAILABLE)
    assert Room.objects.filter(location=world.loc_a).count() == 4
    assert Location.objects.count() == 3


def test_read_only_role_gets_404_out_of_scope(api_for, personas, world):
    api = api_for(personas.belteam)
    assert_error(api.patch(location_url(world.loc_c), {"name": "X"}, format="json"), 404, "not_found")
    assert_error(api.post(room_url(world.rooms_c[0], "block/"), {"reason": "x"}, format="json"), 404, "not_found")


def test_beheerder_of_other_region_gets_404(api_for, personas, world):
    api = api_for(personas.outsider)
    assert_error(api.patch(location_url(world.loc_a), {"name": "X"}, format="json"), 404, "not_found")
    assert_error(api.post(room_url(world.rooms_a[0], "block/"), {"reason": "x"}, format="json"), 404, "not_found")
    world.loc_a.refresh_from_db()
    assert world.loc_a.name == "Het Anker"


def test_beheerder_updates_any_location_of_region(api_for, personas, world):
    response = api_for(personas.beheerder).patch(location_url(world.loc_b), {"status": "closing"}, format="json")
    assert response.status_code == 200, response.content
    world.loc_b.refresh_from_db()
    assert world.loc_b.status == LocationStatus.CLOSING
    assert world.loc_b.history.first().history_user == personas.beheerder


def test_locations_are_not_deleted_or_replaced(api_for, personas, world):
    api = api_for(personas.beheerder)
    assert_error(api.delete(location_url(world.loc_a)), 405, "method_not_allowed")
    assert_error(api.put(location_url(world.loc_a), {"name": "X"}, format="json"), 405, "method_not_allowed")
    assert Location.objects.filter(pk=world.loc_a.pk).exists()


# --- validation --------------------------------------------------------------------------------------

def test_end_date_before_opening_date(api_for, personas, world):
    history_before = world.loc_a.history.count()
    response = api_for(personas.gemeente_a).patch(
        location_url(world.loc_a), {"opening_date": "2026-05-01", "end_date": "2026-04-30"}, format="json"
    )
    body = assert_error(response, 400, "invalid")
    assert body["errors"] == {"end_date": ["De einddatum mag niet voor de openingsdatum liggen."]}
    world.loc_a.refresh_from_db()
    assert (world.loc_a.opening_date, world.loc_a.end_date) == (None, None)
    assert world.loc_a.history.count() == history_before


def test_end_date_checked_against_stored_opening_date(api_for, personas, world):
    Location.objects.filter(pk=world.loc_a.pk).update(opening_date=dt.date(2026, 5, 1))
    response = api_for(personas.gemeente_a).patch(location_url(world.loc_a), {"end_date": "2026-01-01"},
                                                  format="json")
    assert "end_date" in assert_error(response, 400, "invalid")["errors"]
    world.loc_a.refresh_from_db()
    assert world.loc_a.end_date is None


@pytest.mark.parametrize("postcode", ["94O1 AB", "0401 AB", "9401 A", "ABCD EF"])
def test_malformed_postcode(api_for, personas, world, postcode):
    response = api_for(personas.gemeente_a).patch(location_url(world.loc_a), {"postcode": postcode},
                                                  format="json")
    body = assert_error(response, 400, "invalid")
    assert body["errors"]["postcode"] == ["Voer een geldige postcode in, bijvoorbeeld 9401 AB."]
    world.loc_a.refresh_from_db()
    assert world.loc_a.postcode == "9401 AB"


def test_create_location_reports_missing_fields_in_dutch(api_for, personas, world):
    response = api_for(personas.gemeente_a).post(f"{API}/locations/", {"municipality": world.mun_a.pk},
                                                 format="json")
    errors = assert_error(response, 400, "invalid")["errors"]
    assert {"code", "name", "street", "postcode", "place"} <= set(errors)
    assert errors["name"] == ["Dit veld is vereist."]
    assert Location.objects.count() == 3


@pytest.mark.parametrize("beds", [0, 7])
def test_room_beds_out_of_range(api_for, personas, world, beds):
    api = api_for(personas.gemeente_a)
    room = world.rooms_a[1]
    body = assert_error(api.patch(room_url(room), {"beds": beds}, format="json"), 400, "invalid")
    assert list(body["errors"]) == ["beds"]
    assert "Ensure" not in body["errors"]["beds"][0]  # Dutch, not DRF's English default
    body = assert_error(api.post(f"{API}/rooms/", {"location": str(world.loc_a.uuid), "number": "A8",
                                                   "beds": beds}, format="json"), 400, "invalid")
    assert list(body["errors"]) == ["beds"]
    room.refresh_from_db()
    assert room.beds == 2
    assert not Room.objects.filter(number="A8").exists()


def test_room_model_rules_come_back_as_field_errors(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    room = world.rooms_a[1]
    body = assert_error(api.patch(room_url(room), {"bunk_beds": 3}, format="json"), 400, "invalid")
    assert body["errors"] == {"bunk_beds": ["Er zijn meer stapelbedden dan bedden."]}
    body = assert_error(api.post(f"{API}/rooms/", {"location": str(world.loc_a.uuid), "number": "A1",
                                                   "beds": 2}, format="json"), 400, "invalid")
    assert body["errors"] == {"number": ["Deze locatie heeft al een kamer met dit nummer."]}
    room.refresh_from_db()
    assert room.bunk_beds == 0
    assert Room.objects.filter(location=world.loc_a).count() == 4


def test_block_needs_reason_and_future_date(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    room = world.rooms_a[0]
    body = assert_error(api.post(room_url(room, "block/"), {"reason": ""}, format="json"), 400, "invalid")
    assert list(body["errors"]) == ["reason"]
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    body = assert_error(api.post(room_url(room, "block/"), {"reason": "Lekkage", "until": yesterday},
                                 format="json"), 400, "invalid")
    assert body["errors"] == {"until": ["Deze datum ligt in het verleden."]}
    room.refresh_from_db()
    assert room.state == RoomState.AVAILABLE
    assert room.history.count() == 1


def test_blocking_an_occupied_room_is_refused(api_for, personas, world):
    room = room_set_occupants(room=world.rooms_a[2], occupants=2)
    history_before = room.history.count()
    response = api_for(personas.gemeente_a).post(room_url(room, "block/"), {"reason": "Schimmel"}, format="json")
    assert response.status_code in (400, 409)
    assert_error(response, response.status_code, "room_occupied")
    room.refresh_from_db()
    assert (room.state, room.blocked_reason, room.occupants) == (RoomState.AVAILABLE, "", 2)
    assert room.history.count() == history_before


def test_occupied_room_is_not_deleted_or_shrunk_below_occupants(api_for, personas, world):
    api = api_for(personas.gemeente_a)
    room = room_set_occupants(room=world.rooms_a[2], occupants=3)
    assert_error(api.delete(room_url(room)), 400, "room_occupied")
    assert_error(api.patch(room_url(room), {"beds": 2}, format="json"), 400, "beds_below_occupants")
    room.refresh_from_db()
    assert (room.beds, room.occupants) == (4, 3)


def test_invalid_filter_value_is_a_json_error(api_for, personas, world):
    body = assert_error(api_for(personas.belteam).get(f"{API}/locations/?kind=kasteel"), 400, "invalid")
    assert "kind" in body["errors"]


# --- capacity ------------------------------------------------------------------------------------------

def test_capacity_matches_selectors(api_for, personas, filled):
    api = api_for(personas.beheerder)

    region = api.get(f"{API}/regions/{filled.noord.pk}/").json()["capacity"]
    assert_capacity(region, region_capacity(filled.noord))
    # Noord: A = 13 beds (1 blocked, 2 + 3 occupied, 1 snijverlies, 6 free), B = 7 free beds.
    assert (region["realised"], region["occupied"], region["available"], region["snijverlies"],
            region["out_of_service"], region["occupancy_rate"]) == (20, 5, 13, 1, 1, 26.3)

    location = api.get(location_url(filled.loc_a)).json()["capacity"]
    assert_capacity(location, location_detail(user=personas.beheerder, uuid=filled.loc_a.uuid).capacity)
    assert (location["realised"], location["available"], location["largest_free_room"],
            location["occupancy_rate"]) == (13, 6, 6, 41.7)

    expected = {m.pk: Capacity.from_obj(m) for m in municipalities_with_capacity(
        Municipality.objects.filter(region=filled.noord))}
    for row in results(api.get(f"{API}/municipalities/")):
        assert_capacity(row["capacity"], expected[row["id"]])

    expected = {r.pk: Capacity.from_obj(r) for r in rooms_with_capacity(Room.objects.all())}
    rows = results(api.get(f"{API}/rooms/"))
    for row in rows:
        assert_capacity(row["capacity"], expected[row["id"]])
    assert {r["number"]: r["capacity"]["snijverlies"] for r in rows}["A3"] == 1


def test_capacity_of_location_not_realised(api_for, personas, world):
    Location.objects.filter(pk=world.loc_b.pk).update(status=LocationStatus.PREPARING)
    capacity = api_for(personas.belteam).get(location_url(world.loc_b)).json()["capacity"]
    assert (capacity["realised"], capacity["planned"], capacity["occupancy_rate"]) == (0, 7, None)
    assert_capacity(capacity, Capacity.from_obj(locations_with_capacity(Location.objects.filter(
        pk=world.loc_b.pk)).get()))


# --- filters -------------------------------------------------------------------------------------------

def test_location_filters(api_for, personas, filled):
    Location.objects.filter(pk=filled.loc_a.pk).update(suitable_pets=True, intake_24_7=True,
                                                       end_date=dt.date(2026, 9, 30))
    Location.objects.filter(pk=filled.loc_b.pk).update(kind=LocationKind.DOORSTROOM, is_remote=True,
                                                       status=LocationStatus.CLOSING,
                                                       end_date=dt.date(2027, 3, 31))
    api = api_for(personas.beheerder)

    def find(query: str) -> set[str]:
        return codes(api.get(f"{API}/locations/?{query}"))

    assert find(f"municipality={filled.mun_a.pk}") == {"AAD-001"}
    assert find("municipality=GM9002") == {"BEE-001"}
    assert find("municipality=gm9002") == {"BEE-001"}
    assert find(f"region={filled.noord.pk}") == {"AAD-001", "BEE-001"}
    assert find("region=noord") == {"AAD-001", "BEE-001"}
    assert find("region=zuid") == set()
    assert find("kind=doorstroom") == {"BEE-001"}
    assert find("status=closing") == {"BEE-001"}
    assert find("suitable_pets=true") == {"AAD-001"}
    assert find("suitable_pets=false") == {"BEE-001"}
    assert find("intake_24_7=true") == {"AAD-001"}
    assert find("is_remote=true") == {"BEE-001"}
    assert find("suitable_infants=true") == set()
    # Largest free room: A4 in A (6 beds), B2 in B (4 beds).
    assert find("min_free_in_room=5") == {"AAD-001"}
    assert find("min_free_in_room=4") == {"AAD-001", "BEE-001"}
    assert find("min_free_in_room=7") == set()
    assert find("ending_before=2026-10-01") == {"AAD-001"}
    assert find("ending_before=2027-12-31") == {"AAD-001", "BEE-001"}
    assert find("search=beuk") == {"BEE-001"}
    assert find("search=AAD") == {"AAD-001"}
    ordered = [row["code"] for row in results(api.get(f"{API}/locations/?ordering=-available"))]
    assert ordered == ["BEE-001", "AAD-001"]  # 7 available against 6
    ordered = [row["code"] for row in results(api.get(f"{API}/locations/?ordering=-end_date"))]
    assert ordered == ["BEE-001", "AAD-001"]


def test_room_filters(api_for, personas, filled):
    Room.objects.filter(pk=filled.rooms_b[1].pk).update(occupancy=RoomOccupancy.SHARED)
    api = api_for(personas.beheerder)

    def find(query: str) -> set[str]:
        return {row["number"] for row in results(api.get(f"{API}/rooms/?{query}"))}

    assert find(f"location={filled.loc_b.uuid}") == {"B1", "B2"}
    assert find("state=blocked") == {"A1"}
    assert find("occupancy=shared") == {"B2"}
    assert find("min_beds=4") == {"A3", "A4", "B2"}
    assert find("min_available=4") == {"A4", "B2"}
    assert find(f"location={filled.loc_a.uuid}&min_available=1") == {"A4"}


def test_municipality_filter_by_region(api_for, personas, world):
    extra = MunicipalityFactory(region=world.zuid, name="Zuiderdorp", cbs_code="GM9004")
    api = api_for(personas.outsider)
    assert {m["cbs_code"] for m in results(api.get(f"{API}/municipalities/?region=zuid"))} == {"GM9003",
                                                                                             extra.cbs_code}
    assert {m["cbs_code"] for m in results(api.get(f"{API}/municipalities/?region={world.noord.pk}"))} == set()
    api = api_for(personas.beheerder)
    assert {m["cbs_code"] for m in results(api.get(f"{API}/municipalities/?region=noord"))} == {"GM9001",
                                                                                              "GM9002"}


# --- query counts -----------------------------------------------------------------------------------------

def _grow(world, count: int) -> None:
    for i in range(count):
        location = LocationFactory(municipality=world.mun_b if i % 2 else world.mun_a)
        ContactPersonFactory(location=location)
        ContactPersonFactory(location=location, is_primary=False)
        RoomFactory(location=location, beds=2)
        RoomFactory(location=location, beds=5)
        MunicipalityFactory(region=world.noord)


def _queries(api: APIClient, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


@pytest.mark.parametrize("path", ["/regions/", "/municipalities/", "/locations/", "/rooms/"])
def test_list_query_count_does_not_grow_with_rows(api_for, personas, world, path):
    api = api_for(personas.beheerder)
    _grow(world, 3)
    few, few_rows = _queries(api, API + path)
    _grow(world, 17)
    many, many_rows = _queries(api, API + path)
    assert many_rows > few_rows or path == "/regions/"
    assert many == few
    assert many <= 4


def test_query_count_with_token_authentication(personas, world):
    _, key = api_token_create(user=personas.beheerder, name="test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api.get(f"{API}/regions/")  # records "last used" (once a minute), so both counts below are without it
    _grow(world, 3)
    few, _ = _queries(api, f"{API}/locations/")
    _grow(world, 17)
    many, _ = _queries(api, f"{API}/locations/")
    assert many == few


# --- schema and documentation --------------------------------------------------------------------------------

def test_schema_is_valid_openapi_3(api_for, personas):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    paths = schema["paths"]
    for path in ("/api/v1/regions/", "/api/v1/municipalities/", "/api/v1/locations/", "/api/v1/locations/{uuid}/",
                 "/api/v1/rooms/", "/api/v1/rooms/{id}/block/", "/api/v1/rooms/{id}/unblock/",
                 "/api/v1/auth/token/"):
        assert path in paths, path
    assert "delete" not in paths["/api/v1/locations/{uuid}/"]
    assert "never deleted" in paths["/api/v1/locations/{uuid}/"]["patch"]["description"]
    parameters = {p["name"] for p in paths["/api/v1/locations/"]["get"]["parameters"]}
    assert {"municipality", "region", "kind", "status", "suitable_infants", "suitable_pets", "suitable_wheelchair",
            "suitable_care", "intake_24_7", "is_remote", "min_free_in_room", "ending_before", "search",
            "ordering"} <= parameters
    room_schema = schema["components"]["schemas"]["Room"]["properties"]
    assert room_schema["occupants"]["readOnly"] is True
    assert "occupants" not in schema["components"]["schemas"]["PatchedRoomRequest"]["properties"]
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"message", "code"}
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_docs_page_renders_without_external_assets():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    scripts = re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", html)
    styles = re.findall(r"<link[^>]*\shref=\"([^\"]+)\"", html)
    assert scripts, "the Swagger UI bundle must be loaded"
    assert all(not src.startswith(("http://", "https://", "//")) for src in scripts + styles)
