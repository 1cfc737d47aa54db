"""The declaration of one period as a document: PDF (WeasyPrint, Dutch) and XLSX (openpyxl).

Both render a `reporting.costs.Declaration` (the figures, read once) and nothing else, so the PDF
and the spreadsheet of one build always agree. Slow: call outside transactions.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from locations.importing import _csv_safe as spreadsheet_safe

from .costs import Declaration

EURO = '"€" #,##0.00;"€" -#,##0.00'


def declaration_filename(data: Declaration, kind: str) -> str:
    return f"declaratie-{data.region_code}-{data.start.isoformat()}-{data.end.isoformat()}.{kind}"


def declaration_pdf(data: Declaration) -> bytes:
    from weasyprint import HTML

    html = render_to_string("reporting/declaration_pdf.html", {"d": data, "generated_at": timezone.localtime()})
    return HTML(string=html).write_pdf()


def _sheet(workbook: Workbook, title: str, header: list[str], rows: list[list[Any]], *, first: bool = False) -> Any:
    ws = workbook.active if first else workbook.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for row in rows:
        ws.append([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula (see reporting/kcio.py)
            elif isinstance(cell.value, Decimal):
                cell.number_format = EURO
            elif isinstance(cell.value, dt.date):
                cell.number_format = "DD-MM-YYYY"
    for column in ws.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    return ws


def declaration_xlsx(data: Declaration) -> bytes:
    """Sheets: Samenvatting, Begrotingsposten, Categorieën, Kosten, Verdeling. Amounts are numeric
    cells (Decimal, two decimals, euro format), so a reader can add them up again."""
    workbook = Workbook()
    basis = _("incl. btw") if data.basis == "incl" else _("excl. btw")
    _sheet(workbook, _("Samenvatting"), [_("Onderdeel"), _("Waarde")], [
        [_("Regio"), data.region_name],
        [_("Periode"), data.label],
        [_("Begin"), data.start],
        [_("Einde"), data.end],
        [_("Uiterste indiendatum"), data.deadline],
        [_("Status"), data.status_label],
        [_("Bedragen tellen"), basis],
        [_("Totaal excl. btw"), data.total_excl_vat],
        [_("Totaal incl. btw"), data.total_incl_vat],
        [_("Declarabel"), data.total_declarable],
        [_("Niet declarabel"), data.total_non_declarable],
        *[[_("Let op"), message] for message in data.missing],
    ], first=True)
    _sheet(workbook, _("Begrotingsposten"),
           [_("Begrotingspost"), _("Begroot (jaar)"), _("Besteed in periode"), _("Declarabel"), _("Niet declarabel"),
            _("Besteed in jaar t/m einde periode"), _("Resterend")],
           [[x.name, x.budget, x.spent_in_period, x.declarable, x.non_declarable, x.spent_in_year, x.remaining]
            for x in data.lines])
    _sheet(workbook, _("Categorieën"),
           [_("Categorie"), _("Excl. btw"), _("Incl. btw"), _("Declarabel"), _("Niet declarabel")],
           [[c.label, c.excl_vat, c.incl_vat, c.declarable, c.non_declarable] for c in data.categories])
    _sheet(workbook, _("Kosten"),
           [_("Datum"), _("Begrotingspost"), _("Categorie"), _("Leverancier"), _("Omschrijving"), _("Factuurnummer"),
            _("Excl. btw"), _("Incl. btw"), _("Declarabel"), _("Reden niet declarabel")],
           [[e.date, e.line, e.category, e.supplier, e.description, e.invoice_reference, e.excl_vat, e.incl_vat,
             _("ja") if e.declarable else _("nee"), e.reason] for e in data.entries])
    split_rows: list[list[Any]] = [[r.cbs_code, r.name, r.population, r.share] for r in data.split.rows]
    if data.split.rows:
        split_rows.append(["", _("Totaal"), data.split.population_total, sum((r.share for r in data.split.rows),
                                                                             Decimal("0.00"))])
    else:
        split_rows.append(["", data.split.missing, None, None])
    _sheet(workbook, _("Verdeling"),
           [_("CBS-code"), _("Gemeente"), _("Inwoners 1 januari %(year)s") % {"year": data.split.year},
            _("Aandeel niet-declarabele kosten")], split_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
