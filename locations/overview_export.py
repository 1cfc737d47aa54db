"""Export of the capacity overview (issue 9, point 14): exactly the figures the overview page shows
for the same filters — a row per municipality, a row per location below it, and the total — as
XLSX or as CSV the way Dutch Excel opens it (UTF-8 with BOM, ';', decimal commas).

The figures come from `build_overview`, the same function the page uses, so the file cannot drift
from the page; scoping is therefore the page's (a gemeente user gets its own municipality only)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .importing import _csv_safe
from .selectors import Capacity, Overview, OverviewFilters

if TYPE_CHECKING:
    from .models import Location

FORMATS = ("xlsx", "csv")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

# Text columns first (quoted against formulas), then the figures in the page's order.
TEXT_COLUMNS = 8
FIGURES = ("realised", "occupied", "available", "snijverlies", "out_of_service", "occupancy_rate",
           "largest_free_room")


def filters_from_form(data: dict[str, Any]) -> OverviewFilters:
    """The OverviewFilters of a valid OverviewFilterForm, as the overview page builds them."""
    return OverviewFilters(
        municipality=data["municipality"].pk if data["municipality"] else None,
        suitable_infants=data["suitable_infants"], suitable_pets=data["suitable_pets"],
        suitable_wheelchair=data["suitable_wheelchair"], suitable_care=data["suitable_care"],
        intake_24_7=data["intake_24_7"], min_free_in_room=data["min_free_in_room"],
        ending_within_months=data["ending_within_months"], status=data["status"] or None,
        search=data["q"].strip(), sort=data["sort"] or "municipality",
    )


def headers() -> list[str]:
    return [_("Niveau"), _("Gemeente"), _("Locatie"), _("Code"), _("Plaats"), _("Soort"), _("Status"),
            _("Einddatum"), _("Gerealiseerd"), _("Bezet"), _("Beschikbaar"), _("Snijverlies"),
            _("Buiten gebruik"), _("Bezettingsgraad (%)"), _("Max. vrije bedden in één kamer")]


def _figures(capacity: Capacity) -> list[Any]:
    return [getattr(capacity, name) for name in FIGURES]


def _location_row(municipality: str, location: Location) -> list[Any]:
    return [_("Locatie"), municipality, location.name, location.code, location.place,
            location.get_kind_display(), location.get_status_display(), location.end_date,
            *_figures(location.capacity)]


def rows(overview: Overview) -> list[list[Any]]:
    """The overview as rows: per municipality its subtotal, then its locations; last the total."""
    out: list[list[Any]] = []
    for row in overview.municipalities:
        name = row.municipality.name
        out.append([_("Gemeente"), name, "", "", "", "", "", None, *_figures(row.capacity)])
        out.extend(_location_row(name, location) for location in row.locations)
    if overview.municipalities:
        out.append([_("Totaal"), "", "", "", "", "", "", None, *_figures(overview.total)])
    return out


def export_csv(overview: Overview) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers())
    for values in rows(overview):
        cells: list[str] = [_csv_safe(value) for value in values[:TEXT_COLUMNS - 1]]
        end_date = values[TEXT_COLUMNS - 1]
        cells.append(end_date.strftime("%d-%m-%Y") if isinstance(end_date, dt.date) else "")
        for value in values[TEXT_COLUMNS:]:
            if value is None:
                cells.append("")
            elif isinstance(value, Decimal):
                cells.append(str(value).replace(".", ","))
            else:
                cells.append(str(value))
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_xlsx(overview: Overview) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = _("Capaciteit")
    ws.append(headers())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in rows(overview):
        cells: list[Any] = [_csv_safe(value) for value in values[:TEXT_COLUMNS - 1]]
        cells.append(values[TEXT_COLUMNS - 1])
        cells.extend(float(v) if isinstance(v, Decimal) else v for v in values[TEXT_COLUMNS:])
        ws.append(cells)
    for row in ws.iter_rows(min_row=2, min_col=TEXT_COLUMNS, max_col=TEXT_COLUMNS):
        for cell in row:
            cell.number_format = "DD-MM-YYYY"
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMNO", (10, 22, 30, 12, 18, 18, 16, 12, 13, 8, 12, 12, 15, 18, 16),
                             strict=True):
        ws.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
