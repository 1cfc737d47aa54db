"""Import and export of locations and rooms: every error kind with its sheet, row, column and
Dutch message, all-or-nothing writes with history, preview, CSV and XLSX, the round trip, scoping
and the HTML views (upload → preview → apply) including the outsider and read-only roles."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from locations import importing
from locations.importing import (
    LOCATION_COLUMNS,
    ROOM_COLUMNS,
    ImportRejected,
    build_plan,
    export_csv,
    export_xlsx,
    import_apply,
)
from locations.models import Location, LocationKind, LocationStatus, Room, RoomOccupancy
from locations.services import room_block
from rcvs.accounts.models import Role
from rcvs.errors import ApplicationError, PermissionDenied
from tests.factories import LocationFactory, MunicipalityFactory, RoomFactory, UserFactory, room_set_occupants

LOCATION_HEADERS = [column.header for column in LOCATION_COLUMNS]
ROOM_HEADERS = [column.header for column in ROOM_COLUMNS]


# --- building files -----------------------------------------------------------------------------

def location_row(overrides: dict | None = None) -> dict:
    """A valid row for a new location in municipality A (Aadorp, GM9001)."""
    row = {
        "locatiecode": "AAD-002", "naam": "De Nieuwe Haven", "gemeente": "GM9001", "straat": "Dorpsstraat 5",
        "postcode": "9401 AB", "plaats": "Aadorp", "breedtegraad": "", "lengtegraad": "", "soort": "GOO",
        "status": "Open", "openingsdatum": "01-03-2025", "einddatum": "", "zuigelingen": "ja",
        "huisdieren": "nee", "rolstoel": "nee", "zorg": "nee", "traplopen": "ja", "stapelbedden": "nee",
        "afgelegen": "nee", "24/7 intake": "nee", "gezinnen": "ja", "alleenreizenden": "ja",
        "alleenstaande mannen": "nee", "opmerkingen": "",
    }
    row.update(overrides or {})
    return row


def room_row(overrides: dict | None = None) -> dict:
    row = {"locatiecode": "AAD-002", "kamernummer": "1", "verdieping": 0, "bedden": 4, "stapelbedden": 0,
           "zonder trap": "ja", "rolstoel": "nee", "gebruik": "huishouden"}
    row.update(overrides or {})
    return row


def xlsx(locations: list[dict] | None = None, rooms: list[dict] | None = None) -> bytes:
    """A workbook with the sheets given (None leaves the sheet out)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in (("Locaties", LOCATION_HEADERS, locations), ("Kamers", ROOM_HEADERS, rooms)):
        if rows is None:
            continue
        ws = workbook.create_sheet(title)
        ws.append(headers)
        for row in rows:
            ws.append([row.get(header) for header in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(headers: list[str], rows: list[dict], *, delimiter: str = ";", bom: bool = True,
             encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if row.get(h) is None else row.get(h) for h in headers])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def snapshot() -> dict:
    """Everything an import could touch, to prove that a refused import wrote nothing."""
    return {
        "locations": list(Location.objects.order_by("pk").values()),
        "rooms": list(Room.objects.order_by("pk").values()),
        "location_history": Location.history.count(),
        "room_history": Room.history.count(),
    }


def as_tuples(plan) -> list[tuple]:
    return [(i.sheet, i.row, i.column, i.header, i.message) for i in plan.errors]


# --- every error kind ---------------------------------------------------------------------------

KIND_LIST = "GOO, Particulier, Doorstroomlocatie, 24-uurs intake, Crisisnoodopvang"
STATUS_LIST = "In voorbereiding, Open, Sluit, Gesloten"

ERROR_CASES = [
    pytest.param([location_row({"gemeente": "GM9999"})], None,
                 ("Locaties", 2, "C", "gemeente", "Onbekende gemeente 'GM9999'. Gebruik de CBS-code (zoals GM0106) "
                  "of de naam van een gemeente waarvan u locaties beheert."), id="unknown-municipality"),
    pytest.param([location_row({"gemeente": "Cranendonck-Test"})], None,
                 ("Locaties", 2, "C", "gemeente", "Onbekende gemeente 'Cranendonck-Test'. Gebruik de CBS-code "
                  "(zoals GM0106) of de naam van een gemeente waarvan u locaties beheert."),
                 id="municipality-of-other-region"),
    pytest.param([location_row()], [room_row({"bedden": "2,5"})],
                 ("Kamers", 2, "D", "bedden", "Het aantal bedden moet een heel getal van 1 tot en met 6 zijn, "
                  "niet '2,5'."), id="beds-fraction"),
    pytest.param([location_row()], [room_row({"bedden": 7})],
                 ("Kamers", 2, "D", "bedden", "Het aantal bedden moet een heel getal van 1 tot en met 6 zijn, "
                  "niet '7'."), id="beds-too-many"),
    pytest.param([location_row()], [room_row({"bedden": 0})],
                 ("Kamers", 2, "D", "bedden", "Het aantal bedden moet een heel getal van 1 tot en met 6 zijn, "
                  "niet '0'."), id="beds-zero"),
    pytest.param([location_row()], [room_row({"bedden": "vier"})],
                 ("Kamers", 2, "D", "bedden", "Het aantal bedden moet een heel getal van 1 tot en met 6 zijn, "
                  "niet 'vier'."), id="beds-text"),
    pytest.param([location_row()], [room_row({"bedden": 2, "stapelbedden": 3})],
                 ("Kamers", 2, "E", "stapelbedden", "Er zijn meer stapelbedden (3) dan bedden (2)."),
                 id="bunks-over-beds"),
    pytest.param([location_row()], [room_row({"verdieping": 41})],
                 ("Kamers", 2, "C", "verdieping", "De verdieping moet een heel getal van -2 tot en met 40 zijn, "
                  "niet '41'."), id="floor-out-of-range"),
    pytest.param([location_row()], [room_row(), room_row({"bedden": 2})],
                 ("Kamers", 3, "B", "kamernummer", "Kamer '1' van locatie 'AAD-002' staat al in rij 2."),
                 id="duplicate-room"),
    pytest.param([location_row(), location_row({"naam": "Dubbel"})], None,
                 ("Locaties", 3, "A", "locatiecode", "Locatiecode 'AAD-002' staat al in rij 2."),
                 id="duplicate-location-code"),
    pytest.param(None, [room_row({"locatiecode": "XYZ-001"})],
                 ("Kamers", 2, "A", "locatiecode", "Onbekende locatiecode 'XYZ-001': niet in het blad Locaties en "
                  "niet bij de locaties die u beheert."), id="room-unknown-location"),
    pytest.param(None, [room_row({"locatiecode": "CRA-001"})],
                 ("Kamers", 2, "A", "locatiecode", "Onbekende locatiecode 'CRA-001': niet in het blad Locaties en "
                  "niet bij de locaties die u beheert."), id="room-location-of-other-region"),
    pytest.param([location_row({"locatiecode": "CRA-001"})], None,
                 ("Locaties", 2, "A", "locatiecode", "Deze locatiecode is al in gebruik; kies een andere code."),
                 id="location-code-taken-in-another-region"),
    pytest.param([location_row({"postcode": "94011 AB"})], None,
                 ("Locaties", 2, "E", "postcode", "'94011 AB' is geen geldige postcode; gebruik de vorm 1234 AB."),
                 id="malformed-postcode"),
    pytest.param([location_row({"postcode": "0401 AB"})], None,
                 ("Locaties", 2, "E", "postcode", "'0401 AB' is geen geldige postcode; gebruik de vorm 1234 AB."),
                 id="postcode-leading-zero"),
    pytest.param([location_row({"openingsdatum": "01-03-2025", "einddatum": "2025-02-28"})], None,
                 ("Locaties", 2, "L", "einddatum", "De einddatum (28-02-2025) ligt voor de openingsdatum "
                  "(01-03-2025)."), id="end-before-opening"),
    pytest.param([location_row({"soort": "Hotel"})], None,
                 ("Locaties", 2, "I", "soort", f"Onbekende soort 'Hotel'. Kies uit: {KIND_LIST}."),
                 id="unknown-kind"),
    pytest.param([location_row({"status": "Dicht"})], None,
                 ("Locaties", 2, "J", "status", f"Onbekende status 'Dicht'. Kies uit: {STATUS_LIST}."),
                 id="unknown-status"),
    pytest.param([location_row()], [room_row({"gebruik": "gezin"})],
                 ("Kamers", 2, "H", "gebruik", "Onbekend gebruik 'gezin'. Kies uit: huishouden, gedeeld."),
                 id="unknown-room-use"),
    pytest.param([location_row({"zuigelingen": "misschien"})], None,
                 ("Locaties", 2, "M", "zuigelingen", "Vul ja of nee in, niet 'misschien'."), id="bad-boolean"),
    pytest.param([location_row()], [room_row({"rolstoel": 2})],
                 ("Kamers", 2, "G", "rolstoel", "Vul ja of nee in, niet '2'."), id="bad-boolean-number"),
    pytest.param([location_row({"openingsdatum": "31-02-2025"})], None,
                 ("Locaties", 2, "K", "openingsdatum", "'31-02-2025' is geen geldige datum; gebruik dd-mm-jjjj, "
                  "bijvoorbeeld 01-03-2025."), id="bad-date"),
    pytest.param([location_row({"einddatum": "volgend jaar"})], None,
                 ("Locaties", 2, "L", "einddatum", "'volgend jaar' is geen geldige datum; gebruik dd-mm-jjjj, "
                  "bijvoorbeeld 01-03-2025."), id="bad-date-text"),
    pytest.param([location_row({"breedtegraad": "noord", "lengtegraad": "6,5"})], None,
                 ("Locaties", 2, "G", "breedtegraad", "'noord' is geen getal; gebruik bijvoorbeeld 52,99123."),
                 id="coordinate-not-a-number"),
    pytest.param([location_row({"breedtegraad": "95", "lengtegraad": "6,5"})], None,
                 ("Locaties", 2, "G", "breedtegraad", "De breedtegraad moet tussen -90 en 90 liggen, niet '95'."),
                 id="latitude-out-of-range"),
    pytest.param([location_row({"breedtegraad": "52,1", "lengtegraad": "200"})], None,
                 ("Locaties", 2, "H", "lengtegraad", "De lengtegraad moet tussen -180 en 180 liggen, niet '200'."),
                 id="longitude-out-of-range"),
    pytest.param([location_row({"breedtegraad": "52,1", "lengtegraad": ""})], None,
                 ("Locaties", 2, "H", "lengtegraad", "Vul zowel de breedtegraad als de lengtegraad in, of geen van "
                  "beide."), id="one-coordinate"),
    pytest.param([location_row({"naam": ""})], None,
                 ("Locaties", 2, "B", "naam", "Vul 'naam' in; deze kolom is verplicht."), id="required-name"),
    pytest.param([location_row()], [room_row({"bedden": None})],
                 ("Kamers", 2, "D", "bedden", "Vul 'bedden' in; deze kolom is verplicht."), id="required-beds"),
    pytest.param([location_row({"locatiecode": "AAD_002"})], None,
                 ("Locaties", 2, "A", "locatiecode", "Alleen hoofdletters, cijfers en '-'."),
                 id="model-code-format"),
    pytest.param([location_row({"naam": "x" * 161})], None,
                 ("Locaties", 2, "B", "naam", "Zorg dat deze waarde niet meer dan 160 tekens bevat (het zijn er "
                  "nu 161)."), id="model-max-length"),
    pytest.param([location_row()], [room_row({"kamernummer": "k" * 21})],
                 ("Kamers", 2, "B", "kamernummer", "Zorg dat deze waarde niet meer dan 20 tekens bevat (het zijn "
                  "er nu 21)."), id="model-room-number-length"),
]


@pytest.mark.parametrize(("locations", "rooms", "expected"), ERROR_CASES)
def test_every_error_kind_is_reported_with_row_and_column_and_nothing_is_written(
        personas, locations, rooms, expected):
    content = xlsx(locations, rooms)
    before = snapshot()

    plan = build_plan(user=personas.beheerder, content=content, filename="fout.xlsx")
    assert as_tuples(plan) == [expected]
    assert snapshot() == before

    with pytest.raises(ImportRejected) as excinfo:
        import_apply(user=personas.beheerder, content=content, filename="fout.xlsx")
    assert as_tuples(excinfo.value.plan) == [expected]
    assert snapshot() == before


def test_import_may_not_reduce_beds_below_occupants(world, personas):
    room = world.rooms_a[3]  # A4, 6 beds
    room_set_occupants(room=room, occupants=5)
    content = xlsx(None, [room_row({"locatiecode": "AAD-001", "kamernummer": "A4", "bedden": 4})])
    before = snapshot()

    plan = build_plan(user=personas.beheerder, content=content, filename="k.xlsx")

    assert as_tuples(plan) == [("Kamers", 2, "D", "bedden",
                                "Kamer 'A4' heeft 5 bewoners; het aantal bedden kan niet lager zijn dan 5.")]
    with pytest.raises(ImportRejected):
        import_apply(user=personas.beheerder, content=content, filename="k.xlsx")
    assert snapshot() == before


def test_all_errors_of_a_file_are_reported_at_once_in_sheet_and_row_order(personas):
    content = xlsx(
        [location_row({"postcode": "fout", "soort": "Hotel"}), location_row({"locatiecode": "AAD-003",
                                                                            "gemeente": "Nergens"})],
        [room_row({"locatiecode": "AAD-003", "bedden": 9})],
    )
    plan = build_plan(user=personas.beheerder, content=content, filename="veel.xlsx")
    assert [(i.sheet, i.row, i.column) for i in plan.errors] == [
        ("Locaties", 2, "E"), ("Locaties", 2, "I"), ("Locaties", 3, "C"), ("Kamers", 2, "D"),
    ]


def test_header_problems_are_reported_on_row_1(personas):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Locaties"
    headers = [h for h in LOCATION_HEADERS if h != "plaats"] + ["telefoon"]
    ws.append(headers)
    ws.append(["AAD-002"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    plan = build_plan(user=personas.beheerder, content=buffer.getvalue(), filename="kop.xlsx")

    assert as_tuples(plan) == [
        ("Locaties", 1, "", "plaats", "De kolom 'plaats' ontbreekt in de kopregel (rij 1)."),
        ("Locaties", 1, "X", "telefoon", "Onbekende kolom 'telefoon'. Gebruik de kolommen van het sjabloon."),
    ]


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"", "leeg.csv", "Het bestand is leeg."),
    (b"PK\x03\x04kapot", "kapot.xlsx", "Dit bestand kan niet worden gelezen als Excel-bestand (.xlsx)."),
    (b"\xd0\xcf\x11\xe0oud", "oud.xls", "Dit bestandsformaat wordt niet ondersteund; sla het bestand op als "
                                        ".xlsx of .csv."),
    (b"telefoon;email\r\n1;2\r\n", "anders.csv",
     "De kopregel van dit CSV-bestand hoort niet bij het blad Locaties of Kamers. Gebruik de kolomnamen van het "
     "sjabloon."),
])
def test_unreadable_files_are_rejected_with_a_file_level_message(personas, content, filename, message):
    before = snapshot()
    plan = build_plan(user=personas.beheerder, content=content, filename=filename)
    assert as_tuples(plan) == [("", None, "", "", message)]
    assert snapshot() == before


def test_workbook_without_template_sheets_is_rejected(personas):
    workbook = Workbook()
    workbook.active.title = "Blad1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = build_plan(user=personas.beheerder, content=buffer.getvalue(), filename="x.xlsx")
    assert as_tuples(plan) == [("", None, "", "", "Het bestand heeft geen blad 'Locaties' of 'Kamers'. Gebruik "
                                                  "het sjabloon.")]


def test_ambiguous_municipality_name_asks_for_the_cbs_code(world):
    MunicipalityFactory(region=world.zuid, name="Aadorp", cbs_code="GM9004")
    both = UserFactory(role=Role.BEHEERDER, regions=[world.noord, world.zuid])
    plan = build_plan(user=both, content=xlsx([location_row({"gemeente": "aadorp"})]), filename="x.xlsx")
    assert as_tuples(plan) == [("Locaties", 2, "C", "gemeente",
                                "De gemeentenaam 'aadorp' is niet eenduidig; gebruik de CBS-code.")]


def test_row_numbers_are_those_excel_shows_also_after_blank_rows(personas):
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Kamers"
    ws.append(ROOM_HEADERS)
    ws.append([room_row({"locatiecode": "AAD-001", "kamernummer": "A1"})[h] for h in ROOM_HEADERS])
    ws.append([])
    ws.append([])
    ws.append([room_row({"locatiecode": "AAD-001", "kamernummer": dt.datetime(2025, 2, 1)})[h] for h in ROOM_HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)

    plan = build_plan(user=personas.beheerder, content=buffer.getvalue(), filename="x.xlsx")

    assert as_tuples(plan) == [("Kamers", 5, "B", "kamernummer", "Excel heeft deze waarde als datum opgeslagen; "
                                "maak de cel van het type tekst en typ de waarde opnieuw.")]


def test_codes_labels_and_other_spellings_are_accepted(world, personas):
    content = xlsx(
        [location_row({"locatiecode": " aad-005 ", "soort": "INTAKE_24H", "status": "in voorbereiding",
                       "gemeente": "gm9001", "postcode": "9401ab", "openingsdatum": "2025-03-01",
                       "zuigelingen": 1, "huisdieren": "WAAR", "rolstoel": "x", "zorg": None, "traplopen": "Nee",
                       "breedtegraad": "52.5", "lengtegraad": 6})],
        [room_row({"locatiecode": "AAD-005", "gebruik": "SHARED", "bedden": "3", "verdieping": "-1",
                   "stapelbedden": None})],
    )
    import_apply(user=personas.beheerder, content=content, filename="x.xlsx")
    location = Location.objects.get(code="AAD-005")
    assert (location.kind, location.status, location.municipality, location.postcode) == (
        LocationKind.INTAKE_24H, LocationStatus.PREPARING, world.mun_a, "9401 AB")
    assert location.opening_date == dt.date(2025, 3, 1)
    assert (location.suitable_infants, location.suitable_pets, location.suitable_wheelchair,
            location.suitable_care, location.has_stairs) == (True, True, True, False, False)
    assert (location.latitude, location.longitude) == (Decimal("52.5"), Decimal("6"))
    room = location.rooms.get()
    assert (room.occupancy, room.beds, room.floor, room.bunk_beds) == (RoomOccupancy.SHARED, 3, -1, 0)


# --- a valid import -----------------------------------------------------------------------------

def test_valid_import_creates_and_updates_with_history_of_user_and_file(world, personas):
    user = personas.beheerder
    loc_a = world.loc_a
    content = xlsx(
        [
            location_row({"breedtegraad": 52.99123, "lengtegraad": "6,564181", "einddatum": dt.date(2026, 12, 31),
                          "soort": "particulier", "24/7 intake": "x", "opmerkingen": "Ingang achter"}),
            location_row({"locatiecode": "AAD-001", "naam": "Het Anker (nieuw)", "gemeente": "Aadorp",
                          "straat": loc_a.street, "postcode": "9401ab", "plaats": loc_a.place,
                          "openingsdatum": None, "zuigelingen": "nee", "traplopen": "nee"}),
        ],
        [
            room_row({"kamernummer": "1.01", "bedden": 4, "stapelbedden": 2}),
            room_row({"kamernummer": "1.02", "verdieping": 1, "bedden": 2, "gebruik": "Gedeeld"}),
            room_row({"locatiecode": "AAD-001", "kamernummer": "A1", "bedden": 2, "zonder trap": "nee"}),
            room_row({"locatiecode": "AAD-001", "kamernummer": "A2", "bedden": 2, "zonder trap": "nee"}),
        ],
    )
    plan = build_plan(user=user, content=content, filename="voorjaar.xlsx")
    assert plan.errors == []
    assert plan.counts == {"locations_added": 1, "locations_changed": 1, "locations_unchanged": 0,
                           "rooms_added": 2, "rooms_changed": 1, "rooms_unchanged": 1}
    change = next(row for row in plan.locations if row.action == "change")
    assert [(c.header, c.old, c.new) for c in change.changes] == [("naam", "Het Anker", "Het Anker (nieuw)")]
    room_change = next(row for row in plan.rooms if row.action == "change")
    assert [(c.header, c.old, c.new) for c in room_change.changes] == [("bedden", "1", "2")]

    before_location_history = Location.history.count()
    before_room_history = Room.history.count()
    import_apply(user=user, content=content, filename="voorjaar.xlsx")

    new = Location.objects.get(code="AAD-002")
    assert new.municipality == world.mun_a
    assert new.kind == LocationKind.PARTICULIER
    assert new.latitude == Decimal("52.99123") and new.longitude == Decimal("6.56418")
    assert new.opening_date == dt.date(2025, 3, 1) and new.end_date == dt.date(2026, 12, 31)
    assert new.intake_24_7 is True and new.suitable_infants is True and new.notes == "Ingang achter"
    rooms = {room.number: room for room in new.rooms.all()}
    assert set(rooms) == {"1.01", "1.02"}
    assert rooms["1.01"].bunk_beds == 2 and rooms["1.02"].occupancy == RoomOccupancy.SHARED
    assert rooms["1.02"].floor == 1
    loc_a.refresh_from_db()
    assert loc_a.name == "Het Anker (nieuw)"
    assert Room.objects.get(location=loc_a, number="A1").beds == 2

    # One history row per written object, none for the unchanged room; each with user and file.
    assert Location.history.count() == before_location_history + 2
    assert Room.history.count() == before_room_history + 3
    for record in [*Location.history.order_by("-history_id")[:2], *Room.history.order_by("-history_id")[:3]]:
        assert record.history_user == user
        assert record.history_change_reason == "Import voorjaar.xlsx"


def test_preview_writes_nothing(world, personas):
    content = xlsx([location_row()], [room_row()])
    before = snapshot()
    plan = build_plan(user=personas.beheerder, content=content, filename="p.xlsx")
    assert plan.errors == [] and plan.has_changes
    assert "1 locatie toevoegen" in plan.summary()
    assert snapshot() == before


def test_rooms_not_in_the_file_are_left_alone(world, personas):
    content = xlsx(None, [room_row({"locatiecode": "AAD-001", "kamernummer": "A9", "bedden": 3})])
    import_apply(user=personas.beheerder, content=content, filename="k.xlsx")
    assert sorted(Room.objects.filter(location=world.loc_a).values_list("number", flat=True)) == [
        "A1", "A2", "A3", "A4", "A9"]


def test_import_keeps_blockade_and_occupants(world, personas):
    blocked = room_block(user=personas.beheerder, room=world.rooms_a[0], reason="Lekkage")
    occupied = room_set_occupants(room=world.rooms_a[2], occupants=3)
    content = xlsx(None, [
        room_row({"locatiecode": "AAD-001", "kamernummer": "A1", "bedden": 2}),
        room_row({"locatiecode": "AAD-001", "kamernummer": "A3", "bedden": 5}),
    ])
    import_apply(user=personas.beheerder, content=content, filename="k.xlsx")
    blocked.refresh_from_db()
    occupied.refresh_from_db()
    assert blocked.is_blocked and blocked.beds == 2
    assert occupied.occupants == 3 and occupied.beds == 5


def test_a_service_refusal_while_applying_rolls_back_every_row(world, personas, monkeypatch):
    real_room_create = importing.room_create
    calls = []

    def failing_room_create(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ApplicationError("Geweigerd door de service.", code="refused")
        return real_room_create(**kwargs)

    monkeypatch.setattr(importing, "room_create", failing_room_create)
    content = xlsx([location_row()], [room_row({"kamernummer": "1"}), room_row({"kamernummer": "2"})])
    before = snapshot()

    with pytest.raises(ImportRejected) as excinfo:
        import_apply(user=personas.beheerder, content=content, filename="x.xlsx")

    assert as_tuples(excinfo.value.plan) == [("Kamers", 3, "", "", "Geweigerd door de service.")]
    assert snapshot() == before


def test_apply_revalidates_against_the_database_as_it_is_then(world, personas):
    content = xlsx(None, [room_row({"locatiecode": "AAD-001", "kamernummer": "A4", "bedden": 3})])
    plan = build_plan(user=personas.gemeente_a, content=content, filename="k.xlsx")
    assert plan.errors == []
    # Between preview and apply, five people are placed in the room.
    room_set_occupants(room=world.rooms_a[3], occupants=5)
    before = snapshot()

    with pytest.raises(ImportRejected) as excinfo:
        import_apply(user=personas.gemeente_a, content=content, filename="k.xlsx")

    assert as_tuples(excinfo.value.plan) == [
        ("Kamers", 2, "D", "bedden", "Kamer 'A4' heeft 5 bewoners; het aantal bedden kan niet lager zijn dan 5.")]
    assert snapshot() == before


def test_apply_revalidates_a_code_taken_since_the_preview(world, personas):
    content = xlsx([location_row({"locatiecode": "NEW-001"})], None)
    assert build_plan(user=personas.gemeente_a, content=content, filename="l.xlsx").errors == []
    LocationFactory(municipality=world.mun_b, code="NEW-001")
    before = snapshot()

    with pytest.raises(ImportRejected) as excinfo:
        import_apply(user=personas.gemeente_a, content=content, filename="l.xlsx")

    assert as_tuples(excinfo.value.plan) == [("Locaties", 2, "A", "locatiecode", "Deze locatiecode is al "
                                              "in gebruik; kies een andere code.")]
    assert snapshot() == before


# --- CSV ------------------------------------------------------------------------------------------

def test_csv_with_semicolons_and_bom_then_rooms_csv_with_commas(world, personas):
    locations_csv = csv_file(LOCATION_HEADERS, [location_row({"breedtegraad": "52,5", "lengtegraad": "6,25"})])
    rooms_csv = csv_file(ROOM_HEADERS, [room_row({"zonder trap": "1", "rolstoel": "true"})], delimiter=",",
                         bom=False)

    import_apply(user=personas.gemeente_a, content=locations_csv, filename="locaties.csv")
    import_apply(user=personas.gemeente_a, content=rooms_csv, filename="kamers.csv")

    location = Location.objects.get(code="AAD-002")
    assert location.latitude == Decimal("52.5")
    room = location.rooms.get()
    assert room.step_free and room.wheelchair_accessible and room.beds == 4


def test_csv_errors_carry_sheet_row_and_column(world, personas):
    content = csv_file(ROOM_HEADERS, [room_row({"locatiecode": "AAD-001", "kamernummer": "A1"}),
                                      room_row({"locatiecode": "AAD-001", "kamernummer": "A2", "bedden": "10"})])
    plan = build_plan(user=personas.gemeente_a, content=content, filename="kamers.csv")
    assert as_tuples(plan) == [("Kamers", 3, "D", "bedden", "Het aantal bedden moet een heel getal van 1 tot en "
                                                             "met 6 zijn, niet '10'.")]


def test_csv_saved_by_dutch_excel_in_windows_1252_is_read(world, personas):
    content = csv_file(LOCATION_HEADERS, [location_row({"naam": "Café Zeeën", "plaats": "Aadorp"})], bom=False,
                       encoding="cp1252")
    import_apply(user=personas.gemeente_a, content=content, filename="locaties.csv")
    assert Location.objects.get(code="AAD-002").name == "Café Zeeën"


# --- round trip and export ----------------------------------------------------------------------

@pytest.fixture
def rich_world(world, personas):
    """Values that are easy to lose on the way out and back in."""
    LocationFactory(
        municipality=world.mun_a, code="AAD-009", name="=SOM(1;2) geen formule", notes="Regel 1\nRegel 2",
        latitude=Decimal("52.99123"), longitude=Decimal("-6.50000"), kind=LocationKind.INTAKE_24H,
        status=LocationStatus.CLOSING, opening_date=dt.date(2024, 2, 29), end_date=dt.date(2026, 1, 1),
        suitable_pets=True, target_families=False, target_single_men=True,
    )
    location = Location.objects.get(code="AAD-009")
    RoomFactory(location=location, number="01", floor=-1, beds=6, bunk_beds=6, occupancy=RoomOccupancy.SHARED,
                step_free=True)
    RoomFactory(location=location, number="+12", beds=1)
    room_block(user=personas.beheerder, room=world.rooms_b[0], reason="Schimmel")
    return world


def test_round_trip_xlsx_export_then_import_changes_nothing(rich_world, personas):
    content = export_xlsx(user=personas.beheerder)
    plan = build_plan(user=personas.beheerder, content=content, filename="export.xlsx")
    assert plan.errors == []
    assert not plan.has_changes
    assert plan.counts["locations_unchanged"] == Location.objects.filter(municipality__region=rich_world.noord).count()
    assert plan.counts["rooms_unchanged"] == Room.objects.filter(location__municipality__region=rich_world.noord).count()


@pytest.mark.parametrize("sheet", ["Locaties", "Kamers"])
def test_round_trip_csv_export_then_import_changes_nothing(rich_world, personas, sheet):
    content = export_csv(user=personas.beheerder, sheet=sheet)
    plan = build_plan(user=personas.beheerder, content=content, filename="export.csv")
    assert plan.errors == []
    assert not plan.has_changes
    assert len(plan.locations if sheet == "Locaties" else plan.rooms) > 0


def test_export_never_writes_a_formula(rich_world, personas):
    workbook = load_workbook(io.BytesIO(export_xlsx(user=personas.beheerder)))
    cell = next(c for c in workbook["Locaties"]["B"] if c.value == "=SOM(1;2) geen formule")
    assert cell.data_type == "s"
    text = export_csv(user=personas.beheerder, sheet="Locaties").decode("utf-8-sig")
    assert "'=SOM(1;2) geen formule" in text


def test_export_holds_only_the_users_scope(world, personas):
    workbook = load_workbook(io.BytesIO(export_xlsx(user=personas.gemeente_a)))
    codes = [row[0] for row in workbook["Locaties"].iter_rows(min_row=2, values_only=True)]
    room_codes = {row[0] for row in workbook["Kamers"].iter_rows(min_row=2, values_only=True)}
    assert codes == ["AAD-001"]
    assert room_codes == {"AAD-001"}


def test_empty_template_has_headers_no_data_and_documents_every_column(world, personas):
    workbook = load_workbook(io.BytesIO(export_xlsx(user=personas.beheerder, empty=True)))
    assert workbook.sheetnames == ["Locaties", "Kamers", "Toelichting"]
    assert [c.value for c in workbook["Locaties"][1]] == LOCATION_HEADERS
    assert [c.value for c in workbook["Kamers"][1]] == ROOM_HEADERS
    assert workbook["Locaties"].max_row == 1 and workbook["Kamers"].max_row == 1
    documented = {(row[0], row[1]) for row in workbook["Toelichting"].iter_rows(values_only=True)}
    for header in LOCATION_HEADERS:
        assert ("Locaties", header) in documented
    for header in ROOM_HEADERS:
        assert ("Kamers", header) in documented
    notes = " ".join(str(row[0]) for row in workbook["Toelichting"].iter_rows(values_only=True) if row[0])
    assert "blijven ongewijzigd" in notes


def test_the_empty_template_filled_in_imports(world, personas):
    workbook = load_workbook(io.BytesIO(export_xlsx(user=personas.gemeente_a, empty=True)))
    workbook["Locaties"].append([location_row()[h] for h in LOCATION_HEADERS])
    workbook["Kamers"].append([room_row()[h] for h in ROOM_HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = import_apply(user=personas.gemeente_a, content=buffer.getvalue(), filename="sjabloon.xlsx")
    assert plan.counts["locations_added"] == 1 and plan.counts["rooms_added"] == 1


# --- scope and roles ----------------------------------------------------------------------------

def test_gemeente_user_cannot_import_into_another_municipality(world, personas):
    content = xlsx(
        [location_row({"gemeente": "GM9002"}),
         location_row({"locatiecode": "BEE-001", "gemeente": "GM9001", "naam": "Overgenomen"})],
        [room_row({"locatiecode": "BEE-001", "kamernummer": "B1", "bedden": 1})],
    )
    before = snapshot()

    plan = build_plan(user=personas.gemeente_a, content=content, filename="b.xlsx")

    assert as_tuples(plan) == [
        ("Locaties", 2, "C", "gemeente", "Onbekende gemeente 'GM9002'. Gebruik de CBS-code (zoals GM0106) of de "
                                         "naam van een gemeente waarvan u locaties beheert."),
        ("Locaties", 3, "A", "locatiecode", "Deze locatiecode is al in gebruik; kies een andere code."),
    ]
    with pytest.raises(ImportRejected):
        import_apply(user=personas.gemeente_a, content=content, filename="b.xlsx")
    assert snapshot() == before


def test_beheerder_may_move_a_location_between_municipalities_of_the_region(world, personas):
    loc = world.loc_a
    row = location_row({"locatiecode": "AAD-001", "naam": loc.name, "gemeente": "Beekdal", "straat": loc.street,
                        "postcode": loc.postcode, "plaats": loc.place, "openingsdatum": None,
                        "zuigelingen": "nee", "traplopen": "nee"})
    plan = import_apply(user=personas.beheerder, content=xlsx([row]), filename="m.xlsx")
    assert [(c.header, c.old, c.new) for c in plan.locations[0].changes] == [
        ("gemeente", "Aadorp (GM9001)", "Beekdal (GM9002)")]
    loc.refresh_from_db()
    assert loc.municipality == world.mun_b


@pytest.mark.parametrize("persona", ["belteam", "coordinator", "bestuur"])
def test_read_only_roles_may_not_import(world, personas, persona):
    with pytest.raises(PermissionDenied):
        build_plan(user=getattr(personas, persona), content=xlsx([location_row()]), filename="x.xlsx")


def test_outsider_cannot_touch_the_other_region(world, personas):
    content = xlsx([location_row()], [room_row({"locatiecode": "AAD-001", "kamernummer": "A1", "bedden": 2})])
    before = snapshot()
    plan = build_plan(user=personas.outsider, content=content, filename="x.xlsx")
    assert [(i.sheet, i.row, i.column) for i in plan.errors] == [("Locaties", 2, "C"), ("Kamers", 2, "A")]
    assert snapshot() == before


# --- the HTML views -----------------------------------------------------------------------------

@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    return tmp_path / "var" / "imports"


def upload(client, content: bytes, name: str = "import.xlsx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("locations:import"), {"file": file})


def test_views_upload_preview_apply_for_a_gemeente_user(world, personas, login, upload_dir):
    client = login(personas.gemeente_a)
    assert client.get(reverse("locations:import")).status_code == 200
    before = snapshot()

    response = upload(client, xlsx([location_row()], [room_row(), room_row({"kamernummer": "2"})]))

    assert response.status_code == 200
    assert response.templates[0].name == "locations/import_preview.html"
    body = response.content.decode()
    assert "1 locatie toevoegen, 0 locaties wijzigen, 2 kamers toevoegen, 0 kamers wijzigen" in body
    assert "Import uitvoeren" in body
    assert snapshot() == before
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    assert len(list(upload_dir.glob("*.upload"))) == 1

    response = client.post(reverse("locations:import_apply"), {"token": token})

    assert response.status_code == 302
    location = Location.objects.get(code="AAD-002")
    assert location.rooms.count() == 2
    record = location.history.get()
    assert record.history_user == personas.gemeente_a
    assert record.history_change_reason == "Import import.xlsx"
    assert list(upload_dir.glob("*.upload")) == []
    followed = client.get(response["Location"])
    assert "Import van import.xlsx uitgevoerd" in followed.content.decode()


def test_view_shows_the_error_table_and_writes_nothing(world, personas, login, upload_dir):
    client = login(personas.gemeente_a)
    before = snapshot()
    response = upload(client, xlsx([location_row({"postcode": "12345"})]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<caption>Fouten in import.xlsx</caption>" in body
    assert "&#x27;12345&#x27; is geen geldige postcode; gebruik de vorm 1234 AB." in body
    assert "E (postcode)" in body
    assert snapshot() == before
    assert not upload_dir.exists() or list(upload_dir.glob("*.upload")) == []


def test_view_rejects_other_file_types(world, personas, login, upload_dir):
    client = login(personas.gemeente_a)
    response = upload(client, b"hallo", name="notities.txt")
    assert response.status_code == 200
    assert "Kies een bestand van het type .xlsx of .csv." in response.content.decode()


def test_view_apply_revalidates_and_reports(world, personas, login, upload_dir):
    client = login(personas.gemeente_a)
    response = upload(client, xlsx(None, [room_row({"locatiecode": "AAD-001", "kamernummer": "A4",
                                                     "bedden": 3})]))
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    room_set_occupants(room=world.rooms_a[3], occupants=4)
    before = snapshot()

    response = client.post(reverse("locations:import_apply"), {"token": token})

    body = response.content.decode()
    assert response.status_code == 200
    assert "De import is niet uitgevoerd; er is niets gewijzigd." in body
    assert "Kamer &#x27;A4&#x27; heeft 4 bewoners" in body
    assert snapshot() == before


def test_view_apply_with_unknown_or_foreign_token_writes_nothing(world, personas, login, upload_dir):
    client_a = login(personas.gemeente_a)
    response = upload(client_a, xlsx([location_row()]))
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    before = snapshot()

    assert client_a.post(reverse("locations:import_apply"), {"token": "verzonnen"}).status_code == 302
    client_a.logout()
    client_b = login(personas.beheerder)  # another user, another session, same token
    response = client_b.post(reverse("locations:import_apply"), {"token": token})

    assert response.status_code == 302
    assert snapshot() == before


def test_views_forbid_import_for_belteam(world, personas, login, upload_dir):
    client = login(personas.belteam)
    response = client.get(reverse("locations:import"))
    assert response.status_code == 403
    assert "U mag geen locaties importeren." in response.content.decode()
    assert upload(client, xlsx([location_row()])).status_code == 403
    assert client.post(reverse("locations:import_apply"), {"token": "x"}).status_code == 403
    assert not Location.objects.filter(code="AAD-002").exists()


def test_views_require_login(world, client):
    for name in ("import", "export", "export_template"):
        response = client.get(reverse(f"locations:{name}"))
        assert response.status_code == 302 and "login" in response["Location"]


def test_outsider_view_import_into_other_region_fails_and_export_hides_it(world, personas, login, upload_dir):
    client = login(personas.outsider)
    before = snapshot()
    response = upload(client, xlsx([location_row()]))
    assert "Onbekende gemeente &#x27;GM9001&#x27;" in response.content.decode()
    assert snapshot() == before

    response = client.get(reverse("locations:export"), {"formaat": "csv", "blad": "locaties"})
    text = response.content.decode("utf-8-sig")
    assert "CRA-001" in text and "AAD-001" not in text and "BEE-001" not in text


def test_export_views(world, personas, login):
    client = login(personas.belteam)  # reading roles may export what they see
    response = client.get(reverse("locations:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == importing.XLSX_CONTENT_TYPE
    assert 'attachment; filename="rcvs-locaties-' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert {row[0] for row in workbook["Locaties"].iter_rows(min_row=2, values_only=True)} == {"AAD-001", "BEE-001"}

    response = client.get(reverse("locations:export"), {"formaat": "csv", "blad": "kamers"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ROOM_HEADERS
    assert len(rows) == 1 + 6

    assert client.get(reverse("locations:export"), {"formaat": "pdf"}).status_code == 400
    assert client.get(reverse("locations:export"), {"formaat": "csv", "blad": "x"}).status_code == 400

    response = client.get(reverse("locations:export_template"))
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["Locaties", "Kamers", "Toelichting"]


# --- a taken location code says nothing about whose it is ---------------------------------------
# Codes are unique nationally (the KCIO knows a location by its code), so a code a user picks may
# belong to another region. Every way of choosing a code answers the same neutral message, and
# nothing of the other location (name, municipality, region) reaches the user.

CODE_TAKEN = "Deze locatiecode is al in gebruik; kies een andere code."
FOREIGN = ("De Cirkel", "Cranendonck", "Regio Zuid", "GM9003")


def assert_nothing_foreign(body: str) -> None:
    for text in FOREIGN:
        assert text not in body, text


@pytest.mark.parametrize("persona", ["gemeente_a", "beheerder"])
def test_importing_a_code_of_another_region_answers_neutrally(world, personas, login, upload_dir, persona):
    client = login(getattr(personas, persona))
    before = snapshot()

    response = upload(client, xlsx([location_row({"locatiecode": "CRA-001"})],
                                   [room_row({"locatiecode": "CRA-001", "kamernummer": "C9"})]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "<caption>Fouten in import.xlsx</caption>" in body
    assert CODE_TAKEN in body
    assert_nothing_foreign(body)
    assert snapshot() == before


def test_a_room_row_for_a_code_of_another_region_reads_like_an_unknown_code(world, personas):
    plan = build_plan(user=personas.beheerder, content=xlsx(None, [room_row({"locatiecode": "CRA-001"}),
                                                                  room_row({"locatiecode": "NIE-999"})]),
                      filename="k.xlsx")
    foreign, unknown = (issue.message for issue in plan.errors)
    assert foreign.replace("CRA-001", "NIE-999") == unknown


def test_location_form_answers_a_taken_code_neutrally(world, personas, login):
    client = login(personas.beheerder)
    data = {"code": "cra-001", "name": "De Haven", "municipality": world.mun_a.pk, "kind": "goo",
            "status": "preparing", "street": "Kade 3", "postcode": "9402 CD", "place": "Aadorp"}

    response = client.post(reverse("locations:create"), data)

    body = response.content.decode()
    assert response.status_code == 400  # a form sent back with errors
    assert CODE_TAKEN in body
    assert_nothing_foreign(body)
    assert not Location.objects.filter(name="De Haven").exists()


def test_api_answers_a_taken_code_neutrally(world, personas, api_for):
    response = api_for(personas.gemeente_a).post("/api/v1/locations/", {
        "municipality": world.mun_a.pk, "code": "CRA-001", "name": "De Haven", "street": "Kade 4",
        "postcode": "9401 AC", "place": "Aadorp", "kind": LocationKind.GOO, "status": LocationStatus.PREPARING,
    }, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]["code"] == [CODE_TAKEN]
    assert_nothing_foreign(response.content.decode())
    assert not Location.objects.filter(name="De Haven").exists()


# --- statistics after a large import ------------------------------------------------------------

def last_analyze(table: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def now_in_database():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def test_a_large_import_refreshes_the_planner_statistics_after_commit(world, personas, monkeypatch,
                                                                      django_capture_on_commit_callbacks):
    """Issue 6: autovacuum is off here; a bulk load left the planner thinking the tables empty."""
    monkeypatch.setattr(importing, "ANALYZE_AFTER_ROWS", 3)
    started = now_in_database()

    with django_capture_on_commit_callbacks(execute=False) as small:
        import_apply(user=personas.gemeente_a, content=xlsx([location_row()], [room_row()]), filename="klein.xlsx")
    assert small == []  # two rows: below the threshold, no ANALYZE

    with django_capture_on_commit_callbacks(execute=True) as large:
        import_apply(user=personas.gemeente_a, content=xlsx([location_row({"locatiecode": "AAD-003"})],
                                                            [room_row({"locatiecode": "AAD-003", "kamernummer": n})
                                                             for n in ("1", "2")]), filename="groot.xlsx")
    assert len(large) == 1
    for model in (Location, Room):
        analysed = last_analyze(model._meta.db_table)
        assert analysed is not None and analysed >= started, model
