"""Bad input and double submits never answer 500 (issue 6, point 6).

Every page and API operation of placements and locations is fed malformed ids, impossible dates,
numbers beyond PostgreSQL's integer range, wrong JSON types, unknown choices and filters, and the
second click of a lifecycle step. Each answers a 4xx with a Dutch message (JSON {message, code} in
the API) and writes nothing. Two sweeps at the end walk every URL pattern and every operation of
the OpenAPI schema, so a view added later is fed the same junk without anyone listing it here."""

from __future__ import annotations

import uuid

import pytest
from django.db import DataError
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from locations.models import ContactPerson, Location, Room
from placements import supra
from placements.models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    SupraRegionalRequest,
)
from placements.services import placement_arrive, placement_confirm, placement_reserve
from rcvs.api import exception_handler
from tests.factories import ContactPersonFactory, make_request
from tests.placements.test_views import ONE_ADULT, form_data

pytestmark = pytest.mark.django_db

API = "/api/v1"
HUGE = "99999999999999999999"  # beyond bigint
# A valid uuid that names nothing: fixed, so parallel test workers collect the same test ids.
UNKNOWN_UUID = "7e1f0000-0000-4000-8000-00000000dead"
CHOOSE = "Kies een plek uit de lijst met kandidaten."


def snapshot() -> tuple:
    """Everything a refused request must leave as it was."""
    return (
        sorted(PlacementRequest.objects.values_list("pk", "status", "assigned_to_id")),
        sorted(Placement.objects.values_list("pk", "status", "departed_on", "arrived_at")),
        sorted(Room.objects.values_list("pk", "occupants", "beds", "state", "blocked_reason")),
        sorted(Location.objects.values_list("pk", "name", "status")),
        PlacementEvent.objects.count(), HouseholdMember.objects.count(), PlacementRoom.objects.count(),
        SupraRegionalRequest.objects.count(), ContactPerson.objects.count(),
    )


@pytest.fixture
def scene(world, personas):
    """An open request, a reserved, a confirmed and an arrived placement, a forwarded request."""
    belteam = personas.belteam

    def placed(room, *, confirm=True):
        placement = placement_reserve(user=belteam, request=make_request(region=world.noord),
                                      allocation=[(room.pk, 1)])
        return placement_confirm(user=belteam, placement=placement) if confirm else placement

    arrived = placed(world.rooms_b[0])
    placement_arrive(user=belteam, placement=arrived)
    forwarded = supra.supra_request_create(user=belteam, request=make_request(region=world.noord),
                                           contact_name="Belteam", contact_phone="0592 000 000")
    return type("Scene", (), {
        "open": make_request(region=world.noord), "reserved": placed(world.rooms_a[0], confirm=False),
        "confirmed": placed(world.rooms_a[1]), "arrived": Placement.objects.get(pk=arrived.pk),
        "supra": forwarded, "contact": ContactPersonFactory(location=world.loc_a),
        "free_room": world.rooms_a[2],
    })


def assert_refused(response, status: int | tuple[int, ...], text: str | None = None) -> str:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:2000])
    content = response.content.decode()
    if text:
        assert text in content, content[:3000]
    return content


def assert_api_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:2000])
    body = response.json()
    assert isinstance(body, dict) and body["message"] and body["code"], body
    if code:
        assert body["code"] == code, body
    return body


# --- the request page: placing, taking ----------------------------------------------------------

MALFORMED_ALLOCATIONS = ["abc", "1:0", "1:", ":2", ":", f"{HUGE}:1", "-1:1", "1:-1", "1:1:1", "1;1", "１:1",
                         "", " , ", "{free}:1,{free}:1", "{free}:" + HUGE, "{free}:13"]


@pytest.mark.parametrize("action", ["", "reserve", "confirm"])
@pytest.mark.parametrize("raw", MALFORMED_ALLOCATIONS)
def test_request_page_refuses_a_malformed_allocation(scene, personas, login, raw, action):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_place", args=[scene.open.uuid]), {
        "allocation": raw.format(free=scene.free_room.pk), "action": action})
    content = assert_refused(response, 400, CHOOSE)
    assert 'id="h-candidates"' in content  # the candidates are shown again, to choose from
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["999999:1", "{other_region}:1"])  # no such room; a room of another region
def test_request_page_answers_409_for_rooms_it_cannot_have(scene, world, personas, login, raw):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_place", args=[scene.open.uuid]), {
        "allocation": raw.format(other_region=world.rooms_c[0].pk), "action": "confirm"})
    content = assert_refused(response, 409, "Niet meer beschikbaar")
    assert world.loc_c.name not in content and world.loc_c.code not in content
    assert snapshot() == before


def test_request_page_refuses_rooms_of_two_locations(scene, world, personas, login):
    household = make_request(region=world.noord, members=[
        ONE_ADULT[0], {"first_name": "Iva", "last_name": "Proefenko", "date_of_birth": ONE_ADULT[0]["date_of_birth"],
                       "sex": "f", "relation": "partner"}])
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_place", args=[household.uuid]), {
        "allocation": f"{scene.free_room.pk}:1,{world.rooms_b[1].pk}:1", "action": "confirm"})
    assert_refused(response, (400, 409), "Niet meer beschikbaar")
    assert snapshot() == before


def test_placing_a_request_someone_else_placed_meanwhile_is_a_409_with_the_page(scene, personas, login):
    """Two users place the same request: the second gets the page back with a Dutch message."""
    url = reverse("placements:request_place", args=[scene.open.uuid])
    first = login(personas.belteam).post(url, {"allocation": f"{scene.free_room.pk}:1", "action": "confirm"})
    assert first.status_code == 302
    before = snapshot()
    second = login(personas.coordinator).post(url, {"allocation": f"{scene.free_room.pk}:1", "action": "confirm"})
    assert_refused(second, 409, "Reserveren kan niet vanuit status")
    assert snapshot() == before


def test_placing_into_a_room_taken_meanwhile_shows_fresh_candidates(scene, world, personas, login):
    url = reverse("placements:request_place", args=[scene.open.uuid])
    other = make_request(region=world.noord)
    placement_reserve(user=personas.coordinator, request=other, allocation=[(scene.free_room.pk, 1)])
    before = snapshot()
    response = login(personas.belteam).post(url, {"allocation": f"{scene.free_room.pk}:1", "action": "confirm"})
    content = assert_refused(response, 409, "Niet meer beschikbaar")
    assert f'value="{world.rooms_a[3].pk}:1"' in content  # a room that is still free is proposed
    assert f'value="{scene.free_room.pk}:1"' not in content
    assert snapshot() == before


def test_taking_a_request_that_is_no_longer_open_is_a_409(scene, personas, login):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_take", args=[scene.reserved.request.uuid]))
    assert_refused(response, 409, "In behandeling nemen kan niet vanuit status")
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["abc", "1:0", f"{HUGE}:1"])
def test_new_request_page_refuses_a_malformed_allocation(world, personas, login, raw):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_new"), {
        **form_data(world, ONE_ADULT), "allocation": raw, "action": "confirm"})
    assert_refused(response, 400, CHOOSE)
    assert snapshot() == before


@pytest.mark.parametrize("first_action, second_action", [
    ("confirm", "confirm"), ("reserve", "confirm"), ("save", "save"), ("confirm", "save"), ("forward", "confirm"),
])
def test_a_second_click_on_the_new_request_page_registers_nothing(world, personas, login, first_action,
                                                                   second_action):
    """Plaatsen or Opslaan clicked twice (or the POST resent): one request, the second click a 409."""
    client = login(personas.belteam)
    data = form_data(world, ONE_ADULT)

    def submit(action, room=world.rooms_a[2], **extra):
        placing = {"allocation": f"{room.pk}:1"} if action in ("confirm", "reserve") else {}
        return client.post(reverse("placements:request_new"), {**data, **extra, **placing, "action": action})

    first = submit(first_action)
    assert first.status_code == 302, first.content.decode()[:3000]
    before = snapshot()
    assert_refused(submit(second_action, room=world.rooms_a[3]), 409, "Dit huishouden is zojuist al opgeslagen")
    assert snapshot() == before
    # Another household, or the same one by another user (a colleague's duplicate is a warning, not
    # a double click), is registered as usual.
    assert submit("save", **{"members-0-date_of_birth": "1991-04-01"}).status_code == 302
    client.force_login(personas.coordinator)
    assert submit("save").status_code == 302


@pytest.mark.parametrize("total", ["abc", HUGE, "-1", "100000"])
def test_new_request_page_survives_a_forged_formset(world, personas, login, total):
    before = snapshot()
    data = {**form_data(world, ONE_ADULT), "members-TOTAL_FORMS": total}
    for action in ("add_member", "save", "confirm"):
        response = login(personas.belteam).post(reverse("placements:request_new"), {**data, "action": action})
        assert response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize("field, value", [
    ("arrival_date", "31-02-2026"), ("arrival_date", "2026-02-31"), ("arrival_date", "99999-01-01"),
    ("arrival_time", "25:99"), ("pets_count", HUGE), ("pets_count", "-1"), ("pets_count", "abc"),
    ("urgency", "extreem"), ("source", "onbekend"), ("region", HUGE), ("region", "abc"),
    ("preferred_municipality", HUGE), ("members-0-date_of_birth", "31-02-1990"),
    ("members-0-date_of_birth", "0001-01-01"), ("members-0-sex", "q"), ("members-0-relation", "baas"),
    ("members-0-v_number", "x" * 500), ("members-0-first_name", ""),
])
def test_new_request_page_refuses_bad_fields_in_dutch(world, personas, login, field, value):
    before = snapshot()
    client = login(personas.belteam)
    for action in ("save", "confirm"):
        data = {**form_data(world, ONE_ADULT), field: value, "action": action, "allocation": f"{world.rooms_a[2].pk}:1"}
        assert_refused(client.post(reverse("placements:request_new"), data), 400, "Controleer")
    preview = client.post(reverse("placements:preview"), {**form_data(world, ONE_ADULT), field: value})
    assert preview.status_code == 200  # htmx swaps only 2xx: the panel lists the problem
    assert snapshot() == before


# --- the placement page: double submits and bad fields ------------------------------------------

def _again(client, url, data):
    first = client.post(url, data)
    assert first.status_code == 302, first.content[:2000]
    before = snapshot()
    return client.post(url, data), before


@pytest.mark.parametrize("step, which, data, text", [
    ("placement_confirm", "reserved", {"notify_location": "on"}, "Bevestigen kan niet vanuit status"),
    ("placement_arrive", "confirmed", {}, "Aankomst melden kan niet vanuit status"),
    ("placement_depart", "arrived", {"reason": "own_housing"}, "kan niet vanuit status"),
    ("placement_release", "reserved", {"reason": "Belt niet terug"}, "Vrijgeven kan niet vanuit status"),
])
def test_a_double_submit_is_a_clean_409(scene, personas, login, step, which, data, text):
    from django.utils import timezone

    placement = getattr(scene, which)
    if step == "placement_depart":
        data = {**data, "on": timezone.localdate().isoformat()}
    second, before = _again(login(personas.belteam), reverse(f"placements:{step}", args=[placement.uuid]), data)
    assert_refused(second, 409, text)
    assert snapshot() == before


@pytest.mark.parametrize("data", [
    {}, {"on": "31-02-2026", "reason": "own_housing"}, {"on": "2026-02-31", "reason": "own_housing"},
    {"on": "99999999-01-01", "reason": "own_housing"}, {"on": "2026-01-01", "reason": "weggelopen"},
    {"on": "2026-01-01", "reason": "own_housing", "note": "x" * 201},
])
@pytest.mark.parametrize("persona", ["belteam", "gemeente_b"])
def test_depart_refuses_bad_fields(scene, personas, login, data, persona):
    before = snapshot()
    response = login(getattr(personas, persona)).post(
        reverse("placements:placement_depart", args=[scene.arrived.uuid]), data)
    assert_refused(response, 400, "Controleer de invoer")
    assert snapshot() == before


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "x" * 301}, {"reason": ["", ""]}])
def test_release_refuses_bad_fields(scene, personas, login, data):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:placement_release", args=[scene.reserved.uuid]),
                                            data)
    assert_refused(response, 400, "Controleer de invoer")
    assert snapshot() == before


@pytest.mark.parametrize("raw, status, text", [
    ("abc", 400, CHOOSE), ("1:0", 400, CHOOSE), (f"{HUGE}:1", 400, CHOOSE), ("", 400, CHOOSE),
    ("999999:1", 409, "Niet meer beschikbaar"),
])
def test_transfer_refuses_a_malformed_allocation(scene, personas, login, raw, status, text):
    before = snapshot()
    response = login(personas.coordinator).post(
        reverse("placements:placement_transfer", args=[scene.confirmed.uuid]), {"reason": "Ruzie", "allocation": raw})
    assert_refused(response, status, text)
    assert snapshot() == before


@pytest.mark.parametrize("other", ["abc", HUGE, "-1", UNKNOWN_UUID, ""])
def test_swap_refuses_an_unknown_other(scene, personas, login, other):
    before = snapshot()
    response = login(personas.coordinator).post(
        reverse("placements:placement_swap", args=[scene.confirmed.uuid]), {"other": other, "reason": "Ruil"})
    assert_refused(response, 400, "Controleer de invoer")
    assert snapshot() == before


@pytest.mark.parametrize("data", [{}, {"reason": "x" * 301}, {"reason": ""}])
def test_cancel_refuses_bad_fields(scene, personas, login, data):
    before = snapshot()
    response = login(personas.belteam).post(reverse("placements:request_cancel", args=[scene.open.uuid]), data)
    assert_refused(response, 400, "Controleer de invoer")
    assert snapshot() == before


def test_supra_forms_refuse_bad_fields(scene, personas, login):
    before = snapshot()
    client = login(personas.belteam)
    response = client.post(reverse("placements:request_forward", args=[scene.open.uuid]),
                           {"contact_name": "x" * 500, "contact_phone": "", "contact_email": "geen-mail"})
    assert_refused(response, 400, "Controleer de invoer")
    response = client.post(reverse("placements:supra_detail", args=[scene.supra.uuid]), {"status": "verzonnen"})
    assert_refused(response, 400, "Controleer de invoer")
    assert client.get(reverse("placements:supra_detail", args=[scene.supra.uuid]) + "?formaat=exe").status_code == 200
    assert snapshot() == before


# --- locations pages ----------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "min_free_in_room=abc", f"min_free_in_room={HUGE}", "min_free_in_room=-1", "ending_within_months=999999999999",
    "sort=wachtwoord", "municipality=abc", f"municipality={HUGE}", "status=weg",
])
def test_overview_filters_say_what_is_wrong(scene, world, personas, login, query):
    response = login(personas.beheerder).get(reverse("locations:overview") + "?" + query)
    # A filter page: it shows the filter's Dutch error beside the field, and the unfiltered list.
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="field-error"' in content and world.loc_a.name in content


def test_overview_search_takes_a_long_text(scene, personas, login):
    assert login(personas.beheerder).get(reverse("locations:overview") + "?q=" + "x" * 5000).status_code == 200


@pytest.mark.parametrize("page", ["abc", HUGE, "-1", "0"])
def test_history_pages_take_any_page_number(world, personas, login, page):
    response = login(personas.beheerder).get(reverse("locations:history", args=[world.loc_a.uuid]) + f"?pagina={page}")
    assert response.status_code == 200


@pytest.mark.parametrize("view, data", [
    ("room_create", {"number": "Z1", "beds": HUGE}), ("room_create", {"number": "Z1", "beds": "abc"}),
    ("room_create", {"number": "Z1", "beds": "-1", "floor": HUGE}),
    ("room_create", {"number": "x" * 500, "beds": "2"}),
    ("edit", {"name": "", "capacity_target": HUGE, "end_date": "31-02-2026"}),
    ("contact_create", {"name": "", "phone": "x" * 500, "email": "geen"}),
])
def test_location_forms_refuse_bad_fields(world, personas, login, view, data):
    before = snapshot()
    response = login(personas.beheerder).post(reverse(f"locations:{view}", args=[world.loc_a.uuid]), data)
    assert_refused(response, 400)
    assert 'class="field-error"' in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("data", [{"reason": "", "until": "31-02-2026"}, {"reason": "x" * 500},
                                  {"reason": "Lekkage", "until": "99999-12-31"}])
def test_room_block_refuses_bad_fields(world, personas, login, data):
    before = snapshot()
    room = world.rooms_a[3]
    response = login(personas.beheerder).post(reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]), data)
    assert_refused(response, 400)
    assert 'class="field-error"' in response.content.decode()
    assert snapshot() == before


# --- API: pagination, allocations, double submits, filters ---------------------------------------

@pytest.mark.parametrize("path", ["/placement-requests/", "/placements/", "/supra-regional-requests/",
                                  "/regions/", "/municipalities/", "/locations/", "/rooms/"])
@pytest.mark.parametrize("query", ["limit=abc", "limit=-1", "limit=0", "offset=abc", "offset=-5", f"offset={HUGE}",
                                   "offset=10000001", "limit=1.5"])
def test_api_lists_refuse_bad_paging(scene, personas, api_for, path, query):
    body = assert_api_error(api_for(personas.beheerder).get(f"{API}{path}?{query}"), 400, "invalid")
    assert set(body["errors"]) <= {"limit", "offset"}


@pytest.mark.parametrize("path", ["/placements/", "/rooms/"])
def test_api_lists_cap_a_huge_limit(scene, personas, api_for, path):
    response = api_for(personas.beheerder).get(f"{API}{path}?limit=10000000000000000000")
    assert response.status_code == 200, response.content
    assert response.json()["count"] >= 1
    one = api_for(personas.beheerder).get(f"{API}{path}?limit=1&offset=1").json()
    assert len(one["results"]) == 1 and "limit=1" in (one["next"] or one["previous"])


def test_api_page_size_is_capped_at_500(world, personas, api_for):
    from rest_framework.test import APIRequestFactory

    from rcvs.api import LimitOffsetPagination

    request = APIRequestFactory().get("/", {"limit": "100000"})
    request.query_params = request.GET
    assert LimitOffsetPagination().get_limit(request) == 500


@pytest.mark.parametrize("allocation", [
    "12:1", {"12": 1}, [12, 1], [[HUGE, 1]], [[int(HUGE), 1]], [["abc", 1]], [[1, 0]], [[1, -1]], [[1]],
    [[1, 2, 3]], [], None, [[{"room": 1}, 1]], [[1.5, 1]], [[True, 1]], [["{free}", 13]],
    [["{free}", 1], ["{free}", 1]],
])
def test_api_reserve_refuses_a_malformed_allocation(scene, personas, api_for, allocation):
    free = scene.free_room.pk
    if isinstance(allocation, list):
        allocation = [[free if item == "{free}" else item for item in pair] if isinstance(pair, list) else pair
                      for pair in allocation]
    before = snapshot()
    response = api_for(personas.belteam).post(f"{API}/placement-requests/{scene.open.uuid}/reserve/",
                                              {"allocation": allocation}, format="json")
    assert_api_error(response, 400, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize("body", [[], "x", 12, None, [{"allocation": [[1, 1]]}]])
@pytest.mark.parametrize("operation", ["reserve", "cancel"])
def test_api_request_operations_refuse_a_body_that_is_not_an_object(scene, personas, api_for, body, operation):
    before = snapshot()
    response = api_for(personas.belteam).post(f"{API}/placement-requests/{scene.open.uuid}/{operation}/",
                                              body, format="json")
    assert_api_error(response, 400)
    assert snapshot() == before


@pytest.mark.parametrize("step, which, body", [
    ("confirm", "reserved", {}), ("arrive", "confirmed", {}), ("depart", "arrived", {"reason": "own_housing"}),
    ("release", "reserved", {"reason": "Belt niet terug"}),
])
def test_api_double_submit_is_a_409(scene, personas, api_for, step, which, body):
    from django.utils import timezone

    if step == "depart":
        body = {**body, "on": timezone.localdate().isoformat()}
    api = api_for(personas.belteam)
    url = f"{API}/placements/{getattr(scene, which).uuid}/{step}/"
    assert api.post(url, body, format="json").status_code == 200
    before = snapshot()
    body_of_error = assert_api_error(api.post(url, body, format="json"), 409, "invalid_transition")
    assert "kan niet vanuit status" in body_of_error["message"]
    assert snapshot() == before


def test_api_take_of_a_placed_request_is_a_409(scene, personas, api_for):
    before = snapshot()
    response = api_for(personas.belteam).post(f"{API}/placement-requests/{scene.reserved.request.uuid}/take/")
    assert_api_error(response, 409, "invalid_transition")
    assert snapshot() == before


@pytest.mark.parametrize("step, body", [
    ("depart", {"on": "31-02-2026", "reason": "own_housing"}), ("depart", {"on": "2026-02-31", "reason": "x"}),
    ("depart", {"on": ["2026-01-01"], "reason": "own_housing"}), ("arrive", {"at": "gisteren"}),
    ("arrive", {"at": "99999-01-01T00:00:00Z"}), ("transfer", {"allocation": [[HUGE, 1]], "reason": "x"}),
    ("transfer", {"allocation": "1:1", "reason": "x"}), ("confirm", {"notify_location": "misschien"}),
    ("release", {"reason": ["a", "b"]}), ("release", {"reason": "x" * 301}),
])
def test_api_placement_operations_refuse_bad_fields(scene, personas, api_for, step, body):
    before = snapshot()
    which = {"confirm": scene.reserved, "release": scene.reserved}.get(step, scene.arrived)
    response = api_for(personas.coordinator).post(f"{API}/placements/{which.uuid}/{step}/", body, format="json")
    assert_api_error(response, 400, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize("body", [
    {"first": "abc", "second": UNKNOWN_UUID, "reason": "x"}, {"first": HUGE, "second": HUGE, "reason": "x"},
    [], {"first": None, "second": None, "reason": None},
])
def test_api_swap_refuses_bad_fields(scene, personas, api_for, body):
    before = snapshot()
    assert_api_error(api_for(personas.coordinator).post(f"{API}/placements/swap/", body, format="json"), 400, "invalid")
    assert snapshot() == before


@pytest.mark.parametrize("query", [
    "min_free_in_room=abc", f"min_free_in_room={HUGE}", "min_free_in_room=-1", "ending_before=31-02-2026",
    "ordering=password", "ordering=-wachtwoord", "status=weg", "kind=x", f"municipality={HUGE}", f"region={HUGE}",
    "suitable_pets=misschien",
])
def test_api_location_filters_answer_4xx_or_filter(scene, personas, api_for, query):
    response = api_for(personas.beheerder).get(f"{API}/locations/?{query}")
    if response.status_code != 200:
        assert_api_error(response, 400, "invalid")


@pytest.mark.parametrize("path", [
    f"/rooms/?min_beds={HUGE}", "/rooms/?min_beds=abc", f"/rooms/?min_available={HUGE}", "/rooms/?min_available=-1",
    "/rooms/?location=abc", "/rooms/?state=weg", "/rooms/?occupancy=x", f"/locations/?min_free_in_room={HUGE}",
    "/locations/?min_free_in_room=1.5", "/locations/?ending_before=2026-02-31",
])
def test_api_registry_filters_refuse_bad_values(scene, personas, api_for, path):
    body = assert_api_error(api_for(personas.beheerder).get(API + path), 400, "invalid")
    assert body["errors"]


@pytest.mark.parametrize("path", [
    f"/placement-requests/{{open}}/candidates/?limit={value}" for value in ("abc", HUGE, "-1", "0", "51")
] + ["/placement-requests/?open=misschien", "/placements/?status=weg", "/placements/?location=abc",
     "/placement-requests/?urgency=extreem", "/supra-regional-requests/?direction=sideways"])
def test_api_query_parameters_refuse_bad_values(scene, personas, api_for, path):
    response = api_for(personas.belteam).get(API + path.format(open=scene.open.uuid))
    assert_api_error(response, 400, "invalid")


@pytest.mark.parametrize("path", [f"/rooms/{HUGE}/", "/rooms/abc/", "/rooms/-1/", f"/placements/{UNKNOWN_UUID}/",
                                  f"/locations/{UNKNOWN_UUID}/", f"/rooms/{HUGE}/block/", "/locations/abc/"])
def test_api_unknown_ids_are_404(scene, personas, api_for, path):
    api = api_for(personas.beheerder)
    response = api.post(API + path, {"reason": "x"}, format="json") if path.endswith("block/") else api.get(API + path)
    assert_api_error(response, 404)


def test_api_a_malformed_uuid_matches_no_url(personas, api_for):
    # The router's UUID pattern: "not-a-uuid" never reaches a view or the database.
    assert api_for(personas.beheerder).get(f"{API}/placements/not-a-uuid/").status_code == 404


def test_a_database_error_in_the_api_is_a_dutch_400():
    """The last line of defence behind the serializers: a DataError or overflow is the client's bad
    input, answered in the usual error shape, never a 500."""
    for exc in (DataError("integer out of range"), OverflowError("Python int too large"), ValueError("x")):
        response = exception_handler(exc, {"view": None})
        assert response is not None and response.status_code == 400
        assert response.data == {"message": "Ongeldige invoer.", "code": "invalid"}


def test_create_request_with_wrong_types_is_a_400(world, personas, api_for):
    before = snapshot()
    api = api_for(personas.belteam)
    for body in ([], "x", {"members": {"first_name": "X"}}, {"members": [[]]}, {"members": "Olena"},
                 {"members": [{"first_name": "Olena", "last_name": "Test", "date_of_birth": "31-02-1990",
                               "sex": "f", "relation": "main"}], "expected_arrival": "morgen"},
                 {"pets_count": HUGE, "members": []}, {"urgency": ["acute"], "members": []}):
        assert_api_error(api.post(f"{API}/placement-requests/", body, format="json"), 400, "invalid")
    assert snapshot() == before


def test_supra_incoming_with_wrong_types_is_a_400(world, personas, api_for):
    before = snapshot()
    api = api_for(personas.belteam)
    for body in ([], {"household_size": HUGE}, {"household_size": 2, "composition": [], "earliest_date": "2026-02-31"},
                 {"household_size": 2, "composition": {"0-3": HUGE}, "contact": "bel maar"}):
        assert_api_error(api.post(f"{API}/supra-regional-requests/", body, format="json"), 400, "invalid")
    assert snapshot() == before


# --- sweeps: every URL pattern, every operation of the schema -------------------------------------

JUNK_VALUES = ["abc", HUGE, "-1", "31-02-2026", "", "1:0", "x" * 2000, "\x00"]
FORM_FIELDS = ["allocation", "action", "reason", "on", "note", "notify_location", "other", "status", "region",
               "source", "urgency", "arrival_date", "arrival_time", "pets_count", "members-TOTAL_FORMS",
               "members-INITIAL_FORMS", "members-0-date_of_birth", "members-0-first_name", "contact_name",
               "contact_phone", "include_names", "number", "beds", "floor", "until", "name", "phone", "email",
               "capacity_target", "end_date", "municipality", "q", "min_free_in_room", "ending_within_months",
               "sort", "pagina", "formaat"]


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[tuple[str, str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, prefix + str(entry.pattern), entry.namespace or namespace)
        else:
            found.append((namespace, prefix + str(entry.pattern), entry))
    return found


def _kwargs_for(route: str, scene, world, *, real: bool) -> dict[str, object]:
    """Path arguments: the scene's own objects (so the view gets to its form), or junk ones."""
    if "plaatsingen/plaatsing/" in route:
        obj = scene.confirmed.uuid
    elif "plaatsingen/verzoek/" in route:
        obj = scene.open.uuid
    elif "bovenregionaal/" in route:
        obj = scene.supra.uuid
    else:
        obj = world.loc_a.uuid
    kwargs: dict[str, object] = {}
    if "<uuid:uuid>" in route:
        kwargs["uuid"] = obj if real else uuid.uuid4()
    if "<int:room_id>" in route:
        kwargs["room_id"] = world.rooms_a[3].pk if real else int(HUGE)
    if "<int:contact_id>" in route:
        kwargs["contact_id"] = scene.contact.pk if real else int(HUGE)
    return kwargs


@pytest.mark.parametrize("persona", ["beheerder", "gemeente_a"])  # beheerder: every action of the pages
def test_every_page_survives_junk(scene, world, personas, client, persona):
    """Every URL of placements and locations, with real and junk ids, GET and POST with junk in
    every field: never a 500. (Junk ids end at the lookup, so one kind of junk is enough there.)"""
    client.force_login(getattr(personas, persona))
    patterns = [(ns, route, p) for ns, route, p in _patterns(get_resolver())
                if ns in ("placements", "locations")]
    assert len(patterns) > 25
    for namespace, route, pattern in patterns:
        for real in (True, False):
            url = reverse(f"{namespace}:{pattern.name}", kwargs=_kwargs_for(route, scene, world, real=real))
            for value in JUNK_VALUES if real else JUNK_VALUES[:1]:
                junk = {name: value for name in FORM_FIELDS}
                query = "&".join(f"{name}={value[:50]}" for name in FORM_FIELDS if value != "\x00")
                for response in (client.get(f"{url}?{query}"), client.post(url, junk)):
                    assert response.status_code < 500, (url, value, response.status_code)


def _schema_operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(path, method, operation) for path, methods in schema["paths"].items()
            for method, operation in methods.items() if method in ("get", "post", "patch", "put", "delete")], schema


def _request_fields(operation: dict, schema: dict) -> list[str]:
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref")
    if not ref:
        return []
    return list(schema["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("properties", {}))


@pytest.mark.parametrize("persona", ["beheerder", "gemeente_a"])
def test_every_api_operation_survives_junk(scene, world, personas, api_for, persona):
    """Every operation in the OpenAPI schema, with junk in every parameter and body field and bodies
    of the wrong type: never a 500, and every error is JSON {message, code}."""
    operations, schema = _schema_operations()
    assert len(operations) > 25
    api = api_for(getattr(personas, persona))
    real = {"placement-requests": scene.open.uuid, "placements": scene.confirmed.uuid,
            "supra-regional-requests": scene.supra.uuid, "locations": world.loc_a.uuid,
            "rooms": world.rooms_a[3].pk, "municipalities": world.mun_a.pk, "regions": world.noord.pk}
    for path, method, operation in operations:
        collection = path.split("/")[3]
        for ident in (real.get(collection, "1"), uuid.uuid4(), HUGE, "abc"):
            url = path.replace("{uuid}", str(ident)).replace("{id}", str(ident))
            fields = _request_fields(operation, schema)
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
            bodies = [[], "x", 7, {name: [] for name in fields}, {name: {"x": 1} for name in fields}]
            bodies += [{name: value for name in fields} for value in JUNK_VALUES]
            for value in JUNK_VALUES[:4]:
                query = "&".join(f"{name}={value}" for name in params)
                response = getattr(api, method)(f"{url}?{query}", format="json") if method != "get" \
                    else api.get(f"{url}?{query}")
                _check_api_answer(response, url, method, value)
            if method in ("post", "patch", "put"):
                for body in bodies:
                    _check_api_answer(getattr(api, method)(url, body, format="json"), url, method, body)


def _check_api_answer(response, url, method, value):
    assert response.status_code < 500, (method, url, value, response.status_code)
    if response.status_code >= 400 and response.status_code != 405:
        body = response.json()
        assert isinstance(body, dict) and body.get("message") and body.get("code"), (method, url, body)


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_the_same_moment_register_one_household(world, personas):
    """The double click for real: two POSTs of the same household in flight at once, each on its own
    connection. The per-user lock makes the second wait for the first and then refuse."""
    import threading

    from django.db import connection
    from django.test import Client

    data = {**form_data(world, ONE_ADULT), "action": "save"}
    barrier = threading.Barrier(2, timeout=30)
    statuses: list[int] = []

    def click() -> None:
        try:
            client = Client()
            client.force_login(personas.belteam)
            connection.ensure_connection()
            barrier.wait()
            statuses.append(client.post(reverse("placements:request_new"), data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [302, 409]
    assert PlacementRequest.objects.count() == 1
