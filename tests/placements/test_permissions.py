"""Who may do what through the placements API: every role against every operation, always with
the outsider. A refused operation writes nothing; persons' names appear only where allowed."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from locations.models import Room
from placements.models import Placement, PlacementEvent, PlacementRequest, SupraRegionalRequest
from placements.services import placement_confirm, placement_reserve
from tests.factories import make_request

pytestmark = pytest.mark.django_db

API = "/api/v1"
ROLES = ("belteam", "coordinator", "gemeente_a", "gemeente_b", "bestuur", "beheerder", "outsider")
PLACERS = ("belteam", "coordinator", "beheerder")


def person(first_name: str, last_name: str) -> list[dict]:
    return [{"first_name": first_name, "last_name": last_name, "date_of_birth": dt.date(1988, 6, 1), "sex": "f",
             "relation": "main"}]


@pytest.fixture
def scene(world, personas):
    """Region Noord: a waiting request; a reservation at location A (room A1); confirmed households at
    A (room A2) and B (room B1); an incoming supra-regional request."""
    waiting = make_request(region=world.noord, members=person("Wachtend", "Zoeknaam-Wacht"), user=personas.belteam)
    held = make_request(region=world.noord, members=person("Gereserveerd", "Zoeknaam-Res"))
    reserved = placement_reserve(user=personas.belteam, request=held, allocation=[(world.rooms_a[0].pk, 1)])
    at_a = placement_confirm(user=personas.belteam, placement=placement_reserve(
        user=personas.belteam, request=make_request(region=world.noord, members=person("Verblijf", "Zoeknaam-A")),
        allocation=[(world.rooms_a[1].pk, 1)]))
    at_b = placement_confirm(user=personas.belteam, placement=placement_reserve(
        user=personas.belteam, request=make_request(region=world.noord, members=person("Verblijf", "Zoeknaam-B")),
        allocation=[(world.rooms_b[0].pk, 1)]))
    supra = SupraRegionalRequest.objects.create(
        region=world.noord, direction="incoming", counterpart="Regio Twente", household_size=2,
        composition={"18-64": 2}, earliest_date=timezone.localdate(), contact_name="Piket Twente",
        contact_phone="053 123 4567")
    return SimpleNamespace(waiting=waiting, reserved=reserved, at_a=at_a, at_b=at_b, supra=supra, world=world,
                           names=("Wachtend", "Gereserveerd", "Verblijf", "Zoeknaam-Wacht", "Zoeknaam-Res",
                                  "Zoeknaam-A", "Zoeknaam-B"))


def _new_request(s):
    return {"expected_arrival": (timezone.now() + dt.timedelta(days=1)).replace(hour=12).isoformat(),
            "members": [{**person("Nieuw", "Zoeknaam-Nieuw")[0], "date_of_birth": "1988-06-01"}]}


def _incoming(s):
    return {"household_size": 1, "composition": {"18-64": 1},
            "earliest_date": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
            "contact": {"name": "Piket", "phone": "053 123 4567"}}


def _r(s, suffix=""):
    return f"{API}/placement-requests/{s.waiting.uuid}/{suffix}"


def _p(placement, suffix=""):
    return f"{API}/placements/{placement.uuid}/{suffix}"


# name: (method, url, body)
OPERATIONS = {
    "requests.list": lambda s: ("get", f"{API}/placement-requests/", None),
    "requests.queue": lambda s: ("get", f"{API}/placement-requests/?open=1", None),
    "requests.retrieve": lambda s: ("get", _r(s), None),
    "requests.create": lambda s: ("post", f"{API}/placement-requests/", _new_request(s)),
    "requests.duplicates": lambda s: ("post", f"{API}/placement-requests/duplicates/",
                                      {"last_name": "Zoeknaam-Wacht", "date_of_birth": "1988-06-01"}),
    "requests.take": lambda s: ("post", _r(s, "take/"), {}),
    "requests.cancel": lambda s: ("post", _r(s, "cancel/"), {"reason": "Test"}),
    "requests.candidates": lambda s: ("get", _r(s, "candidates/"), None),
    "requests.reserve": lambda s: ("post", _r(s, "reserve/"), {"allocation": [[s.world.rooms_a[2].pk, 1]]}),
    "placements.list": lambda s: ("get", f"{API}/placements/", None),
    "placements.retrieve": lambda s: ("get", _p(s.at_a), None),
    "placements.confirm": lambda s: ("post", _p(s.reserved, "confirm/"), {}),
    "placements.release": lambda s: ("post", _p(s.reserved, "release/"), {"reason": "Test"}),
    "placements.arrive": lambda s: ("post", _p(s.at_a, "arrive/"), {}),
    "placements.depart": lambda s: ("post", _p(s.at_a, "depart/"),
                                    {"on": timezone.localdate().isoformat(), "reason": "own_housing"}),
    "placements.transfer": lambda s: ("post", _p(s.at_a, "transfer/"),
                                      {"allocation": [[s.world.rooms_b[1].pk, 1]], "reason": "Test"}),
    "placements.swap": lambda s: ("post", f"{API}/placements/swap/",
                                  {"first": str(s.at_a.uuid), "second": str(s.at_b.uuid), "reason": "Test"}),
    "supra.list": lambda s: ("get", f"{API}/supra-regional-requests/", None),
    "supra.retrieve": lambda s: ("get", f"{API}/supra-regional-requests/{s.supra.uuid}/", None),
    "supra.create": lambda s: ("post", f"{API}/supra-regional-requests/", _incoming(s)),
}


def _expect(placers: int, gemeente_a: int, gemeente_b: int, bestuur: int, outsider: int,
            belteam: int | None = None) -> dict[str, int]:
    expected = {"belteam": placers, "coordinator": placers, "beheerder": placers, "gemeente_a": gemeente_a,
                "gemeente_b": gemeente_b, "bestuur": bestuur, "outsider": outsider}
    if belteam is not None:
        expected["belteam"] = belteam
    return expected


EXPECTED = {
    # Lists answer 200 for everyone; what they contain is tested below.
    "requests.list": _expect(200, 200, 200, 200, 200),
    "requests.queue": _expect(200, 200, 200, 200, 200),
    "requests.duplicates": _expect(200, 200, 200, 200, 200),
    "placements.list": _expect(200, 200, 200, 200, 200),
    "supra.list": _expect(200, 200, 200, 200, 200),
    # Creating: the placing roles; the outsider creates in its own region.
    "requests.create": _expect(201, 403, 403, 403, 201),
    "supra.create": _expect(201, 403, 403, 403, 201),
    # Requests: only the placing roles of the region see them at all.
    "requests.retrieve": _expect(200, 404, 404, 404, 404),
    "requests.take": _expect(200, 404, 404, 404, 404),
    "requests.cancel": _expect(200, 404, 404, 404, 404),
    "requests.candidates": _expect(200, 404, 404, 404, 404),
    "requests.reserve": _expect(201, 404, 404, 404, 404),
    "supra.retrieve": _expect(200, 404, 404, 404, 404),
    # Placements: a municipality sees those at its own locations.
    "placements.retrieve": _expect(200, 200, 404, 404, 404),
    "placements.confirm": _expect(200, 403, 404, 404, 404),
    "placements.release": _expect(200, 403, 404, 404, 404),
    "placements.arrive": _expect(200, 200, 404, 404, 404),
    "placements.depart": _expect(200, 200, 404, 404, 404),
    "placements.transfer": _expect(201, 403, 404, 404, 404, belteam=403),
    "placements.swap": _expect(201, 403, 403, 403, 404, belteam=403),
}

ERROR_CODES = {403: "forbidden", 404: "not_found"}


def test_every_operation_has_an_expectation():
    assert set(EXPECTED) == set(OPERATIONS)
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


def _state() -> tuple:
    """Everything an operation could write."""
    return (
        sorted(PlacementRequest.objects.values_list("pk", "status", "assigned_to_id")),
        sorted(Placement.objects.values_list("pk", "status")),
        sorted(Room.objects.values_list("pk", "occupants")),
        PlacementEvent.objects.count(),
        SupraRegionalRequest.objects.count(),
    )


# POST only so that the person looked up travels in the body, not in the URL.
READ_ONLY_POSTS = {"requests.duplicates"}


def _call(api: APIClient, method: str, url: str, body: dict | None):
    if method == "get":
        return api.get(url)
    return api.post(url, body, format="json")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_role_operation_matrix(api_for, personas, scene, role, operation):
    method, url, body = OPERATIONS[operation](scene)
    before = _state()
    response = _call(api_for(getattr(personas, role)), method, url, body)
    expected = EXPECTED[operation][role]
    assert response.status_code == expected, (role, operation, response.content)
    if expected >= 400:
        assert response.json()["code"] == ERROR_CODES[expected]
        assert _state() == before, "a refused operation writes nothing"
    elif operation in READ_ONLY_POSTS:
        assert _state() == before, "a lookup sent as POST (to keep personal data out of URLs) writes nothing"
    elif method == "post":
        assert _state() != before
    if role in ("bestuur", "outsider") or (role.startswith("gemeente") and operation != "placements.retrieve"
                                           and operation not in ("placements.arrive", "placements.depart")):
        content = response.content.decode()
        assert not any(name in content for name in scene.names), (role, operation, content)


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_anonymous_is_401(scene, operation):
    method, url, body = OPERATIONS[operation](scene)
    before = _state()
    response = _call(APIClient(), method, url, body)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert _state() == before


def _uuids(api: APIClient, path: str) -> set[str]:
    response = api.get(f"{API}{path}")
    assert response.status_code == 200, response.content
    return {row["uuid"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_only_what_the_role_may_see(api_for, personas, scene, role):
    api = api_for(getattr(personas, role))
    s = scene
    requests = {str(r.uuid) for r in (s.waiting, s.reserved.request, s.at_a.request, s.at_b.request)}
    placements = {
        "gemeente_a": {str(s.reserved.uuid), str(s.at_a.uuid)},
        "gemeente_b": {str(s.at_b.uuid)},
        **dict.fromkeys(PLACERS, {str(s.reserved.uuid), str(s.at_a.uuid), str(s.at_b.uuid)}),
    }
    assert _uuids(api, "/placement-requests/") == (requests if role in PLACERS else set())
    assert _uuids(api, "/placement-requests/?open=1") == (requests - {str(s.at_a.request.uuid),
                                                                     str(s.at_b.request.uuid)}
                                                          if role in PLACERS else set())
    assert _uuids(api, "/placements/") == placements.get(role, set())
    assert _uuids(api, "/supra-regional-requests/") == ({str(s.supra.uuid)} if role in PLACERS else set())
    duplicates = api.post(f"{API}/placement-requests/duplicates/",
                          {"last_name": "Zoeknaam-Wacht", "date_of_birth": "1988-06-01"}, format="json")
    assert [row["request"] for row in duplicates.json()] == ([str(s.waiting.uuid)] if role in PLACERS else [])
    # Lists never carry names, whoever asks.
    for path in ("/placement-requests/", "/placement-requests/?open=1", "/placements/", "/supra-regional-requests/"):
        content = api.get(f"{API}{path}").content.decode()
        assert not any(name in content for name in s.names), (role, path)


def test_bestuur_sees_no_persons_at_all(api_for, personas, scene):
    api = api_for(personas.bestuur)
    s = scene
    for path in (f"/placement-requests/{s.waiting.uuid}/", f"/placement-requests/{s.waiting.uuid}/candidates/",
                 f"/placements/{s.at_a.uuid}/", f"/placements/{s.at_b.uuid}/", f"/placements/{s.reserved.uuid}/",
                 f"/supra-regional-requests/{s.supra.uuid}/"):
        response = api.get(f"{API}{path}")
        assert response.status_code == 404, path
        assert not any(name in response.content.decode() for name in s.names)


def test_gemeente_sees_the_households_at_its_own_locations_only(api_for, personas, scene):
    s = scene
    own = api_for(personas.gemeente_a).get(f"{API}/placements/{s.at_a.uuid}/")
    assert own.status_code == 200
    assert [(m["first_name"], m["last_name"]) for m in own.json()["household"]] == [("Verblijf", "Zoeknaam-A")]
    assert "Zoeknaam-B" not in own.content.decode()
    # Never casework: the household carries what placing needs, nothing about care.
    assert set(own.json()["household"][0]) == {"uuid", "first_name", "last_name", "date_of_birth", "sex",
                                               "nationality", "relation", "v_number"}
    assert api_for(personas.gemeente_b).get(f"{API}/placements/{s.at_a.uuid}/").status_code == 404
    assert api_for(personas.gemeente_a).get(f"{API}/placement-requests/{s.at_a.request.uuid}/").status_code == 404


def test_request_detail_has_a_care_flag_and_no_care_details(api_for, personas, world):
    request = make_request(region=world.noord, care_need=True)
    body = api_for(personas.belteam).get(f"{API}/placement-requests/{request.uuid}/").json()
    assert body["care_need"] is True
    assert not {"casework", "cases", "care", "care_details", "health"} & set(body)


def test_outsider_works_in_its_own_region_only(api_for, personas, scene, world):
    own = make_request(region=world.zuid, members=person("Zuid", "Zoeknaam-Zuid"))
    outsider, belteam = api_for(personas.outsider), api_for(personas.belteam)
    assert outsider.get(f"{API}/placement-requests/{own.uuid}/").status_code == 200
    assert _uuids(outsider, "/placement-requests/") == {str(own.uuid)}
    assert belteam.get(f"{API}/placement-requests/{own.uuid}/").status_code == 404
    assert str(own.uuid) not in _uuids(belteam, "/placement-requests/")
    # Reserving a room of Noord for a request of Zuid is refused without writing anything.
    before = Room.objects.get(pk=world.rooms_a[3].pk).occupants
    response = outsider.post(f"{API}/placement-requests/{own.uuid}/reserve/",
                             {"allocation": [[world.rooms_a[3].pk, 1]]}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_available"
    assert Room.objects.get(pk=world.rooms_a[3].pk).occupants == before
    assert not Placement.objects.filter(request=own).exists()
    # Naming a region that is not one's own is a field error.
    response = outsider.post(f"{API}/placement-requests/", {**_new_request(scene), "region": "noord"}, format="json")
    assert response.status_code == 400
    assert "region" in response.json()["errors"]
