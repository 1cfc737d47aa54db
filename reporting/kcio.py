"""The daily KCIO export of a capacity snapshot: rows, totals and the CSV, JSON and XLSX files.

Everything here reads a stored snapshot (reporting/snapshots.py), never the live registry, so a
file built again for the same day is the same file's content.

- CSV: comma-separated UTF-8, one header row of Dutch column names and, when asked, a second
  row of HXL hashtags (https://hxlstandard.org) so the national dashboard can map the columns
  whatever their titles. Locations only; totals are in the JSON and the XLSX.
- JSON: locations, totals per municipality, the region's total and the national weekly terms.
- XLSX: sheets "Locaties" and "Totalen".
Text that a spreadsheet would run as a formula (= + - @ ...) is quoted with the registry export's
own rule (locations.importing._csv_safe), in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from locations.importing import _csv_safe as spreadsheet_safe
from locations.models import LocationKind, LocationStatus
from locations.selectors import Capacity

from .models import CapacitySnapshot
from .snapshots import line_capacity, snapshot_lines

TEXT, DATE, BOOL, INT = "text", "date", "bool", "int"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    hxl: str
    kind: str = TEXT


def columns() -> tuple[Column, ...]:
    """The export's columns in order. A function, so the Dutch headers follow the active language."""
    return (
        Column("as_of", _("Peildatum"), "#date+reported", DATE),
        Column("region_code", _("Regiocode"), "#adm1+code"),
        Column("region_name", _("Regio"), "#adm1+name"),
        Column("municipality_cbs_code", _("CBS-code gemeente"), "#adm2+code"),
        Column("municipality_name", _("Gemeente"), "#adm2+name"),
        Column("location_code", _("Locatiecode"), "#loc+code"),
        Column("location_name", _("Locatie"), "#loc+name"),
        Column("street", _("Adres"), "#loc+address"),
        Column("postcode", _("Postcode"), "#loc+postcode"),
        Column("place", _("Plaats"), "#loc+place"),
        Column("kind", _("Soort"), "#loc+type"),
        Column("status", _("Status"), "#status+loc"),
        Column("end_date", _("Einddatum"), "#date+end", DATE),
        Column("suitable_infants", _("Geschikt voor zuigelingen"), "#indicator+suitable+infants", BOOL),
        Column("suitable_pets", _("Geschikt voor huisdieren"), "#indicator+suitable+pets", BOOL),
        Column("suitable_wheelchair", _("Geschikt voor rolstoel"), "#indicator+suitable+wheelchair", BOOL),
        Column("intake_24_7", _("24/7 intake"), "#indicator+intake_24_7", BOOL),
        Column("realised", _("Gerealiseerd"), "#capacity+beds+total", INT),
        Column("occupied", _("Bezet"), "#capacity+beds+occupied", INT),
        Column("available", _("Beschikbaar"), "#capacity+beds+available", INT),
        Column("snijverlies", _("Snijverlies"), "#capacity+beds+lost", INT),
        Column("out_of_service", _("Buiten gebruik"), "#capacity+beds+out_of_service", INT),
        Column("planned", _("Gepland"), "#capacity+beds+planned", INT),
    )


NUMBERS = ("realised", "occupied", "available", "snijverlies", "out_of_service", "planned")


def kcio_rows(snapshot: CapacitySnapshot) -> list[dict[str, Any]]:
    """One dict per location, keyed by Column.key, with Python values (codes for kind and
    status, dates, booleans, ints); each format renders them its own way."""
    region = snapshot.region
    rows = []
    for line in snapshot_lines(snapshot):
        row: dict[str, Any] = {"as_of": snapshot.as_of, "region_code": region.code, "region_name": region.name}
        for column in columns():
            if column.key not in row:
                row[column.key] = getattr(line, column.key)
        rows.append(row)
    return rows


@dataclass
class MunicipalityTotal:
    cbs_code: str
    name: str
    location_count: int
    capacity: Capacity


@dataclass
class Totals:
    municipalities: list[MunicipalityTotal]
    region: Capacity
    location_count: int


def kcio_totals(snapshot: CapacitySnapshot) -> Totals:
    """Totals per municipality and for the region, summed from the snapshot's own lines so that
    they always add up to the rows exported."""
    by_code: dict[str, MunicipalityTotal] = {}
    region = Capacity()
    lines = snapshot_lines(snapshot)
    for line in lines:
        capacity = line_capacity(line)
        total = by_code.setdefault(line.municipality_cbs_code,
                                   MunicipalityTotal(line.municipality_cbs_code, line.municipality_name, 0, Capacity()))
        total.location_count += 1
        total.capacity = total.capacity + capacity
        region = region + capacity
    municipalities = sorted(by_code.values(), key=lambda m: (m.name, m.cbs_code))
    return Totals(municipalities=municipalities, region=region, location_count=len(lines))


def national_terms(capacity: Capacity) -> dict[str, Any]:
    """The terms of the ministry's weekly figures: beds (realised), in use (occupied), occupancy
    rate (occupied / (realised - out of service), a percentage with one decimal, None when no bed
    is in service) and directly available."""
    return {"beds": capacity.realised, "in_use": capacity.occupied, "occupancy_rate": capacity.occupancy_rate,
            "directly_available": capacity.available}


def _label(key: str, value: Any) -> Any:
    if key == "kind":
        return LocationKind(value).label if value in LocationKind.values else value
    if key == "status":
        return LocationStatus(value).label if value in LocationStatus.values else value
    return value


def _text_value(column: Column, value: Any) -> str:
    """A cell as text for CSV: ISO dates, ja/nee, whole numbers, quoted formula-like text."""
    if value is None:
        return ""
    if column.kind == DATE:
        return value.isoformat()
    if column.kind == BOOL:
        return _("ja") if value else _("nee")
    if column.kind == INT:
        return str(value)
    return spreadsheet_safe(_label(column.key, value))


def render_csv(snapshot: CapacitySnapshot, hxl: bool = False) -> bytes:
    cols = columns()
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(column.header) for column in cols])
    if hxl:
        writer.writerow([column.hxl for column in cols])
    for row in kcio_rows(snapshot):
        writer.writerow([_text_value(column, row[column.key]) for column in cols])
    return buffer.getvalue().encode("utf-8")


def _capacity_json(capacity: Capacity) -> dict[str, Any]:
    return {name: getattr(capacity, name) for name in NUMBERS}


def _terms_json(capacity: Capacity) -> dict[str, Any]:
    terms = national_terms(capacity)
    rate = terms["occupancy_rate"]
    terms["occupancy_rate"] = None if rate is None else str(rate)
    return terms


def render_json(snapshot: CapacitySnapshot) -> bytes:
    """Machine-readable: codes (not labels) for kind and status, ISO dates, the occupancy rate as a
    decimal string ("98.9", a percentage) so no float rounding creeps in."""
    totals = kcio_totals(snapshot)
    locations = []
    for row in kcio_rows(snapshot):
        item = {key: value for key, value in row.items() if key not in ("as_of", "region_code", "region_name")}
        item["end_date"] = item["end_date"].isoformat() if item["end_date"] else None
        locations.append(item)
    document = {
        "region": {"code": snapshot.region.code, "name": snapshot.region.name},
        "as_of": snapshot.as_of.isoformat(),
        "taken_at": snapshot.taken_at.isoformat(),
        "locations": locations,
        "municipalities": [
            {"cbs_code": m.cbs_code, "name": m.name, "location_count": m.location_count,
             **_capacity_json(m.capacity), "national_terms": _terms_json(m.capacity)}
            for m in totals.municipalities
        ],
        "totals": {"location_count": totals.location_count, **_capacity_json(totals.region)},
        "national_terms": _terms_json(totals.region),
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == BOOL:
        return _("ja") if value else _("nee")
    if column.kind in (DATE, INT):
        return value
    return spreadsheet_safe(_label(column.key, value))


def _bold_header(ws: Any) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"


def _force_text(ws: Any) -> None:
    # openpyxl writes any string starting with "=" as a formula; the quoted text no longer starts
    # with it, and a text cell type makes sure nothing else is read as one either.
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "DD-MM-YYYY"


def render_xlsx(snapshot: CapacitySnapshot) -> bytes:
    cols = columns()
    workbook = Workbook()
    ws = workbook.active
    ws.title = "Locaties"
    ws.append([str(column.header) for column in cols])
    for row in kcio_rows(snapshot):
        ws.append([_xlsx_value(column, row[column.key]) for column in cols])
    _bold_header(ws)
    _force_text(ws)

    totals = kcio_totals(snapshot)
    ws_totals = workbook.create_sheet("Totalen")
    number_headers = [str(column.header) for column in cols if column.key in NUMBERS]
    ws_totals.append([_("Niveau"), _("CBS-code gemeente"), _("Naam"), _("Locaties"), *number_headers,
                      _("Bezettingsgraad (%)")])

    def total_row(level: str, code: str, name: str, count: int, capacity: Capacity) -> list[Any]:
        rate = capacity.occupancy_rate
        return [level, code, spreadsheet_safe(name), count, *(getattr(capacity, n) for n in NUMBERS),
                rate]

    for m in totals.municipalities:
        ws_totals.append(total_row(_("Gemeente"), m.cbs_code, m.name, m.location_count, m.capacity))
    ws_totals.append(total_row(_("Regio"), "", snapshot.region.name, totals.location_count, totals.region))
    _bold_header(ws_totals)
    _force_text(ws_totals)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS = {"csv": "text/csv", "json": "application/json",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def render(snapshot: CapacitySnapshot, fmt: str, *, hxl: bool = False) -> bytes:
    if fmt == "csv":
        return render_csv(snapshot, hxl=hxl)
    if fmt == "json":
        return render_json(snapshot)
    if fmt == "xlsx":
        return render_xlsx(snapshot)
    raise ValueError(fmt)
