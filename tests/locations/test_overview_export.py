"""Export of the capacity overview (issue 9, point 14): the file holds the figures the page shows,
with the page's filters and scope, as XLSX and as CSV for Dutch Excel."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from locations.overview_export import FIGURES
from locations.selectors import OverviewFilters, build_overview
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

pytestmark = pytest.mark.django_db

URL = reverse("locations:overview_export")


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def _xlsx_rows(response) -> list[list]:
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    ws = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _expected(user, filters=None) -> list[tuple[str, str, list]]:
    """(level, name, figures) per row, straight from build_overview."""
    overview = build_overview(user=user, filters=filters or OverviewFilters(), as_of=timezone.localdate())
    out = []
    for row in overview.municipalities:
        out.append(("Gemeente", row.municipality.name, [getattr(row.capacity, f) for f in FIGURES]))
        out.extend(("Locatie", loc.name, [getattr(loc.capacity, f) for f in FIGURES]) for loc in row.locations)
    if overview.municipalities:
        out.append(("Totaal", "", [getattr(overview.total, f) for f in FIGURES]))
    return out


def _as_csv(value) -> str:
    return "" if value is None else str(value).replace(".", ",")


def _as_xlsx(value):
    return None if value is None else (float(value) if not isinstance(value, int) else value)


def _name(row: list) -> str:
    return (row[2] if row[0] == "Locatie" else row[1]) or ""


@pytest.fixture
def occupied(world):
    room_set_occupants(room=world.rooms_a[2], occupants=3)  # snijverlies 1
    room_set_occupants(room=world.rooms_b[0], occupants=3)
    return world


def test_csv_holds_the_figures_of_the_overview(personas, occupied, login):
    rows = _csv_rows(login(personas.coordinator).get(URL, {"formaat": "csv"}))
    assert rows[0][:3] == ["Niveau", "Gemeente", "Locatie"] and rows[0][8] == "Gerealiseerd"
    expected = _expected(personas.coordinator)
    assert [(r[0], _name(r), r[8:]) for r in rows[1:]] == [
        (level, name, [_as_csv(v) for v in figures]) for level, name, figures in expected]
    assert {r[2] for r in rows[1:] if r[0] == "Locatie"} == {"Het Anker", "De Beuk"}
    assert rows[-1][0] == "Totaal" and rows[-1][9] == "6"  # occupied across the region


def test_xlsx_holds_the_figures_of_the_overview(personas, occupied, login):
    rows = _xlsx_rows(login(personas.coordinator).get(URL, {"formaat": "xlsx"}))
    expected = _expected(personas.coordinator)
    assert [(r[0], _name(r), r[8:]) for r in rows[1:]] == [
        (level, name, [_as_xlsx(v) for v in figures]) for level, name, figures in expected]


def test_filters_of_the_page_are_applied(personas, occupied, login):
    client = login(personas.coordinator)
    query = {"municipality": occupied.mun_b.pk, "formaat": "csv"}
    rows = _csv_rows(client.get(URL, query))
    assert [r[2] for r in rows[1:] if r[0] == "Locatie"] == ["De Beuk"]
    expected = _expected(personas.coordinator, OverviewFilters(municipality=occupied.mun_b.pk))
    assert [r[8:] for r in rows[1:]] == [[_as_csv(v) for v in figures] for _l, _n, figures in expected]
    rows = _xlsx_rows(client.get(URL, {"q": "Anker", "formaat": "xlsx"}))
    assert [r[2] for r in rows[1:] if r[0] == "Locatie"] == ["Het Anker"]
    rows = _csv_rows(client.get(URL, {"q": "bestaat-niet", "formaat": "csv"}))
    assert rows[1:] == []


def test_gemeente_gets_its_own_municipality_only(personas, occupied, login):
    rows = _csv_rows(login(personas.gemeente_a).get(URL, {"formaat": "csv"}))
    assert {r[1] for r in rows[1:] if r[0] != "Totaal"} == {"Aadorp"}
    assert [(r[0], _name(r), r[8:]) for r in rows[1:]] == [
        (level, name, [_as_csv(v) for v in figures]) for level, name, figures in _expected(personas.gemeente_a)]
    # Asking for another municipality is a refused filter, not a file.
    response = login(personas.gemeente_a).get(URL, {"municipality": occupied.mun_b.pk, "formaat": "csv"})
    assert response.status_code == 400
    assert "De Beuk" not in response.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_outsider_sees_nothing_of_the_other_region(personas, occupied, login, fmt):
    client = login(personas.outsider)
    response = client.get(URL, {"formaat": fmt})
    body = response.content.decode("utf-8-sig") if fmt == "csv" else str(_xlsx_rows(response))
    assert "De Cirkel" in body
    for name in ("Het Anker", "De Beuk", "Aadorp", "Beekdal"):
        assert name not in body
    response = client.get(URL, {"municipality": occupied.mun_a.pk, "formaat": fmt})
    assert response.status_code == 400
    assert "Het Anker" not in response.text


def test_bad_input_is_refused_with_400(personas, world, login):
    client = login(personas.coordinator)
    response = client.get(URL, {"formaat": "pdf"})
    assert response.status_code == 400 and "xlsx of csv" in response.text
    assert client.get(URL, {"min_free_in_room": "abc", "formaat": "csv"}).status_code == 400
    assert client.get(URL, {"municipality": "x", "formaat": "xlsx"}).status_code == 400


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL, {"formaat": "csv"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_formula_and_control_characters_are_made_safe(personas, world, login):
    LocationFactory(municipality=world.mun_a, code="AAD-009", name="=HYPERLINK(\"x\")\x0b", place="+31")
    rows = _csv_rows(login(personas.coordinator).get(URL, {"formaat": "csv"}))
    row = next(r for r in rows if r[3] == "AAD-009")
    assert row[2] == "'=HYPERLINK(\"x\")" and row[4] == "'+31"
    xrows = _xlsx_rows(login(personas.coordinator).get(URL, {"formaat": "xlsx"}))
    xrow = next(r for r in xrows if r[3] == "AAD-009")
    assert xrow[2] == "'=HYPERLINK(\"x\")"


def test_overview_links_to_the_export_with_its_filters(personas, world, login):
    client = login(personas.coordinator)
    page = client.get(reverse("locations:overview"), {"q": "Anker"}).text
    assert f"{URL}?q=Anker&amp;formaat=xlsx" in page and f"{URL}?q=Anker&amp;formaat=csv" in page
    partial = client.get(reverse("locations:overview"), {"q": "Beuk"}, headers={"HX-Request": "true"}).text
    assert 'hx-swap-oob="true"' in partial and f"{URL}?q=Beuk&amp;formaat=csv" in partial


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_query_count_does_not_grow_with_locations(personas, world, login, django_assert_max_num_queries, fmt):
    client = login(personas.coordinator)
    with django_assert_max_num_queries(8) as few:
        client.get(URL, {"formaat": fmt})
    for i in range(15):
        location = LocationFactory(municipality=world.mun_a if i % 2 else world.mun_b)
        for j in range(3):
            RoomFactory(location=location, number=f"X{j}", beds=1 + j)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = (client.get(URL, {"formaat": fmt}))
    assert rows.status_code == 200
