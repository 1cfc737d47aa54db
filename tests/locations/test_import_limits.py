"""An upload is bounded by the work it causes, not by its bytes: a tiny XLSX that declares twelve
million rows, a cell far below the data, sparse rows past the cap, a zip bomb, a CSV of empty or
endless lines. Each is refused with a Dutch message naming the limit, quickly, writing nothing.
Formula cells are refused with the cell named; formula text in a CSV too; the export quotes it."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from locations import importing
from locations.importing import ImportRejected, build_plan, export_csv, export_xlsx, import_apply
from locations.models import Location
from tests.factories import LocationFactory, RoomFactory
from tests.locations.test_import import (
    LOCATION_HEADERS,
    ROOM_HEADERS,
    as_tuples,
    csv_file,
    location_row,
    room_row,
    snapshot,
    xlsx,
)

SHEET_XML = "xl/worksheets/sheet1.xml"
TOO_MANY = ("Het blad Locaties heeft meer dan 10.000 regels onder de kopregel (lege regels tellen mee); splits "
            "het bestand.")


def rewrite_sheet(content: bytes, change, path: str = SHEET_XML) -> bytes:
    """The same workbook with the XML of one sheet (the first by default) passed through `change` —
    how a hostile or odd producer differs from openpyxl."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == path:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def far_cell(xml: str, row: int = 12_000_000) -> str:
    """Add one cell, in column A, at `row`."""
    return xml.replace("</sheetData>", f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>X</t></is></c></row>'
                                       "</sheetData>")


def declare(xml: str, ref: str | None) -> str:
    """Replace the sheet's <dimension ref=...> (None removes it, as some producers do)."""
    return re.sub(r"<dimension [^>]*/>", f'<dimension ref="{ref}"/>' if ref else "", xml)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


# --- declared size, every row counted -----------------------------------------------------------

def test_a_tiny_file_that_declares_twelve_million_rows_is_refused_at_once(world, personas):
    content = rewrite_sheet(xlsx([location_row()]),
                            lambda xml: far_cell(declare(xml, "A1:Z12000000")))
    assert len(content) < 10_000
    before = snapshot()

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="bom.xlsx")

    print(f"declared 12,000,000 rows: refused in {seconds:.3f} s")
    assert as_tuples(plan) == [("Locaties", None, "", "", (
        "Het blad Locaties is volgens het bestand 12.000.000 regels lang; er mogen hooguit 10.000 regels onder "
        "de kopregel staan (lege regels met opmaak tellen mee). Verwijder de lege regels onderaan of splits het "
        "bestand."))]
    with pytest.raises(ImportRejected):
        import_apply(user=personas.gemeente_a, content=content, filename="bom.xlsx")
    assert snapshot() == before
    assert seconds < 5  # a hang would show here; the report gives the real figure


@pytest.mark.parametrize("dimension", [None, "A1:X2"], ids=["no-dimension", "dimension-too-small"])
def test_a_cell_far_below_the_data_stops_the_reading_early(world, personas, dimension):
    """Without an honest <dimension>, openpyxl fills in every missing row up to the far cell, one by
    one (55 s for twelve million). Reading stops a short run of empty rows past the cap instead:
    what lies beyond the cap is never read, and every row up to it is."""
    rows = [location_row({"locatiecode": f"AAD-{n:03}", "naam": f"Locatie {n}"}) for n in range(2, 5)]
    content = rewrite_sheet(xlsx(rows), lambda xml: far_cell(declare(xml, dimension)))

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="ver.xlsx")

    print(f"cell at row 12,000,000, dimension {dimension}: read in {seconds:.3f} s")
    assert plan.errors == []
    assert [row.values["code"] for row in plan.locations] == ["AAD-002", "AAD-003", "AAD-004"]
    assert seconds < 5


def test_every_row_counts_against_the_cap_empty_ones_too(world, personas):
    """One location every 40 rows: only 252 rows hold anything, up to row 10,042. The
    cap counts rows read, not rows filled, so the file is refused at the first filled row past it."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Locaties"
    ws.append(LOCATION_HEADERS)
    values = location_row()
    for number, row in enumerate(range(2, 10_043, 40)):
        for column, header in enumerate(LOCATION_HEADERS, start=1):
            ws.cell(row=row, column=column, value=values[header] or None)
        ws.cell(row=row, column=1, value=f"SPR-{number:04}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    # Without its (honest) dimension, which would be refused before reading.
    content = rewrite_sheet(buffer.getvalue(), lambda xml: declare(xml, None))
    before = snapshot()

    plan, seconds = timed(build_plan, user=personas.beheerder, content=content, filename="sparse.xlsx")

    print(f"sparse rows up to 10,042: refused in {seconds:.3f} s")
    assert as_tuples(plan) == [("Locaties", 10_002, "", "", TOO_MANY)]
    assert snapshot() == before


def test_empty_rows_below_the_data_within_the_cap_lose_nothing(world, personas):
    """A gap of empty rows in the middle is read through: the row below it is imported."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Locaties"
    ws.append(LOCATION_HEADERS)
    ws.append([location_row()[h] for h in LOCATION_HEADERS])
    for row in range(3, 500):
        ws.cell(row=row, column=2).number_format = "@"  # formatted but empty, as Excel leaves them
    later = location_row({"locatiecode": "AAD-500", "naam": "Na de lege regels"})
    for column, header in enumerate(LOCATION_HEADERS, start=1):
        ws.cell(row=500, column=column, value=later[header] or None)
    buffer = io.BytesIO()
    workbook.save(buffer)

    plan = build_plan(user=personas.gemeente_a, content=buffer.getvalue(), filename="gat.xlsx")

    assert plan.errors == []
    assert [(row.row, row.values["code"]) for row in plan.locations] == [(2, "AAD-002"), (500, "AAD-500")]


def test_the_cap_holds_for_each_sheet(world, personas, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS_PER_SHEET", 3)
    rooms = [room_row({"locatiecode": "AAD-001", "kamernummer": f"N{n}", "bedden": 1}) for n in range(4)]
    before = snapshot()

    content = xlsx(None, rooms)
    plan = build_plan(user=personas.gemeente_a, content=content, filename="k.xlsx")
    assert as_tuples(plan) == [("Kamers", None, "", "", "Het blad Kamers is volgens het bestand 5 regels lang; er "
                                                        "mogen hooguit 3 regels onder de kopregel staan (lege regels "
                                                        "met opmaak tellen mee). Verwijder de lege regels onderaan of "
                                                        "splits het bestand.")]

    plan = build_plan(user=personas.gemeente_a, content=rewrite_sheet(content, lambda xml: declare(xml, None)),
                      filename="k.xlsx")
    assert as_tuples(plan) == [("Kamers", 5, "", "", "Het blad Kamers heeft meer dan 3 regels onder de kopregel "
                                                     "(lege regels tellen mee); splits het bestand.")]
    assert snapshot() == before


# --- the archive --------------------------------------------------------------------------------

def with_member(content: bytes, name: str, data: bytes) -> bytes:
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_on_its_declared_size(world, personas):
    content = with_member(xlsx([location_row()]), "xl/media/image1.png", b"\0" * (61 * 2**20))
    assert len(content) < 200_000

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="zip.xlsx")

    print(f"zip bomb (61 MB unpacked): refused in {seconds:.3f} s")
    assert as_tuples(plan) == [("", None, "", "", "Het bestand is uitgepakt groter dan 60 MB; dat is te groot om "
                                                  "te importeren.")]


def test_an_archive_of_many_members_is_refused(world, personas):
    content = xlsx([location_row()])
    members = len(zipfile.ZipFile(io.BytesIO(content)).infolist()) + 500
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as archive:
        for n in range(500):
            archive.writestr(f"xl/media/m{n}.bin", b"")

    plan = build_plan(user=personas.gemeente_a, content=buffer.getvalue(), filename="veel.xlsx")

    assert as_tuples(plan) == [("", None, "", "", f"Het bestand bevat te veel onderdelen ({members}) om een "
                                                  "Excel-bestand van het sjabloon te zijn.")]


def with_parts(content: bytes, parts: dict[str, str]) -> bytes:
    """The workbook with some parts replaced or added (a shared-strings part is declared too)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = parts.pop(info.filename, None) or source.read(info.filename).decode("utf-8")
            if info.filename == "xl/_rels/workbook.xml.rels" and "xl/sharedStrings.xml" in parts:
                data = data.replace("</Relationships>", '<Relationship Id="rIdSst" Type="http://schemas.'
                                    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    'Target="sharedStrings.xml"/></Relationships>')
            if info.filename == "[Content_Types].xml" and "xl/sharedStrings.xml" in parts:
                data = data.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            target.writestr(info.filename, data)
        for name, data in parts.items():
            target.writestr(name, data)
    return buffer.getvalue()


COMPLEX = ("Het bestand is te ingewikkeld om te importeren ({}). Gebruik het sjabloon, of kopieer alleen de "
           "gegevens naar een nieuw bestand.")


def test_millions_of_tiny_shared_strings_are_refused_before_parsing(world, personas):
    """3.5 million one-letter strings: a 150 KB file that took openpyxl 66 s to load."""
    strings = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
               'spreadsheetml/2006/main">' + "<si><t>a</t></si>" * 3_500_000 + "</sst>")
    content = with_parts(xlsx([location_row()]), {"xl/sharedStrings.xml": strings})
    assert len(content) < 200_000

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="sst.xlsx")

    print(f"3,500,000 shared strings: refused in {seconds:.3f} s")
    assert as_tuples(plan) == [("", None, "", "", COMPLEX.format("te veel verschillende teksten"))]


def test_a_row_of_300000_empty_cells_is_refused_before_parsing(world, personas):
    """6 KB, one row, 300,000 cells: openpyxl parses a row whole, 3 s for this one."""
    content = rewrite_sheet(xlsx([location_row()]), lambda xml: xml.replace(
        "</sheetData>", '<row r="3">' + "<c/>" * 300_000 + "</row></sheetData>"))

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="breed.xlsx")

    print(f"300,000 cells in one row: refused in {seconds:.3f} s")
    assert as_tuples(plan) == [("", None, "", "", COMPLEX.format("meer dan 250.000 cellen in één blad"))]


def test_an_oversized_styles_part_is_refused(world, personas):
    content = xlsx([location_row()])
    styles = zipfile.ZipFile(io.BytesIO(content)).read("xl/styles.xml").decode("utf-8")
    styles = styles.replace("</styleSheet>", "<!--" + " " * (3 * 2**20) + "--></styleSheet>")

    plan = build_plan(user=personas.gemeente_a, content=with_parts(content, {"xl/styles.xml": styles}),
                      filename="stijl.xlsx")

    assert as_tuples(plan) == [("", None, "", "", COMPLEX.format("xl/styles.xml"))]


# --- formulas -----------------------------------------------------------------------------------

def with_cached_formula(content: bytes, cell: str, formula: str, cached: str, path: str = SHEET_XML) -> bytes:
    """Put a formula with a cached value into `cell`, as Excel saves it (openpyxl writes none)."""
    def change(xml: str) -> str:
        pattern = re.compile(rf'<c r="{cell}"[^>]*?(?:/>|>.*?</c>)')
        assert pattern.search(xml), cell
        return pattern.sub(f'<c r="{cell}" t="str"><f>{formula}</f><v>{cached}</v></c>', xml, count=1)
    return rewrite_sheet(content, change, path)


def test_a_formula_cell_is_refused_with_the_cell_named(world, personas):
    """Excel saved the name as =HYPERLINK(...); its cached value 'y' used to be imported silently."""
    content = with_cached_formula(xlsx([location_row()]), "B2", 'HYPERLINK("https://example.org/x","y")', "y")
    before = snapshot()

    plan = build_plan(user=personas.gemeente_a, content=content, filename="f.xlsx")

    assert as_tuples(plan) == [("Locaties", 2, "B", "naam", (
        'Blad Locaties, rij 2, kolom B (cel B2) bevat een formule: =HYPERLINK("https://example.org/x","y"). De '
        "import neemt geen formules over; vervang de formule door de waarde zelf (kopiëren en plakken als "
        "waarde)."))]
    with pytest.raises(ImportRejected):
        import_apply(user=personas.gemeente_a, content=content, filename="f.xlsx")
    assert snapshot() == before


def test_a_formula_in_the_code_or_a_number_column_is_refused_too(world, personas):
    content = with_cached_formula(xlsx([location_row()]), "A2", 'CONCAT("AAD-","002")', "AAD-002")
    plan = build_plan(user=personas.gemeente_a, content=content, filename="f.xlsx")
    assert [(i.sheet, i.row, i.column, i.header) for i in plan.errors] == [("Locaties", 2, "A", "locatiecode")]
    assert "(cel A2) bevat een formule: =CONCAT(" in plan.errors[0].message

    content = with_cached_formula(xlsx([location_row()], [room_row()]), "D2", "2+2", "4",
                                  path="xl/worksheets/sheet2.xml")
    plan = build_plan(user=personas.gemeente_a, content=content, filename="f.xlsx")
    assert [(i.sheet, i.row, i.column, i.header) for i in plan.errors] == [("Kamers", 2, "D", "bedden")]
    assert plan.errors[0].message.startswith("Blad Kamers, rij 2, kolom D (cel D2) bevat een formule: =2+2.")


def test_text_that_looks_like_a_formula_in_an_xlsx_text_cell_is_text(world, personas):
    """A cell of type text is what the user typed (our export writes '=...' that way); only a
    formula cell is refused."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Locaties"
    ws.append(LOCATION_HEADERS)
    ws.append([location_row()[h] for h in LOCATION_HEADERS])
    ws["B2"].value = "=geen formule"
    ws["B2"].data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = build_plan(user=personas.gemeente_a, content=buffer.getvalue(), filename="t.xlsx")
    assert plan.errors == []
    assert plan.locations[0].values["name"] == "=geen formule"


@pytest.mark.parametrize("value", ["=HYPERLINK(\"https://example.org\";\"y\")", "@SUM(A1)", "+A1", "-2+3*cmd"])
def test_csv_text_a_spreadsheet_would_run_is_refused(world, personas, value):
    content = csv_file(LOCATION_HEADERS, [location_row({"naam": value})])
    before = snapshot()

    plan = build_plan(user=personas.gemeente_a, content=content, filename="l.csv")

    assert as_tuples(plan) == [("Locaties", 2, "B", "naam", (
        f"'{value}' begint met '{value[0]}'; een spreadsheet voert dat uit als formule. Is het tekst, zet er dan "
        "een apostrof (') voor."))]
    with pytest.raises(ImportRejected):
        import_apply(user=personas.gemeente_a, content=content, filename="l.csv")
    assert snapshot() == before


def test_csv_signed_numbers_and_quoted_text_still_read(world, personas):
    import_apply(user=personas.gemeente_a, content=csv_file(
        LOCATION_HEADERS, [location_row({"naam": "'=SOM(1;2) als tekst", "lengtegraad": "-6,5",
                                         "breedtegraad": "52,1"})]), filename="l.csv")
    import_apply(user=personas.gemeente_a, content=csv_file(
        ROOM_HEADERS, [room_row({"kamernummer": "-1.02", "verdieping": "-1"}),
                       room_row({"kamernummer": "+12"})]), filename="k.csv")
    location = Location.objects.get(code="AAD-002")
    assert location.name == "=SOM(1;2) als tekst"
    assert sorted(location.rooms.values_list("number", "floor")) == [("+12", 0), ("-1.02", -1)]


# --- CSV ------------------------------------------------------------------------------------------

def test_a_csv_of_empty_lines_is_read_only_up_to_the_cap(world, personas):
    content = csv_file(LOCATION_HEADERS, []) + b"\n" * 3_000_000 + csv_file(LOCATION_HEADERS, [location_row()],
                                                                            bom=False).split(b"\r\n", 1)[1]
    assert len(content) < importing.MAX_UPLOAD_BYTES

    plan, seconds = timed(build_plan, user=personas.gemeente_a, content=content, filename="leeg.csv")

    print(f"CSV of 3,000,000 empty lines: read in {seconds:.3f} s")
    assert plan.errors == [] and plan.locations == []  # the row past the cap is never reached
    assert seconds < 5


def test_csv_rows_past_the_cap_are_refused(world, personas, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS_PER_SHEET", 2)
    content = csv_file(LOCATION_HEADERS, [location_row(), {}, location_row({"locatiecode": "AAD-003"})])
    plan = build_plan(user=personas.gemeente_a, content=content, filename="l.csv")
    assert as_tuples(plan) == [("Locaties", 4, "", "", "Het blad Locaties heeft meer dan 2 regels onder de kopregel "
                                                       "(lege regels tellen mee); splits het bestand.")]


def test_a_csv_line_too_long_is_refused(world, personas):
    content = csv_file(LOCATION_HEADERS, [location_row(), location_row({"opmerkingen": "x" * 40_000})])
    plan = build_plan(user=personas.gemeente_a, content=content, filename="l.csv")
    assert as_tuples(plan) == [("", None, "", "", "Regel 3 van dit CSV-bestand is langer dan 32.768 tekens; dat "
                                                  "past niet bij het sjabloon.")]


def test_a_csv_cell_beyond_what_the_csv_module_reads_is_a_message_not_a_500(world, personas, login):
    content = csv_file(LOCATION_HEADERS, [location_row({"opmerkingen": "x" * 200_000})])
    plan = build_plan(user=personas.gemeente_a, content=content, filename="l.csv")
    assert as_tuples(plan) == [("", None, "", "", "Regel 2 van dit CSV-bestand kan niet worden gelezen (een cel is "
                                                  "te lang of een aanhalingsteken sluit niet).")]
    response = login(personas.gemeente_a).post(reverse("locations:import"),
                                               {"file": SimpleUploadedFile("l.csv", content, "text/csv")})
    assert response.status_code == 200
    assert "kan niet worden gelezen" in response.content.decode()


# --- export: what users typed never runs in a spreadsheet ---------------------------------------

DANGEROUS = ["=1+1", "+31 6 1234 5678 (bel)", "-niet uitvoeren", "@SUM(A1)", '=HYPERLINK("x";"y")']


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_export_quotes_every_leading_formula_character(world, personas):
    for n, text in enumerate(DANGEROUS):
        location = LocationFactory(municipality=world.mun_a, code=f"AAD-1{n:02}", name=text, street=text,
                                   place="Aadorp", notes=text)
        RoomFactory(location=location, number=text[:20], beds=1)
    LocationFactory(municipality=world.mun_a, code="AAD-199", name="\tTab", place="\rCR")

    by_code = {row[0]: row for row in read_csv(export_csv(user=personas.gemeente_a, sheet="Locaties"))[1:]}
    for n, text in enumerate(DANGEROUS):
        row = by_code[f"AAD-1{n:02}"]
        for header in ("naam", "straat", "opmerkingen"):
            assert row[LOCATION_HEADERS.index(header)] == "'" + text
    assert by_code["AAD-199"][LOCATION_HEADERS.index("naam")] == "'\tTab"
    assert by_code["AAD-199"][LOCATION_HEADERS.index("plaats")] == "'\rCR"
    numbers = {row[1] for row in read_csv(export_csv(user=personas.gemeente_a, sheet="Kamers"))[1:]}
    assert {"'" + text[:20] for text in DANGEROUS} <= numbers

    workbook = load_workbook(io.BytesIO(export_xlsx(user=personas.gemeente_a)))
    for ws in (workbook["Locaties"], workbook["Kamers"]):
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)

    # What went out comes back in unchanged, from either format (tab and CR are trimmed on input).
    Location.objects.filter(code="AAD-199").delete()
    assert not build_plan(user=personas.gemeente_a, content=export_xlsx(user=personas.gemeente_a),
                          filename="e.xlsx").has_changes
    for sheet in ("Locaties", "Kamers"):
        plan = build_plan(user=personas.gemeente_a, content=export_csv(user=personas.gemeente_a, sheet=sheet),
                          filename="e.csv")
        assert plan.errors == [] and not plan.has_changes


def test_the_archive_scan_counts_across_chunk_boundaries():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("part.xml", b"x" * (2**20 - 1) + b"<c" + b"y" * 2**20 + b"<c")
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("part.xml")
        assert importing._count_in_member(archive, info, b"<c") == 2
        assert importing._count_in_member(archive, info, b"<") == 2
