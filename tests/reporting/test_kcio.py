"""The daily KCIO export: a snapshot of the registry, compared field by field with figures worked
out by hand, and its CSV, JSON and XLSX read back with standard readers.

The world (tests/conftest.py) and what this module does to region Noord:

  Aadorp  AAD-001 Het Anker (open)   A1 1 bed, 1 occupant          -> occupied 1
                                     A2 2 beds, empty              -> available 2
                                     A3 4 beds, household of 3     -> occupied 3, snijverlies 1
                                     A4 6 beds, blocked            -> out of service 6
          AAD-009 Oud Gebouw (closed) 2 beds                       -> not exported
  Beekdal BEE-001 De Beuk (open)     B1 3 beds shared, 1 occupant  -> occupied 1, available 2
                                     B2 4 beds, household of 4     -> occupied 4
          BEE-002 Nieuwbouw (in voorbereiding) 5 beds              -> planned 5
  Zuid    CRA-001 (another region)                                  -> not in Noord's export
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from locations.models import Location, LocationKind, LocationStatus, RoomOccupancy
from locations.services import room_block
from rcvs.errors import ApplicationError
from reporting import kcio, snapshots
from reporting.models import CapacitySnapshot, LocationSnapshot
from reporting.snapshots import snapshot_take, snapshot_today
from reporting.tasks import take_daily_snapshots
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

pytestmark = pytest.mark.django_db

END_A = dt.date(2027, 3, 31)


@pytest.fixture
def noord(world, personas):
    a1, a2, a3, a4 = world.rooms_a
    b1, b2 = world.rooms_b
    room_set_occupants(room=a1, occupants=1)
    room_set_occupants(room=a3, occupants=3)
    room_block(user=personas.beheerder, room=a4, reason="Waterschade")
    b1.occupancy = RoomOccupancy.SHARED
    b1.save()
    room_set_occupants(room=b1, occupants=1)
    room_set_occupants(room=b2, occupants=4)
    Location.objects.filter(pk=world.loc_a.pk).update(
        street="Dorpsstraat 1", postcode="9401 AB", place="Aadorp", kind=LocationKind.GOO, end_date=END_A,
        suitable_infants=True, intake_24_7=True)
    Location.objects.filter(pk=world.loc_b.pk).update(
        street="Beekweg 12", postcode="9402 CD", place="Beekdal", kind=LocationKind.PARTICULIER,
        suitable_pets=True, suitable_wheelchair=True)
    closed = LocationFactory(municipality=world.mun_a, code="AAD-009", name="Oud Gebouw",
                             status=LocationStatus.CLOSED)
    RoomFactory(location=closed, number="1", beds=2)
    preparing = LocationFactory(municipality=world.mun_b, code="BEE-002", name="Nieuwbouw",
                                street="Nieuwe Laan 3", postcode="9402 EF", place="Beekdal",
                                status=LocationStatus.PREPARING)
    RoomFactory(location=preparing, number="1", beds=5)
    world.loc_a.refresh_from_db()
    world.loc_b.refresh_from_db()
    world.preparing = preparing
    return world


def _today():
    """The only day a snapshot can be newly taken (reporting/snapshots.py)."""
    return snapshot_today()


EXPECTED_ROWS = [
    # code, realised, occupied, available, snijverlies, out_of_service, planned
    ("AAD-001", 13, 4, 2, 1, 6, 0),
    ("BEE-001", 7, 5, 2, 0, 0, 0),
    ("BEE-002", 0, 0, 0, 0, 0, 5),
]


def _numbers(row):
    return (row["location_code"], row["realised"], row["occupied"], row["available"], row["snijverlies"],
            row["out_of_service"], row["planned"])


def test_rows_field_by_field(noord):
    snapshot = snapshot_take(region=noord.noord, as_of=_today())
    rows = kcio.kcio_rows(snapshot)
    assert [_numbers(r) for r in rows] == EXPECTED_ROWS
    anker, beuk, nieuwbouw = rows
    assert anker == {
        "as_of": _today(), "region_code": "noord", "region_name": "Regio Noord",
        "municipality_cbs_code": "GM9001", "municipality_name": "Aadorp",
        "location_code": "AAD-001", "location_name": "Het Anker", "street": "Dorpsstraat 1",
        "postcode": "9401 AB", "place": "Aadorp", "kind": "goo", "status": "open", "end_date": END_A,
        "suitable_infants": True, "suitable_pets": False, "suitable_wheelchair": False, "intake_24_7": True,
        "realised": 13, "occupied": 4, "available": 2, "snijverlies": 1, "out_of_service": 6, "planned": 0,
    }
    assert (beuk["municipality_cbs_code"], beuk["kind"], beuk["end_date"], beuk["suitable_pets"],
            beuk["suitable_wheelchair"], beuk["suitable_infants"], beuk["intake_24_7"]) == (
        "GM9002", "particulier", None, True, True, False, False)
    assert (nieuwbouw["status"], nieuwbouw["street"]) == ("preparing", "Nieuwe Laan 3")
    for row in rows:
        assert row["realised"] == row["occupied"] + row["available"] + row["snijverlies"] + row["out_of_service"]
    # the closed location and the other region's location are not exported
    assert "AAD-009" not in {r["location_code"] for r in rows}
    assert "CRA-001" not in {r["location_code"] for r in rows}
    assert snapshot.locations.count() == 3


def test_totals_per_municipality_region_and_national_terms(noord):
    totals = kcio.kcio_totals(snapshot_take(region=noord.noord, as_of=_today()))
    got = [(m.cbs_code, m.name, m.location_count, m.capacity.realised, m.capacity.occupied, m.capacity.available,
            m.capacity.snijverlies, m.capacity.out_of_service, m.capacity.planned) for m in totals.municipalities]
    assert got == [("GM9001", "Aadorp", 1, 13, 4, 2, 1, 6, 0), ("GM9002", "Beekdal", 2, 7, 5, 2, 0, 0, 5)]
    region = totals.region
    assert (totals.location_count, region.realised, region.occupied, region.available, region.snijverlies,
            region.out_of_service, region.planned) == (3, 20, 9, 4, 1, 6, 5)
    # occupancy rate = occupied / (realised - out of service): 9 / 14 = 64.29 %
    assert kcio.national_terms(region) == {"beds": 20, "in_use": 9, "occupancy_rate": Decimal("64.3"),
                                           "directly_available": 4}
    # Aadorp 4 / 7 = 57.14 %, Beekdal 5 / 7 = 71.43 %
    assert [kcio.national_terms(m.capacity)["occupancy_rate"] for m in totals.municipalities] == [
        Decimal("57.1"), Decimal("71.4")]


def _csv_rows(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def test_csv_read_back_without_and_with_hxl(noord):
    snapshot = snapshot_take(region=noord.noord, as_of=_today())
    plain = _csv_rows(kcio.render_csv(snapshot, hxl=False))
    assert len(plain) == 1 + 3
    header = plain[0]
    assert header[:7] == ["Peildatum", "Regiocode", "Regio", "CBS-code gemeente", "Gemeente", "Locatiecode",
                          "Locatie"]
    anker = dict(zip(header, plain[1], strict=True))
    assert anker == {
        "Peildatum": _today().isoformat(), "Regiocode": "noord", "Regio": "Regio Noord",
        "CBS-code gemeente": "GM9001", "Gemeente": "Aadorp", "Locatiecode": "AAD-001", "Locatie": "Het Anker",
        "Adres": "Dorpsstraat 1", "Postcode": "9401 AB", "Plaats": "Aadorp", "Soort": "GOO", "Status": "Open",
        "Einddatum": "2027-03-31", "Geschikt voor zuigelingen": "ja", "Geschikt voor huisdieren": "nee",
        "Geschikt voor rolstoel": "nee", "24/7 intake": "ja", "Gerealiseerd": "13", "Bezet": "4",
        "Beschikbaar": "2", "Snijverlies": "1", "Buiten gebruik": "6", "Gepland": "0",
    }
    beuk = dict(zip(header, plain[2], strict=True))
    assert (beuk["Soort"], beuk["Einddatum"], beuk["Bezet"], beuk["Beschikbaar"]) == ("Particulier", "", "5", "2")
    nieuwbouw = dict(zip(header, plain[3], strict=True))
    assert (nieuwbouw["Status"], nieuwbouw["Gerealiseerd"], nieuwbouw["Gepland"]) == ("In voorbereiding", "0", "5")

    with_hxl = _csv_rows(kcio.render_csv(snapshot, hxl=True))
    assert with_hxl[0] == header
    assert with_hxl[1][:7] == ["#date+reported", "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name",
                               "#loc+code", "#loc+name"]
    assert with_hxl[1][header.index("Gerealiseerd")] == "#capacity+beds+total"
    assert all(tag.startswith("#") for tag in with_hxl[1])
    assert len(set(with_hxl[1])) == len(header)
    assert with_hxl[2:] == plain[1:]


def test_json_parsed(noord):
    snapshot = snapshot_take(region=noord.noord, as_of=_today())
    document = json.loads(kcio.render_json(snapshot))
    assert document["region"] == {"code": "noord", "name": "Regio Noord"}
    assert document["as_of"] == _today().isoformat()
    assert [(loc["location_code"], loc["realised"], loc["occupied"], loc["available"], loc["snijverlies"],
             loc["out_of_service"], loc["planned"]) for loc in document["locations"]] == EXPECTED_ROWS
    anker = document["locations"][0]
    assert (anker["end_date"], anker["kind"], anker["status"], anker["suitable_infants"], anker["intake_24_7"]) == (
        "2027-03-31", "goo", "open", True, True)
    assert document["locations"][1]["end_date"] is None
    assert [(m["cbs_code"], m["location_count"], m["realised"], m["occupied"], m["available"], m["snijverlies"],
             m["out_of_service"], m["planned"], m["national_terms"]["occupancy_rate"])
            for m in document["municipalities"]] == [
        ("GM9001", 1, 13, 4, 2, 1, 6, 0, "57.1"), ("GM9002", 2, 7, 5, 2, 0, 0, 5, "71.4")]
    assert document["totals"] == {"location_count": 3, "realised": 20, "occupied": 9, "available": 4,
                                  "snijverlies": 1, "out_of_service": 6, "planned": 5}
    assert document["national_terms"] == {"beds": 20, "in_use": 9, "occupancy_rate": "64.3",
                                          "directly_available": 4}


def test_json_occupancy_rate_is_null_without_beds_in_service(world):
    snapshot = snapshot_take(region=world.zuid, as_of=_today())
    document = json.loads(kcio.render_json(snapshot))
    assert document["national_terms"] == {"beds": 5, "in_use": 0, "occupancy_rate": "0.0", "directly_available": 5}
    CapacitySnapshot.objects.all().delete()
    Location.objects.filter(pk=world.loc_c.pk).update(status=LocationStatus.PREPARING)
    document = json.loads(kcio.render_json(snapshot_take(region=world.zuid, as_of=_today())))
    assert document["national_terms"]["occupancy_rate"] is None


def test_xlsx_read_back(noord):
    snapshot = snapshot_take(region=noord.noord, as_of=_today())
    workbook = load_workbook(io.BytesIO(kcio.render_xlsx(snapshot)))
    assert workbook.sheetnames == ["Locaties", "Totalen"]
    sheet = list(workbook["Locaties"].iter_rows(values_only=True))
    header = list(sheet[0])
    assert len(sheet) == 1 + 3
    anker = dict(zip(header, sheet[1], strict=True))
    assert anker["Locatiecode"] == "AAD-001"
    assert anker["Einddatum"].date() == END_A
    assert anker["Peildatum"].date() == _today()
    assert (anker["Soort"], anker["Status"], anker["Geschikt voor zuigelingen"], anker["24/7 intake"]) == (
        "GOO", "Open", "ja", "ja")
    assert [(r[header.index("Locatiecode")], *(r[header.index(h)] for h in (
        "Gerealiseerd", "Bezet", "Beschikbaar", "Snijverlies", "Buiten gebruik", "Gepland"))) for r in sheet[1:]
    ] == EXPECTED_ROWS
    totals = list(workbook["Totalen"].iter_rows(values_only=True))
    assert totals[0] == ("Niveau", "CBS-code gemeente", "Naam", "Locaties", "Gerealiseerd", "Bezet",
                         "Beschikbaar", "Snijverlies", "Buiten gebruik", "Gepland", "Bezettingsgraad (%)")
    assert totals[1:] == [
        ("Gemeente", "GM9001", "Aadorp", 1, 13, 4, 2, 1, 6, 0, 57.1),
        ("Gemeente", "GM9002", "Beekdal", 2, 7, 5, 2, 0, 0, 5, 71.4),
        ("Regio", None, "Regio Noord", 3, 20, 9, 4, 1, 6, 5, 64.3),
    ]


def test_formula_like_text_is_quoted_in_csv_and_xlsx(noord):
    Location.objects.filter(pk=noord.loc_b.pk).update(name='=HYPERLINK("http://example.org","x")',
                                                      street="+31 Beekweg", place="@Beekdal")
    snapshot = snapshot_take(region=noord.noord, as_of=_today())
    rows = _csv_rows(kcio.render_csv(snapshot))
    beuk = dict(zip(rows[0], rows[2], strict=True))
    assert beuk["Locatie"] == "'=HYPERLINK(\"http://example.org\",\"x\")"
    assert (beuk["Adres"], beuk["Plaats"]) == ("'+31 Beekweg", "'@Beekdal")
    sheet = load_workbook(io.BytesIO(kcio.render_xlsx(snapshot)))["Locaties"]
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=3, column=header.index("Locatie") + 1)
    assert cell.value == "'=HYPERLINK(\"http://example.org\",\"x\")"
    assert cell.data_type == "s"
    # the snapshot itself keeps the name as it was; only the renderings quote it
    assert snapshot.locations.get(location_code="BEE-001").location_name.startswith("=HYPERLINK")


def test_snapshot_is_unchanged_by_later_edits_and_a_second_take_returns_it(noord, personas):
    first = snapshot_take(region=noord.noord, as_of=_today())
    before = kcio.render_json(first), kcio.render_csv(first, hxl=True)
    # the registry changes after the snapshot was taken
    Location.objects.filter(pk=noord.loc_a.pk).update(name="Het Nieuwe Anker", street="Kerkplein 9",
                                                      suitable_pets=True, end_date=None)
    room_set_occupants(room=noord.rooms_a[1], occupants=2)
    room_set_occupants(room=noord.rooms_b[0], occupants=3)
    RoomFactory(location=noord.loc_b, number="B9", beds=6)

    again = snapshot_take(region=noord.noord, as_of=_today())
    assert again.pk == first.pk
    assert CapacitySnapshot.objects.filter(region=noord.noord).count() == 1
    assert LocationSnapshot.objects.filter(snapshot=first).count() == 3
    assert (kcio.render_json(again), kcio.render_csv(again, hxl=True)) == before
    anker = LocationSnapshot.objects.get(snapshot=first, location_code="AAD-001")
    assert (anker.location_name, anker.street, anker.suitable_pets, anker.end_date, anker.available) == (
        "Het Anker", "Dorpsstraat 1", False, END_A, 2)


def test_only_today_can_be_taken_and_a_past_day_returns_its_snapshot(noord, monkeypatch):
    today = _today()
    for day in (today - dt.timedelta(days=1), today + dt.timedelta(days=1)):
        with pytest.raises(ApplicationError) as raised:
            snapshot_take(region=noord.noord, as_of=day)
        assert raised.value.code == "snapshot_date_not_today"
        assert day.strftime("%d-%m-%Y") in raised.value.message
    assert "achteraf niet worden berekend" in _past_message(noord, today)
    assert not CapacitySnapshot.objects.exists()
    assert not LocationSnapshot.objects.exists()

    taken = snapshot_take(region=noord.noord, as_of=today)
    # the next day, the snapshot of "yesterday" is still there to export, unchanged
    monkeypatch.setattr(snapshots, "snapshot_today", lambda: today + dt.timedelta(days=1))
    room_set_occupants(room=noord.rooms_a[1], occupants=2)
    assert snapshot_take(region=noord.noord, as_of=today).pk == taken.pk
    assert [_numbers(r) for r in kcio.kcio_rows(taken)] == EXPECTED_ROWS


def _past_message(noord, today):
    with pytest.raises(ApplicationError) as raised:
        snapshot_take(region=noord.noord, as_of=today - dt.timedelta(days=3))
    return raised.value.message


def test_snapshot_records_who_took_it_and_keeps_the_region_apart(noord, personas):
    snapshot = snapshot_take(region=noord.noord, as_of=_today(), user=personas.beheerder)
    assert snapshot.created_by == personas.beheerder
    zuid = snapshot_take(region=noord.zuid, as_of=_today())
    assert zuid.pk != snapshot.pk
    assert list(zuid.locations.values_list("location_code", "realised", "available")) == [("CRA-001", 5, 5)]


def test_query_count_is_constant_as_locations_grow(noord):
    def count_for(region):
        with CaptureQueriesContext(connection) as queries:
            snapshot_take(region=region, as_of=_today())
        return len(queries)

    small = count_for(noord.zuid)
    for i in range(12):
        location = LocationFactory(municipality=noord.mun_a, code=f"AAD-1{i:02d}")
        RoomFactory(location=location, number="1", beds=3)
        RoomFactory(location=location, number="2", beds=2)
    assert count_for(noord.noord) == small
    assert LocationSnapshot.objects.filter(snapshot__region=noord.noord).count() == 3 + 12


# --- command ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_command_writes_the_file(noord, tmp_path, fmt):
    target = tmp_path / f"kcio.{fmt}"
    call_command("kcio_export", "--region", "noord", "--date", _today().isoformat(), "--format", fmt,
                 "--output", str(target))
    snapshot = CapacitySnapshot.objects.get(region=noord.noord, as_of=_today())
    if fmt != "xlsx":  # a workbook carries the time it was saved; its cells are compared below
        assert target.read_bytes() == kcio.render(snapshot, fmt)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    if fmt == "csv":
        assert [row[5] for row in _csv_rows(target.read_bytes())[1:]] == ["AAD-001", "BEE-001", "BEE-002"]
    elif fmt == "json":
        assert json.loads(target.read_bytes())["totals"]["realised"] == 20
    else:
        written, rendered = load_workbook(target), load_workbook(io.BytesIO(kcio.render(snapshot, fmt)))
        assert written.sheetnames == ["Locaties", "Totalen"]
        for name in written.sheetnames:
            assert list(written[name].iter_rows(values_only=True)) == list(
                rendered[name].iter_rows(values_only=True))
        assert written["Totalen"]["E4"].value == 20


def test_command_csv_with_hxl_to_stdout_reuses_the_snapshot(noord):
    out = io.StringIO()
    first = snapshot_take(region=noord.noord, as_of=_today())
    call_command("kcio_export", "--region", "noord", "--date", _today().isoformat(), "--format", "csv", "--hxl",
                 stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert rows[1][0] == "#date+reported"
    assert len(rows) == 2 + 3
    assert CapacitySnapshot.objects.get().pk == first.pk


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "nergens", "--format", "csv"], "Geen regio met code 'nergens'"),
    (["--region", "noord", "--format", "pdf"], "Onbekend formaat 'pdf'"),
    (["--region", "noord", "--format", "csv", "--date", "01-12-2026"], "Ongeldige datum '01-12-2026'"),
    (["--region", "noord", "--format", "csv", "--date", "2026-02-30"], "Ongeldige datum '2026-02-30'"),
    (["--region", "noord", "--format", "csv", "--date", "2020-01-01"], "Voor 01-01-2020 is geen momentopname"),
    (["--region", "noord", "--format", "xlsx"], "geef --output BESTAND op"),
    (["--region", "noord", "--format", "json", "--hxl"], "--hxl hoort alleen bij het formaat csv"),
    (["--region", "noord", "--format", "csv", "--output", "/nonexistent-dir/kcio.csv"], "bestaat niet"),
])
def test_command_refuses_bad_input_in_dutch(noord, args, message):
    if "--date" not in args:
        args = [*args, "--date", _today().isoformat()]
    with pytest.raises(CommandError) as raised:
        call_command("kcio_export", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert message in str(raised.value)
    assert not CapacitySnapshot.objects.exists()


# --- scheduled job ----------------------------------------------------------------------------

def test_daily_task_takes_every_region_once(noord):
    first = take_daily_snapshots()
    assert set(first) == {"noord", "zuid"}
    assert CapacitySnapshot.objects.filter(as_of=_today()).count() == 2
    assert take_daily_snapshots() == first
    assert CapacitySnapshot.objects.count() == 2


def test_daily_task_runs_from_beat_at_the_configured_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["kcio-take-daily-snapshots"]
    assert entry["task"] == "reporting.tasks.take_daily_snapshots"
    assert entry["schedule"].hour == {settings.KCIO_EXPORT_HOUR}
    assert entry["schedule"].minute == {0}
    assert settings.KCIO_EXPORT_HOUR == 6
    assert settings.CELERY_TIMEZONE == "Europe/Amsterdam"


# --- two takes at once ------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_takes_at_once_make_one_snapshot(world, monkeypatch):
    """Beat and a person (or two workers) taking the same day at the same moment: both have seen
    no snapshot yet; the region lock makes the second wait and return the first's snapshot
    instead of failing on the unique constraint."""
    import threading

    from django.db import connections

    today = snapshot_today()
    both_checked = threading.Barrier(2, timeout=10)

    def today_after_both_checked():
        both_checked.wait()
        return today

    monkeypatch.setattr(snapshots, "snapshot_today", today_after_both_checked)
    results, errors = [], []

    def take():
        try:
            results.append(snapshot_take(region=world.noord, as_of=today).pk)
        except Exception as error:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert CapacitySnapshot.objects.filter(region=world.noord, as_of=today).count() == 1
    assert LocationSnapshot.objects.filter(snapshot_id=results[0]).count() == 2


@pytest.mark.parametrize(("utc", "day"), [
    (dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 2)),  # CET, UTC+1
    (dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC), dt.date(2026, 7, 2)),  # CEST, UTC+2
    (dt.datetime(2026, 7, 1, 21, 30, tzinfo=dt.UTC), dt.date(2026, 7, 1)),
])
def test_today_is_the_day_in_amsterdam(monkeypatch, utc, day):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: utc)
    assert snapshot_today() == day
