"""The registry's HTML pages: scope (404 outside), roles, self-service, history, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from locations.models import Location, Room, RoomState
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

pytestmark = pytest.mark.django_db


def detail_url(location):
    return reverse("locations:detail", args=[location.uuid])


# --- scope ------------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["belteam", "coordinator", "bestuur", "beheerder", "gemeente_a"])
def test_every_role_of_the_region_sees_the_overview(persona, personas, world, login):
    client = login(getattr(personas, persona))
    response = client.get(reverse("locations:overview"))
    assert response.status_code == 200
    assert world.loc_a.name in response.text
    assert world.loc_c.name not in response.text  # another region


def test_gemeente_sees_only_its_own_municipality(personas, world, login):
    client = login(personas.gemeente_a)
    page = client.get(reverse("locations:overview")).text
    assert world.loc_a.name in page and world.loc_b.name not in page
    assert client.get(detail_url(world.loc_a)).status_code == 200
    assert client.get(detail_url(world.loc_b)).status_code == 404
    assert client.get(reverse("locations:history", args=[world.loc_b.uuid])).status_code == 404
    assert client.get(reverse("locations:edit", args=[world.loc_b.uuid])).status_code == 404


def test_outsider_gets_404_for_everything_in_another_region(personas, world, login):
    client = login(personas.outsider)
    room = world.rooms_a[0]
    for url in [
        detail_url(world.loc_a),
        reverse("locations:edit", args=[world.loc_a.uuid]),
        reverse("locations:history", args=[world.loc_a.uuid]),
        reverse("locations:room_edit", args=[world.loc_a.uuid, room.pk]),
        reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("locations:room_unblock", args=[world.loc_a.uuid, room.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("locations:overview"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["belteam", "coordinator", "bestuur"])
def test_read_only_roles_cannot_edit(persona, personas, world, login):
    client = login(getattr(personas, persona))
    assert client.get(reverse("locations:edit", args=[world.loc_a.uuid])).status_code == 404
    assert client.get(reverse("locations:create")).status_code == 404
    response = client.post(reverse("locations:room_block", args=[world.loc_a.uuid, world.rooms_a[0].pk]),
                           {"reason": "Schimmel"})
    assert response.status_code == 404
    assert Room.objects.get(pk=world.rooms_a[0].pk).state == RoomState.AVAILABLE
    assert "Locatie bewerken" not in client.get(detail_url(world.loc_a)).text


# --- self-service -----------------------------------------------------------------------------

def test_gemeente_blocks_and_unblocks_a_room_and_capacity_follows(personas, world, login):
    client = login(personas.gemeente_a)
    room = world.rooms_a[3]  # 6 beds
    before = client.get(reverse("locations:overview")).context["overview"].total
    response = client.post(reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]),
                           {"reason": "Waterschade", "until": ""}, follow=True)
    assert response.status_code == 200
    assert "is geblokkeerd" in response.text
    room.refresh_from_db()
    assert (room.state, room.blocked_reason) == (RoomState.BLOCKED, "Waterschade")
    after = client.get(reverse("locations:overview")).context["overview"].total
    assert after.available == before.available - 6
    assert after.out_of_service == before.out_of_service + 6
    assert after.realised == before.realised

    record = room.history.first()
    assert record.history_user == personas.gemeente_a
    assert "Waterschade" in record.history_change_reason

    client.post(reverse("locations:room_unblock", args=[world.loc_a.uuid, room.pk]))
    room.refresh_from_db()
    assert room.state == RoomState.AVAILABLE and room.blocked_reason == ""


def test_blocking_needs_a_reason_and_an_empty_room(personas, world, login):
    client = login(personas.gemeente_a)
    room = world.rooms_a[2]
    response = client.post(reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]), {"reason": ""})
    assert response.status_code == 400 and "Dit veld is vereist" in response.text
    room_set_occupants(room=room, occupants=2)
    response = client.post(reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]),
                           {"reason": "Renovatie"})
    assert "heeft 2 bewoners en kan niet worden geblokkeerd" in response.text
    room.refresh_from_db()
    assert room.state == RoomState.AVAILABLE


def test_gemeente_cannot_block_another_municipalitys_room(personas, world, login):
    client = login(personas.gemeente_a)
    room = world.rooms_b[0]
    response = client.post(reverse("locations:room_block", args=[world.loc_b.uuid, room.pk]), {"reason": "x"})
    assert response.status_code == 404
    # nor by pairing its own location with B's room id
    response = client.post(reverse("locations:room_block", args=[world.loc_a.uuid, room.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert Room.objects.get(pk=room.pk).state == RoomState.AVAILABLE


def test_gemeente_edits_its_location_with_dutch_errors_and_nothing_half_written(personas, world, login):
    client = login(personas.gemeente_a)
    url = reverse("locations:edit", args=[world.loc_a.uuid])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"municipality": world.mun_a.pk, "name": "Het Nieuwe Anker", "postcode": "12",
                 "opening_date": "2026-06-01", "end_date": "2026-05-01"})
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Voer een geldige postcode in" in response.text
    world.loc_a.refresh_from_db()
    assert world.loc_a.name == "Het Anker"

    data.update({"postcode": "9401ab", "end_date": "2027-12-31"})
    response = client.post(url, data)
    assert response.status_code == 302
    world.loc_a.refresh_from_db()
    assert (world.loc_a.name, world.loc_a.postcode, world.loc_a.end_date) == (
        "Het Nieuwe Anker", "9401 AB", dt.date(2027, 12, 31))


def test_end_date_before_opening_is_refused_in_dutch(personas, world, login):
    client = login(personas.gemeente_a)
    url = reverse("locations:edit", args=[world.loc_a.uuid])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update({"municipality": world.mun_a.pk, "opening_date": "2026-06-01", "end_date": "2026-05-01"})
    response = client.post(url, {k: ("on" if v is True else v) for k, v in data.items()})
    assert "De einddatum mag niet voor de openingsdatum liggen." in response.text
    world.loc_a.refresh_from_db()
    assert world.loc_a.end_date is None


def test_gemeente_cannot_move_a_location_to_another_municipality(personas, world, login):
    client = login(personas.gemeente_a)
    url = reverse("locations:edit", args=[world.loc_a.uuid])
    form = client.get(url).context["form"]
    assert list(form.fields["municipality"].queryset) == [world.mun_a]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data["municipality"] = world.mun_b.pk
    response = client.post(url, {k: ("on" if v is True else v) for k, v in data.items()})
    assert response.status_code == 400
    assert Location.objects.get(pk=world.loc_a.pk).municipality == world.mun_a


def test_gemeente_adds_a_room_and_duplicate_numbers_are_refused(personas, world, login):
    client = login(personas.gemeente_a)
    url = reverse("locations:room_create", args=[world.loc_a.uuid])
    base = {"number": "A9", "floor": 1, "beds": 3, "bunk_beds": 0, "occupancy": "household"}
    assert client.post(url, base).status_code == 302
    assert Room.objects.filter(location=world.loc_a, number="A9", beds=3).exists()
    response = client.post(url, base)
    assert "Deze locatie heeft al een kamer met dit nummer" in response.text
    response = client.post(url, {**base, "number": "A10", "beds": 7})
    assert response.status_code == 400
    assert not Room.objects.filter(number="A10").exists()


def test_gemeente_creates_a_location_only_in_its_municipality(personas, world, login):
    client = login(personas.gemeente_a)
    data = {"code": "aad-002", "name": "De Haven", "municipality": world.mun_a.pk, "kind": "goo",
            "status": "preparing", "street": "Kade 3", "postcode": "9402 CD", "place": "Aadorp",
            "target_families": "on"}
    response = client.post(reverse("locations:create"), data)
    assert response.status_code == 302
    created = Location.objects.get(code="AAD-002")
    assert created.municipality == world.mun_a
    assert created.history.first().history_user == personas.gemeente_a
    response = client.post(reverse("locations:create"), {**data, "code": "BEE-009", "municipality": world.mun_b.pk})
    assert response.status_code == 400 and not Location.objects.filter(code="BEE-009").exists()


# --- history ----------------------------------------------------------------------------------

def test_history_shows_who_when_which_field_from_what_to_what(personas, world, login):
    client = login(personas.gemeente_a)
    url = reverse("locations:edit", args=[world.loc_a.uuid])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v not in (None, False)}
    data.update({"municipality": world.mun_a.pk, "end_date": "2027-03-31", "suitable_pets": True})
    client.post(url, {k: ("on" if v is True else v) for k, v in data.items()})
    client.post(reverse("locations:room_block", args=[world.loc_a.uuid, world.rooms_a[0].pk]),
                {"reason": "Schimmel"})

    response = client.get(reverse("locations:history", args=[world.loc_a.uuid]))
    entries = list(response.context["page"])
    latest = entries[0]
    assert latest.subject == "Kamer A1" and latest.user == personas.gemeente_a
    assert {(c.field, c.old, c.new) for c in latest.changes} >= {("staat", "Beschikbaar", "Geblokkeerd")}
    location_change = next(e for e in entries if e.subject == "Locatie" and e.action == "changed")
    changes = {c.field: (c.old, c.new) for c in location_change.changes}
    assert changes["einddatum"] == ("—", "31-03-2027")
    assert changes["geschikt voor huisdieren"] == ("nee", "ja")
    assert "gemeente_a" in response.text or personas.gemeente_a.get_full_name() in response.text


# --- overview ---------------------------------------------------------------------------------

def test_overview_filters_and_totals_add_up(personas, world, login):
    client = login(personas.beheerder)
    world.loc_b.suitable_pets = True
    world.loc_b.save()
    room_set_occupants(room=world.rooms_a[2], occupants=3)  # 4-bed household room: 1 snijverlies
    overview = client.get(reverse("locations:overview")).context["overview"]
    assert overview.location_count == 2
    total = overview.total
    assert total.realised == 1 + 2 + 4 + 6 + 3 + 4
    assert (total.occupied, total.snijverlies) == (3, 1)
    assert total.identity_holds
    assert sum(r.capacity.available for r in overview.municipalities) == total.available

    pets = client.get(reverse("locations:overview"), {"suitable_pets": "on"}).context["overview"]
    assert [loc.code for row in pets.municipalities for loc in row.locations] == ["BEE-001"]
    big_room = client.get(reverse("locations:overview"), {"min_free_in_room": 5}).context["overview"]
    assert [loc.code for row in big_room.municipalities for loc in row.locations] == ["AAD-001"]


def test_overview_ending_within_months(personas, world, login):
    client = login(personas.beheerder)
    Location.objects.filter(pk=world.loc_b.pk).update(end_date=dt.date.today() + dt.timedelta(days=40))
    Location.objects.filter(pk=world.loc_a.pk).update(end_date=dt.date.today() + dt.timedelta(days=400))
    overview = client.get(reverse("locations:overview"), {"ending_within_months": 3}).context["overview"]
    assert [loc.code for row in overview.municipalities for loc in row.locations] == ["BEE-001"]


def test_overview_htmx_returns_only_the_results_partial(personas, world, login):
    client = login(personas.beheerder)
    response = client.get(reverse("locations:overview"), {"suitable_pets": "on"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_overview_and_detail_query_counts_do_not_grow_with_data(personas, world, login):
    client = login(personas.beheerder)
    overview_small = _count_queries(client, reverse("locations:overview"))
    detail_small = _count_queries(client, detail_url(world.loc_a))
    for i in range(15):
        location = LocationFactory(municipality=world.mun_a if i % 2 else world.mun_b)
        for j in range(6):
            RoomFactory(location=location, number=f"X{j}", beds=1 + j % 6)
    for j in range(30):
        RoomFactory(location=world.loc_a, number=f"Y{j}", beds=2)
    assert _count_queries(client, reverse("locations:overview")) == overview_small
    assert _count_queries(client, detail_url(world.loc_a)) == detail_small
    assert overview_small <= 8, overview_small
