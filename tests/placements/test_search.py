"""Find anyone (issue 9, point 2): a POST search by name, date of birth or V-number over open,
placed and departed households, scoped per persona, never with personal data in a URL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from placements.search import household_search
from placements.services import placement_arrive, placement_confirm, placement_depart, placement_reserve
from tests.factories import family_of_four_with_infant, make_request

pytestmark = pytest.mark.django_db

SEARCH = reverse("placements:search")


def _placed(world, room, *, last_name: str, user=None, first_name: str = "Olena",
            dob: dt.date = dt.date(1990, 4, 1), v_number: str = ""):
    members = [{"first_name": first_name, "last_name": last_name, "date_of_birth": dob, "sex": "f",
                "relation": "main", "v_number": v_number}]
    request = make_request(region=room.location.municipality.region, members=members)
    placement = placement_reserve(user=user, request=request, allocation=[(room.pk, 1)])
    return request, placement_confirm(user=user, placement=placement)


@pytest.fixture
def households(world, personas):
    """Noord: one open request, one household placed in A (Het Anker), one departed from B,
    and in Zuid one placed at De Cirkel, all with the surname 'Zoekenko-Test'."""
    user = personas.belteam
    open_request = make_request(region=world.noord, members=[
        {"first_name": "Iryna", "last_name": "Zoekenko-Test", "date_of_birth": dt.date(1991, 3, 14), "sex": "f",
         "relation": "main", "v_number": "1234567890"}])
    placed_a_request, placed_a = _placed(world, world.rooms_a[0], last_name="Zoekenko-Test", user=user,
                                         first_name="Oksana", dob=dt.date(1985, 6, 1))
    departed_b_request, departed_b = _placed(world, world.rooms_b[0], last_name="Zoekenko-Test", user=user,
                                             first_name="Daria", dob=dt.date(1970, 1, 2))
    placement_arrive(user=user, placement=departed_b)
    departed_b = placement_depart(user=user, placement=departed_b, on=timezone.localdate(), reason="own_housing")
    zuid_request, zuid_placed = _placed(world, world.rooms_c[0], last_name="Zoekenko-Test", user=user,
                                        first_name="Zoia", dob=dt.date(1980, 5, 5))
    return {"open": open_request, "placed_a": placed_a, "departed_b": departed_b, "zuid": zuid_placed}


def _post(client, **data):
    payload = {"name": "", "date_of_birth": "", "v_number": ""}
    payload.update(data)
    return client.post(SEARCH, payload)


def _found(response) -> set[str]:
    return set(re.findall(r'data-request="([0-9a-f-]{36})"', response.content.decode()))


# --- personas -----------------------------------------------------------------------------------

def test_belteam_finds_open_placed_and_departed_of_its_region(login, personas, households):
    response = _post(login(personas.belteam), name="  zoekenKO-test ")
    assert response.status_code == 200
    assert _found(response) == {str(households["open"].uuid), str(households["placed_a"].request.uuid),
                                str(households["departed_b"].request.uuid)}
    html = response.content.decode()
    assert reverse("placements:placement_detail", args=[households["placed_a"].uuid]) in html
    assert reverse("placements:request_detail", args=[households["open"].uuid]) in html
    assert "Het Anker" in html and "De Beuk" in html and "Vertrokken" in html and "Bevestigd" in html
    assert "De Cirkel" not in html and "Zoia" not in html
    assert "3 huishoudens gevonden" in html


def test_coordinator_finds_by_v_number_and_by_date(login, personas, households):
    client = login(personas.coordinator)
    assert _found(_post(client, v_number="1234 567 890")) == {str(households["open"].uuid)}
    assert _found(_post(client, date_of_birth="01-06-1985")) == {str(households["placed_a"].request.uuid)}
    # All criteria must hold for the same person.
    assert _found(_post(client, name="Oksana", date_of_birth="14-03-1991")) == set()
    assert _found(_post(client, name="test oksana")) == {str(households["placed_a"].request.uuid)}


def test_gemeente_a_sees_only_its_own_residents(login, personas, households):
    response = _post(login(personas.gemeente_a), name="Zoekenko")
    assert response.status_code == 200
    assert _found(response) == {str(households["placed_a"].request.uuid)}
    html = response.content.decode()
    # No link to the request (the queue is not the municipality's), only to the placement.
    assert reverse("placements:request_detail", args=[households["placed_a"].request.uuid]) not in html
    assert reverse("placements:placement_detail", args=[households["placed_a"].uuid]) in html


def test_gemeente_b_does_not_see_a_or_the_open_request(login, personas, households):
    response = _post(login(personas.gemeente_b), name="Zoekenko")
    # B once housed the departed household: that one is B's, the others are not.
    assert _found(response) == {str(households["departed_b"].request.uuid)}
    assert "Oksana" not in response.content.decode() and "Iryna" not in response.content.decode()


def test_bestuur_is_refused(login, personas, households):
    client = login(personas.bestuur)
    assert client.get(SEARCH).status_code == 403
    response = _post(client, name="Zoekenko")
    assert response.status_code == 403
    assert b"Zoekenko" not in response.content


def test_anonymous_goes_to_login(client, households):
    response = client.post(SEARCH, {"name": "Zoekenko"})
    assert response.status_code == 302
    assert "Zoekenko" not in response["Location"]


def test_outsider_of_zuid_sees_nothing_of_noord(login, personas, households):
    response = _post(login(personas.outsider), name="Zoekenko")
    assert _found(response) == {str(households["zuid"].request.uuid)}
    assert "Het Anker" not in response.content.decode() and "Iryna" not in response.content.decode()


def test_gemeente_sees_placement_elsewhere_never(world, personas, households):
    """The selector itself, not only the page: the scope is in the query."""
    result = household_search(user=personas.gemeente_a, name_terms=["zoekenko"])
    assert [r.uuid for r in result.rows] == [households["placed_a"].request.uuid]
    assert result.rows[0].current_placement.location == world.loc_a


# --- the form -----------------------------------------------------------------------------------

def test_get_shows_only_the_empty_form(login, personas, households):
    response = login(personas.belteam).get(SEARCH, {"name": "Zoekenko"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'method="post"' in html and "autofocus" in html
    # The query string is ignored: no field filled in, no search run, no result shown.
    assert 'value="Zoekenko"' not in html and "data-request=" not in html and "gevonden" not in html
    assert "no-store" in response["Cache-Control"]


def test_results_are_not_cached(login, personas, households):
    response = _post(login(personas.belteam), name="Zoekenko")
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("date, message", [
    ("1991-03-14", "dd-mm-jjjj"), ("31-02-1991", "Deze datum bestaat niet."), ("١٤-٠٣-١٩٩١", "dd-mm-jjjj"),
    ("14-13-1991", "Deze datum bestaat niet."),
])
def test_bad_date_is_400_in_dutch(login, personas, households, date, message):
    response = _post(login(personas.belteam), date_of_birth=date)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "data-request=" not in response.content.decode()


@pytest.mark.parametrize("data, message", [
    ({"name": "z"}, "Typ minstens twee letters van de naam."),
    ({}, "Vul een naam, een geboortedatum of een V-nummer in."),
    ({"name": "   "}, "Vul een naam, een geboortedatum of een V-nummer in."),
    ({"v_number": "12345"}, "Een V-nummer heeft 10 cijfers."),
])
def test_refused_input_is_400_in_dutch(login, personas, households, data, message):
    response = _post(login(personas.belteam), **data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_no_personal_data_in_any_url_of_the_page(login, personas, households):
    response = _post(login(personas.belteam), name="Zoekenko", date_of_birth="01-06-1985")
    html = response.content.decode()
    assert response.status_code == 200 and "data-request=" in html
    for url in re.findall(r'(?:href|action|src|hx-get|hx-post)="([^"]*)"', html):
        assert "zoekenko" not in url.lower() and "1985" not in url and "oksana" not in url.lower(), url
    assert f'action="{SEARCH}"' in html


def test_queue_links_to_the_search(login, personas):
    html = login(personas.belteam).get(reverse("placements:queue")).content.decode()
    assert f'href="{SEARCH}"' in html


def test_cap_says_how_many_more(world, login, personas):
    for i in range(4):
        make_request(region=world.noord, members=[
            {"first_name": f"Anna{i}", "last_name": "Veelenko-Test", "date_of_birth": dt.date(1990, 1, 1 + i),
             "sex": "f", "relation": "main"}])
    result = household_search(user=personas.belteam, name_terms=["veelenko"], limit=3)
    assert (len(result.rows), result.total, result.more) == (3, 4, 1)


def test_query_count_does_not_grow(world, personas, login, django_assert_num_queries):
    no_infant = [{**m, "date_of_birth": dt.date(2015, 1, 1)} if i == 3 else m
                 for i, m in enumerate(family_of_four_with_infant(last_name="Telenko-Test"))]
    first = make_request(region=world.noord, members=no_infant)
    placement_reserve(user=None, request=first, allocation=[(world.rooms_a[3].pk, 4)])
    make_request(region=world.noord, members=family_of_four_with_infant(last_name="Telenko-Test"))
    with django_assert_num_queries(4):
        household_search(user=personas.belteam, name_terms=["telenko"])
    client = login(personas.belteam)
    with CaptureQueriesContext(connection) as small:
        assert _post(client, name="Telenko").status_code == 200
    for _ in range(6):
        make_request(region=world.noord, members=family_of_four_with_infant(last_name="Telenko-Test"))
    with django_assert_num_queries(4):
        result = household_search(user=personas.belteam, name_terms=["telenko"])
    with CaptureQueriesContext(connection) as large:
        assert _post(client, name="Telenko").status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)
    assert result.total == 8 and all(len(r.found_members) == 4 for r in result.rows)
    assert result.rows[-1].current_placement.location == world.loc_a


def test_nothing_personal_in_the_logs(login, personas, households, caplog):
    client = login(personas.belteam)
    with caplog.at_level("DEBUG"):
        assert _post(client, name="Zoekenko", date_of_birth="31-02-1991").status_code == 400
        assert _post(client, name="Zoekenko", v_number="1234567890").status_code == 200
    assert any(r.name == "django.request" for r in caplog.records)  # the 400 was logged
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r}"
        assert "Zoekenko" not in text and "1991" not in text and "1234567890" not in text, text


def test_a_transferred_household_shows_where_it_is_now(world, login, personas, households):
    from placements.services import placement_transfer

    moved = placement_transfer(user=personas.coordinator, placement=households["placed_a"],
                               allocation=[(world.rooms_b[1].pk, 1)], reason="Dichter bij school")
    result = household_search(user=personas.belteam, name_terms=["oksana"])
    assert [r.current_placement for r in result.rows] == [moved]
    html = _post(login(personas.belteam), name="Oksana").content.decode()
    assert reverse("placements:placement_detail", args=[moved.uuid]) in html and "De Beuk" in html
    # Municipality A still finds the household it housed, as it left A — not where it went.
    result = household_search(user=personas.gemeente_a, name_terms=["oksana"])
    assert [r.current_placement.pk for r in result.rows] == [households["placed_a"].pk]
    assert result.rows[0].current_placement.location == world.loc_a
