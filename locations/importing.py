"""Import and export of locations and rooms in one documented template (XLSX, or CSV per sheet).

The template has a sheet "Locaties" (one row per location, recognised by its locatiecode) and a
sheet "Kamers" (one row per room, recognised by locatiecode + kamernummer); the export adds a
sheet "Toelichting" that documents every column. A row describes the whole of what the template
holds about that object: an existing location or room is brought in line with the row, a new
one is added. Nothing is ever deleted, and rooms or locations that are not in the file are left
alone; occupancy and blockades are not part of the template and never change through an import.

An import is all-or-nothing. `build_plan` parses and validates every row and reports every error
(sheet, row as Excel shows it, column letter and header, a Dutch message) without writing;
`import_apply` validates again inside one transaction, with the rows involved locked, and writes
through the registry services so that history records the user and the file. The column headers
and choice values are a file format: they stay Dutch whatever the UI language, so that a file
exported by one user can be imported by any other.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from rcvs.errors import ApplicationError, PermissionDenied

from .models import POSTCODE_RE, Location, LocationKind, LocationStatus, Municipality, Room, RoomOccupancy
from .selectors import editable_municipality_qs_for, location_qs_for
from .services import (
    LOCATION_CODE_TAKEN,
    RegistryValidationError,
    location_create,
    location_update,
    normalise_postcode,
    room_create,
    room_update,
)

if TYPE_CHECKING:
    from rcvs.accounts.models import User

SHEET_LOCATIONS = "Locaties"
SHEET_ROOMS = "Kamers"
SHEET_NOTES = "Toelichting"
SHEET_ORDER = {SHEET_LOCATIONS: 0, SHEET_ROOMS: 1}

# Limits that keep a bad or hostile upload from exhausting memory or a worker: a region's whole
# registry (some 75 locations, a few thousand rooms) is well under 1 MB as XLSX. Bytes are not
# enough: a 10 KB XLSX can declare twelve million rows, which openpyxl fills in one by one. So
# the declared size of a sheet is checked before reading it, every row read counts against the
# cap (empty ones too), and a row's width is bounded; the work is then bounded whatever the file.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_ARCHIVE_MEMBERS = 500
MAX_ROWS_PER_SHEET = 10_000
# Past the row cap only empty rows may follow (Excel keeps formatted empty rows below the data),
# and only this many; the first non-empty row past the cap rejects the file.
MAX_TRAILING_EMPTY_ROWS = 50
# The template has 24 columns; cells further right are never read.
MAX_COLUMNS = 64
# What openpyxl parses cell by cell or item by item (some 10 µs each), counted in the archive
# before it starts: a 6 KB sheet can hold 300,000 empty cells in one row. The template's 10,000
# rows of 24 columns fit in the cell cap.
MAX_SHEET_CELLS = 250_000
MAX_SHARED_STRING_TAGS = 200_000
# Styles, workbook, relationships and the like: small in any real file, parsed whole at load.
MAX_XML_PART_BYTES = 2 * 1024 * 1024
# One CSV record (all its cells together); a template row is a few hundred characters.
MAX_CSV_RECORD_CHARS = 32 * 1024

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

ADD, CHANGE, UNCHANGED = "add", "change", "unchanged"

# Characters that make a spreadsheet treat a text cell as a formula ("CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_DATE_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_WHOLE_NUMBER = re.compile(r"^[-+]?\d+(?:[.,]0+)?$")
_TRUE = {"ja", "j", "1", "true", "waar", "x", "yes", "y"}
_FALSE = {"nee", "n", "0", "false", "onwaar", "no"}
_COORDINATE_STEP = Decimal("0.00001")  # Location.latitude/longitude keep 5 decimals (about 1 m)

# The template's words for room use; the model's labels are longer than anyone wants to type.
ROOM_OCCUPANCY_WORDS = {RoomOccupancy.HOUSEHOLD: "huishouden", RoomOccupancy.SHARED: "gedeeld"}


# --- errors and plan ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportIssue:
    """One problem in the file. `row` is the row number Excel shows (the header is row 1); a
    problem with the file as a whole has no row, one with a whole row has no column."""

    sheet: str
    row: int | None
    column: str
    header: str
    message: str
    column_index: int = 0

    def sort_key(self) -> tuple[int, int, int]:
        return (SHEET_ORDER.get(self.sheet, -1), self.row or 0, self.column_index)


@dataclass(frozen=True)
class FieldChange:
    field: str
    header: str
    old: str
    new: str


@dataclass
class PlannedRow:
    sheet: str
    row: int
    action: str
    key: str
    values: dict[str, Any]
    changes: list[FieldChange] = field(default_factory=list)
    instance: Location | Room | None = None
    # Rooms only: the location's code, and the location itself when it exists already.
    location_code: str = ""
    location: Location | None = None


@dataclass
class ImportPlan:
    filename: str
    locations: list[PlannedRow] = field(default_factory=list)
    rooms: list[PlannedRow] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def _count(self, rows: list[PlannedRow], action: str) -> int:
        return sum(1 for row in rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "locations_added": self._count(self.locations, ADD),
            "locations_changed": self._count(self.locations, CHANGE),
            "locations_unchanged": self._count(self.locations, UNCHANGED),
            "rooms_added": self._count(self.rooms, ADD),
            "rooms_changed": self._count(self.rooms, CHANGE),
            "rooms_unchanged": self._count(self.rooms, UNCHANGED),
        }

    @property
    def has_changes(self) -> bool:
        counts = self.counts
        return any(counts[key] for key in ("locations_added", "locations_changed", "rooms_added", "rooms_changed"))

    @property
    def changed_rows(self) -> list[PlannedRow]:
        return [row for row in [*self.locations, *self.rooms] if row.action != UNCHANGED]

    def summary(self, *, done: bool = False) -> str:
        """"2 locaties toevoegen, 1 locatie wijzigen, …" (or "toegevoegd, gewijzigd" once done)."""
        c = self.counts
        if done:
            parts = [
                ngettext("%(n)s locatie toegevoegd", "%(n)s locaties toegevoegd", c["locations_added"]),
                ngettext("%(n)s locatie gewijzigd", "%(n)s locaties gewijzigd", c["locations_changed"]),
                ngettext("%(n)s kamer toegevoegd", "%(n)s kamers toegevoegd", c["rooms_added"]),
                ngettext("%(n)s kamer gewijzigd", "%(n)s kamers gewijzigd", c["rooms_changed"]),
            ]
        else:
            parts = [
                ngettext("%(n)s locatie toevoegen", "%(n)s locaties toevoegen", c["locations_added"]),
                ngettext("%(n)s locatie wijzigen", "%(n)s locaties wijzigen", c["locations_changed"]),
                ngettext("%(n)s kamer toevoegen", "%(n)s kamers toevoegen", c["rooms_added"]),
                ngettext("%(n)s kamer wijzigen", "%(n)s kamers wijzigen", c["rooms_changed"]),
            ]
        numbers = [c["locations_added"], c["locations_changed"], c["rooms_added"], c["rooms_changed"]]
        text = ", ".join(part % {"n": n} for part, n in zip(parts, numbers, strict=True))
        unchanged = c["locations_unchanged"] + c["rooms_unchanged"]
        return text + "; " + ngettext("%(n)s regel ongewijzigd", "%(n)s regels ongewijzigd", unchanged) % {
            "n": unchanged
        }


class ImportRejected(ApplicationError):
    """The file has errors (or the database refused a row while applying): nothing was written."""

    def __init__(self, plan: ImportPlan):
        super().__init__(
            ngettext("Het bestand bevat %(n)s fout; er is niets geïmporteerd.",
                     "Het bestand bevat %(n)s fouten; er is niets geïmporteerd.", len(plan.errors))
            % {"n": len(plan.errors)},
            code="import_rejected",
            extra={"errors": [asdict(issue) for issue in plan.errors]},
        )
        self.plan = plan


class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Unreadable(Exception):
    """Reading stops: the file as a whole is refused with this one issue."""

    def __init__(self, issue: ImportIssue):
        super().__init__(issue.message)
        self.issue = issue


@dataclass(frozen=True)
class FormulaCell:
    """An XLSX cell that holds a formula. Its cached value (what Excel last showed) is not what
    the user typed and may be stale or hostile (=HYPERLINK(...) shows its label), so the import
    refuses the cell rather than take either the formula or the value."""

    formula: str

    def shown(self) -> str:
        return self.formula if len(self.formula) <= 60 else self.formula[:57] + "..."


class CsvText(str):
    """A CSV cell as found in the file, not quoted by our export. A spreadsheet runs such text as a
    formula when it starts with one of the formula characters; see `_looks_like_formula`."""


_SIGNED_NUMBER = re.compile(r"^[+-][\d\s.,]*$")


def _looks_like_formula(text: str) -> bool:
    """Text a spreadsheet would evaluate: '=...', '@...', and '+'/'-' followed by anything but a
    plain number (so a floor of -1 or a room called +12 still reads as what it is)."""
    if not text:
        return False
    if text[0] in "=@":
        return True
    return text[0] in "+-" and not _SIGNED_NUMBER.match(text)


# --- cell values: parse what a user may type, format what we write ------------------------------

def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _shown(raw: Any) -> str:
    """The value as the user typed it, for messages."""
    if isinstance(raw, dt.datetime):
        return raw.strftime("%d-%m-%Y")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def parse_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, (dt.datetime, dt.date, dt.time)):
        # Excel turns "1-2" into a date when the cell is not formatted as text.
        raise CellError(_("Excel heeft deze waarde als datum opgeslagen; maak de cel van het type tekst "
                          "en typ de waarde opnieuw."))
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_code(raw: Any) -> str:
    return parse_text(raw).upper()


def parse_bool(raw: Any) -> bool:
    if _is_blank(raw):
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(_("Vul ja of nee in, niet '%(value)s'.") % {"value": _shown(raw)})


def parse_date(raw: Any) -> dt.date | None:
    if _is_blank(raw):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip() if isinstance(raw, str) else ""
    for pattern, order in ((_DATE_DMY, "dmy"), (_DATE_YMD, "ymd")):
        match = pattern.match(text)
        if match:
            a, b, c = (int(part) for part in match.groups())
            day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise CellError(_("'%(value)s' is geen geldige datum; gebruik dd-mm-jjjj, bijvoorbeeld 01-03-2025.")
                    % {"value": _shown(raw)})


def _parse_whole_number(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw.is_integer():
            return int(raw)
        raise ValueError
    text = str(raw).strip()
    if not _WHOLE_NUMBER.match(text):
        raise ValueError
    return int(re.split(r"[.,]", text)[0])


def int_parser(minimum: int, maximum: int | None, message: str | Any, default: int = 0
               ) -> Callable[[Any], int]:
    def parse(raw: Any) -> int:
        if _is_blank(raw):
            return default
        try:
            value = _parse_whole_number(raw)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise CellError(str(message) % {"value": _shown(raw)})
        return value

    return parse


def coordinate_parser(limit: int, message: str | Any) -> Callable[[Any], Decimal | None]:
    def parse(raw: Any) -> Decimal | None:
        if _is_blank(raw):
            return None
        if isinstance(raw, bool):
            raise CellError(_("'%(value)s' is geen getal.") % {"value": _shown(raw)})
        try:
            text = repr(raw) if isinstance(raw, float) else str(raw).strip().replace(",", ".")
            value = Decimal(text)
        except InvalidOperation:
            raise CellError(_("'%(value)s' is geen getal; gebruik bijvoorbeeld 52,99123.")
                            % {"value": _shown(raw)}) from None
        if not value.is_finite() or not -limit <= value <= limit:
            raise CellError(str(message) % {"value": _shown(raw)})
        return value.quantize(_COORDINATE_STEP, rounding=ROUND_HALF_UP)

    return parse


def _choice_words(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every spelling accepted for a choice: the code, the Dutch label, the label in the active
    language and (for room use) the template's short word; all case-insensitive."""
    words: dict[str, str] = {}
    for value, label in choices.choices:
        words[value.lower()] = value
        words[str(label).lower()] = value
        with translation.override("nl"):
            words[str(label).lower()] = value
        if value in ROOM_OCCUPANCY_WORDS:
            words[ROOM_OCCUPANCY_WORDS[value]] = value
    return words


def choice_display(choices: type[models.TextChoices], value: str) -> str:
    if value in ROOM_OCCUPANCY_WORDS:
        return ROOM_OCCUPANCY_WORDS[value]
    with translation.override("nl"):
        return str(choices(value).label)


def choice_parser(choices: type[models.TextChoices], message: str | Any) -> Callable[[Any], str]:
    def parse(raw: Any) -> str:
        text = " ".join(parse_text(raw).lower().split())
        words = _choice_words(choices)
        if text not in words:
            allowed = ", ".join(choice_display(choices, value) for value in choices.values)
            raise CellError(str(message) % {"value": _shown(raw), "allowed": allowed})
        return words[text]

    return parse


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d-%m-%Y") if value else ""


def format_decimal(value: Decimal | None) -> str:
    # Comma decimals: a CSV with ";" is what Dutch Excel writes and reads.
    return format(value.normalize(), "f").replace(".", ",") if value is not None else ""


# --- the template -------------------------------------------------------------------------------

TEXT, CODE, INT, COORDINATE, DATE, BOOL, CHOICE, MUNICIPALITY, POSTCODE = (
    "text", "code", "int", "coordinate", "date", "bool", "choice", "municipality", "postcode")


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str
    description: Any
    example: str
    required: bool = False
    parse: Callable[[Any], Any] = parse_text
    choices: type[models.TextChoices] | None = None
    allowed: Any = ""

    def cell(self, value: Any, *, for_csv: bool) -> Any:
        """The value as it goes into the file (and is shown in the preview, with for_csv=True)."""
        if self.kind == BOOL:
            return "ja" if value else "nee"
        if self.kind == CHOICE and self.choices is not None:
            return choice_display(self.choices, value)
        if self.kind == MUNICIPALITY:
            return value.cbs_code if value is not None else ""
        if self.kind == DATE:
            return format_date(value) if for_csv else value
        if self.kind == COORDINATE:
            return format_decimal(value) if for_csv else value
        if value is None:
            return ""
        return value


def _bool_column(field_name: str, header: str, description: Any, example: str = "ja") -> Column:
    return Column(field_name, header, BOOL, description, example, parse=parse_bool,
                  allowed=gettext_lazy("ja of nee (ook 1/0, waar/onwaar, x; leeg is nee)"))


LOCATION_COLUMNS: tuple[Column, ...] = (
    Column("code", "locatiecode", CODE, gettext_lazy("Vaste code van de locatie; zo herkent de import een "
                                                     "bestaande locatie."), "ASS-003", required=True,
           parse=parse_code, allowed=gettext_lazy("hoofdletters, cijfers en '-', maximaal 20 tekens")),
    Column("name", "naam", TEXT, gettext_lazy("Naam van de locatie."), "De Vlinder", required=True),
    Column("municipality", "gemeente", MUNICIPALITY,
           gettext_lazy("Gemeente van de locatie: CBS-code of naam. Alleen gemeenten waarvan u locaties "
                        "beheert."), "GM0106", required=True,
           allowed=gettext_lazy("CBS-code (GM gevolgd door 4 cijfers) of gemeentenaam")),
    Column("street", "straat", TEXT, gettext_lazy("Straat en huisnummer."), "Stationsstraat 12", required=True),
    Column("postcode", "postcode", POSTCODE, gettext_lazy("Postcode."), "9401 AB", required=True,
           allowed=gettext_lazy("4 cijfers en 2 letters")),
    Column("place", "plaats", TEXT, gettext_lazy("Woonplaats."), "Assen", required=True),
    Column("latitude", "breedtegraad", COORDINATE,
           gettext_lazy("Breedtegraad in decimale graden; samen met de lengtegraad of beide leeg."), "52,99123",
           parse=coordinate_parser(90, gettext_lazy("De breedtegraad moet tussen -90 en 90 liggen, niet "
                                                    "'%(value)s'.")),
           allowed=gettext_lazy("getal van -90 tot 90, maximaal 5 decimalen")),
    Column("longitude", "lengtegraad", COORDINATE,
           gettext_lazy("Lengtegraad in decimale graden; samen met de breedtegraad of beide leeg."), "6,56418",
           parse=coordinate_parser(180, gettext_lazy("De lengtegraad moet tussen -180 en 180 liggen, niet "
                                                     "'%(value)s'.")),
           allowed=gettext_lazy("getal van -180 tot 180, maximaal 5 decimalen")),
    Column("kind", "soort", CHOICE, gettext_lazy("Soort opvang."), "GOO", required=True, choices=LocationKind,
           parse=choice_parser(LocationKind, gettext_lazy("Onbekende soort '%(value)s'. Kies uit: %(allowed)s."))),
    Column("status", "status", CHOICE, gettext_lazy("Status; alleen de bedden van open en sluitende locaties "
                                                    "tellen als gerealiseerd."), "Open", required=True,
           choices=LocationStatus,
           parse=choice_parser(LocationStatus, gettext_lazy("Onbekende status '%(value)s'. Kies uit: "
                                                            "%(allowed)s."))),
    Column("opening_date", "openingsdatum", DATE, gettext_lazy("Datum van opening."), "01-03-2025",
           parse=parse_date, allowed=gettext_lazy("datum: dd-mm-jjjj, jjjj-mm-dd of een Excel-datum")),
    Column("end_date", "einddatum", DATE, gettext_lazy("Datum waarop de locatie sluit; niet voor de "
                                                       "openingsdatum."), "31-12-2026",
           parse=parse_date, allowed=gettext_lazy("datum: dd-mm-jjjj, jjjj-mm-dd of een Excel-datum")),
    _bool_column("suitable_infants", "zuigelingen", gettext_lazy("Geschikt voor zuigelingen.")),
    _bool_column("suitable_pets", "huisdieren", gettext_lazy("Geschikt voor huisdieren."), "nee"),
    _bool_column("suitable_wheelchair", "rolstoel", gettext_lazy("Geschikt voor rolstoelgebruikers."), "nee"),
    _bool_column("suitable_care", "zorg", gettext_lazy("Geschikt voor bewoners met een zorgbehoefte."), "nee"),
    _bool_column("has_stairs", "traplopen", gettext_lazy("Bewoners moeten traplopen.")),
    _bool_column("has_bunk_beds", "stapelbedden", gettext_lazy("De locatie heeft stapelbedden."), "nee"),
    _bool_column("is_remote", "afgelegen", gettext_lazy("Afgelegen: bewoners hebben eigen vervoer nodig."),
                 "nee"),
    _bool_column("intake_24_7", "24/7 intake", gettext_lazy("Kan dag en nacht mensen opnemen."), "nee"),
    _bool_column("target_families", "gezinnen", gettext_lazy("Doelgroep gezinnen.")),
    _bool_column("target_singles", "alleenreizenden", gettext_lazy("Doelgroep alleenreizenden.")),
    _bool_column("target_single_men", "alleenstaande mannen",
                 gettext_lazy("Doelgroep alleenstaande mannen."), "nee"),
    Column("notes", "opmerkingen", TEXT, gettext_lazy("Vrije opmerkingen; geen persoonsgegevens."),
           "Ingang aan de achterkant"),
)

ROOM_COLUMNS: tuple[Column, ...] = (
    Column("location", "locatiecode", CODE, gettext_lazy("Locatiecode van een locatie in het blad Locaties "
                                                         "of een bestaande locatie die u beheert."),
           "ASS-003", required=True, parse=parse_code),
    Column("number", "kamernummer", TEXT, gettext_lazy("Kamernummer, uniek binnen de locatie; zo herkent de "
                                                       "import een bestaande kamer. Maak de kolom van het "
                                                       "type tekst, anders maakt Excel van 01 het getal 1."),
           "1.04", required=True),
    Column("floor", "verdieping", INT, gettext_lazy("Verdieping: 0 is de begane grond; leeg is 0."), "1",
           parse=int_parser(-2, 40, gettext_lazy("De verdieping moet een heel getal van -2 tot en met 40 zijn, "
                                                 "niet '%(value)s'.")),
           allowed=gettext_lazy("heel getal van -2 tot en met 40")),
    Column("beds", "bedden", INT, gettext_lazy("Aantal bedden in de kamer; niet minder dan het aantal "
                                               "bewoners nu."), "4", required=True,
           parse=int_parser(1, 6, gettext_lazy("Het aantal bedden moet een heel getal van 1 tot en met 6 zijn, "
                                               "niet '%(value)s'.")),
           allowed=gettext_lazy("heel getal van 1 tot en met 6")),
    Column("bunk_beds", "stapelbedden", INT, gettext_lazy("Hoeveel van de bedden stapelbedden zijn; leeg is 0."),
           "2", parse=int_parser(0, None, gettext_lazy("Het aantal stapelbedden moet een heel getal van 0 of "
                                                       "meer zijn, niet '%(value)s'.")),
           allowed=gettext_lazy("heel getal, niet meer dan het aantal bedden")),
    _bool_column("step_free", "zonder trap", gettext_lazy("Bereikbaar zonder trap."), "nee"),
    _bool_column("wheelchair_accessible", "rolstoel", gettext_lazy("Rolstoeltoegankelijk."), "nee"),
    Column("occupancy", "gebruik", CHOICE, gettext_lazy("Voor één huishouden, of gedeeld door "
                                                        "alleenreizenden."), "huishouden", required=True,
           choices=RoomOccupancy,
           parse=choice_parser(RoomOccupancy, gettext_lazy("Onbekend gebruik '%(value)s'. Kies uit: "
                                                           "%(allowed)s."))),
)

SHEET_COLUMNS: dict[str, tuple[Column, ...]] = {SHEET_LOCATIONS: LOCATION_COLUMNS, SHEET_ROOMS: ROOM_COLUMNS}


def _header_key(text: str) -> str:
    return " ".join(text.lower().split())


def _column_for_field(columns: tuple[Column, ...], field_name: str) -> Column | None:
    return next((column for column in columns if column.field == field_name), None)


def _allowed_text(column: Column) -> str:
    if column.choices is not None:
        return ", ".join(choice_display(column.choices, value) for value in column.choices.values)
    return str(column.allowed) if column.allowed else _("tekst")


# --- reading a file -----------------------------------------------------------------------------

@dataclass
class SheetRow:
    number: int
    cells: dict[str, Any]


@dataclass
class Sheet:
    name: str
    columns: tuple[Column, ...]
    positions: dict[str, int] = field(default_factory=dict)
    rows: list[SheetRow] = field(default_factory=list)

    def issue(self, row: int | None, column: Column | None, message: str) -> ImportIssue:
        if column is None or column.header not in self.positions:
            return ImportIssue(self.name, row, "", column.header if column else "", message)
        index = self.positions[column.header]
        return ImportIssue(self.name, row, get_column_letter(index + 1), column.header, message, index + 1)


def _n(number: int) -> str:
    """A count as a Dutch reader writes it: 12.000.000."""
    return f"{number:,}".replace(",", ".")


def _too_many_rows(name: str) -> str:
    return _("Het blad %(sheet)s heeft meer dan %(max)s regels onder de kopregel (lege regels tellen mee); "
             "splits het bestand.") % {"sheet": name, "max": _n(MAX_ROWS_PER_SHEET)}


def _formula_issue(name: str, row: int, index: int, header: str, formula: FormulaCell) -> ImportIssue:
    letter = get_column_letter(index + 1)
    return ImportIssue(name, row, letter, header, _(
        "Blad %(sheet)s, rij %(row)s, kolom %(column)s (cel %(cell)s) bevat een formule: %(formula)s. De import "
        "neemt geen formules over; vervang de formule door de waarde zelf (kopiëren en plakken als waarde).")
        % {"sheet": name, "row": row, "column": letter, "cell": f"{letter}{row}", "formula": formula.shown()},
        index + 1)


def _read_rows(name: str, rows: Iterator[Iterable[Any]], issues: list[ImportIssue]) -> Sheet | None:
    """Match the header row to the template and collect the non-empty rows below it.

    Every row read counts against MAX_ROWS_PER_SHEET, empty or not, so the work is bounded by the
    cap and not by what the file claims: below the cap empty rows are read through (a gap in the
    data loses nothing); past it only a short run of empty rows may follow, then reading stops."""
    columns = SHEET_COLUMNS[name]
    sheet = Sheet(name, columns)
    by_header = {column.header: column for column in columns}
    header = next(rows, None)
    header_ok = True
    for index, raw in enumerate(header or ()):
        if isinstance(raw, FormulaCell):
            issues.append(_formula_issue(name, 1, index, "", raw))
            header_ok = False
            continue
        text = str(raw).strip() if raw is not None else ""
        if not text:
            continue
        key = _header_key(text)
        letter = get_column_letter(index + 1)
        if key not in by_header:
            issues.append(ImportIssue(name, 1, letter, text, _("Onbekende kolom '%(header)s'. Gebruik de kolommen "
                                                               "van het sjabloon.") % {"header": text},
                                      index + 1))
            header_ok = False
        elif key in sheet.positions:
            issues.append(ImportIssue(name, 1, letter, text, _("De kolom '%(header)s' staat er twee keer in.")
                                      % {"header": text}, index + 1))
            header_ok = False
        else:
            sheet.positions[key] = index
    for column in columns:
        if column.header not in sheet.positions:
            issues.append(ImportIssue(name, 1, "", column.header, _("De kolom '%(header)s' ontbreekt in de "
                                                                    "kopregel (rij 1).")
                                      % {"header": column.header}))
            header_ok = False
    if not header_ok:
        # Without the right columns every row would be wrong in the same way; report the header only.
        return None
    empty_run = 0
    for number, values in enumerate(rows, start=2):
        values = tuple(values)
        cells = {key: (values[index] if index < len(values) else None) for key, index in sheet.positions.items()}
        blank = all(_is_blank(value) for value in cells.values())
        empty_run = empty_run + 1 if blank else 0
        if number > MAX_ROWS_PER_SHEET + 1:
            if not blank:
                issues.append(ImportIssue(name, number, "", "", _too_many_rows(name)))
                return None
            if empty_run >= MAX_TRAILING_EMPTY_ROWS:
                break
            continue
        if not blank:
            sheet.rows.append(SheetRow(number, cells))
    return sheet


def _file_issue(message: str) -> ImportIssue:
    return ImportIssue("", None, "", "", message)


def _cell_value(cell: Any) -> Any:
    if cell.data_type == "f":
        # openpyxl gives "=..." for a plain formula and an object with .text for an array formula.
        return FormulaCell(str(getattr(cell.value, "text", cell.value) or ""))
    return cell.value


def _xlsx_rows(worksheet: Any) -> Iterator[tuple[Any, ...]]:
    previous: Any = None
    values: tuple[Any, ...] = ()
    for row in worksheet.iter_rows(max_col=MAX_COLUMNS):
        # openpyxl fills a gap in the sheet with one and the same empty row: convert it once.
        if row is not previous:
            previous, values = row, tuple(_cell_value(cell) for cell in row)
        yield values


def _count_in_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: bytes) -> int:
    """How often `pattern` occurs in a member, unpacked a megabyte at a time."""
    count, tail = 0, b""
    with archive.open(info) as member:
        while chunk := member.read(2**20):
            data = tail + chunk
            count += data.count(pattern)
            tail = data[len(data) - len(pattern) + 1:]  # a match may span two chunks
    return count


def _check_archive(content: bytes) -> str | None:
    """Refuse a zip bomb on what the archive declares, before openpyxl unpacks anything. Python's
    zipfile never inflates a member beyond its declared size, so the declared sizes bound the
    real work; what openpyxl parses element by element is counted first (at most 60 MB to scan)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
        if len(members) > MAX_ARCHIVE_MEMBERS:
            return _("Het bestand bevat te veel onderdelen (%(n)s) om een Excel-bestand van het sjabloon te zijn.") % {
                "n": _n(len(members))}
        if sum(info.file_size for info in members) > MAX_UNPACKED_BYTES:
            return _("Het bestand is uitgepakt groter dan %(mb)s MB; dat is te groot om te importeren.") % {
                "mb": MAX_UNPACKED_BYTES // 2**20}
        too_complex = _("Het bestand is te ingewikkeld om te importeren (%(part)s). Gebruik het sjabloon, of "
                        "kopieer alleen de gegevens naar een nieuw bestand.")
        for info in members:
            name = info.filename.lower()
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                # Every "<c" is a cell (or a column definition): an upper bound that is cheap to count.
                if _count_in_member(archive, info, b"<c") > MAX_SHEET_CELLS:
                    return too_complex % {"part": _("meer dan %(n)s cellen in één blad") % {
                        "n": _n(MAX_SHEET_CELLS)}}
            elif name.endswith("sharedstrings.xml"):
                if _count_in_member(archive, info, b"<") > MAX_SHARED_STRING_TAGS:
                    return too_complex % {"part": _("te veel verschillende teksten")}
            elif name.endswith((".xml", ".rels")) and info.file_size > MAX_XML_PART_BYTES:
                return too_complex % {"part": info.filename[:80]}
    return None


def _read_xlsx(content: bytes, issues: list[ImportIssue]) -> dict[str, Sheet]:
    try:
        problem = _check_archive(content)
        if problem:
            issues.append(_file_issue(problem))
            return {}
        # data_only=False: a formula cell shows as a formula (data_type "f"), not as the value Excel
        # cached for it, so that it can be refused instead of imported silently.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds for a damaged file; the user needs one message
        issues.append(_file_issue(_("Dit bestand kan niet worden gelezen als Excel-bestand (.xlsx).")))
        return {}
    try:
        by_title = {ws.title.strip().lower(): ws for ws in workbook.worksheets}
        sheets: dict[str, Sheet] = {}
        for name in (SHEET_LOCATIONS, SHEET_ROOMS):
            worksheet = by_title.get(name.lower())
            if worksheet is None:
                continue
            declared = worksheet.max_row  # from the sheet's <dimension ref="A1:Z12000000"/>, if any
            if declared is not None and declared > MAX_ROWS_PER_SHEET + 1:
                issues.append(ImportIssue(name, None, "", "", _(
                    "Het blad %(sheet)s is volgens het bestand %(rows)s regels lang; er mogen hooguit %(max)s "
                    "regels onder de kopregel staan (lege regels met opmaak tellen mee). Verwijder de lege "
                    "regels onderaan of splits het bestand.")
                    % {"sheet": name, "rows": _n(declared), "max": _n(MAX_ROWS_PER_SHEET)}))
                continue
            # A declared size that is too small would make openpyxl skip rows; the caps above bound
            # the reading instead.
            worksheet.reset_dimensions()
            sheet = _read_rows(name, _xlsx_rows(worksheet), issues)
            if sheet is not None:
                sheets[name] = sheet
        if not any(name.lower() in by_title for name in (SHEET_LOCATIONS, SHEET_ROOMS)):
            issues.append(_file_issue(_("Het bestand heeft geen blad 'Locaties' of 'Kamers'. Gebruik het "
                                        "sjabloon.")))
        return sheets
    except Exception:  # a damaged sheet shows only when it is read
        issues.append(_file_issue(_("Dit bestand kan niet worden gelezen als Excel-bestand (.xlsx).")))
        return {}
    finally:
        workbook.close()


def _decode(content: bytes) -> str | None:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Dutch Excel saves "CSV (gescheiden door lijstscheidingsteken)" in Windows-1252.
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return None


def _csv_value(value: str) -> str:
    """Undo the quote the export puts before text that a spreadsheet would run as a formula; mark
    every other value as found in the file, so that unquoted formula text can be refused."""
    if value.startswith("'") and value[1:2] in _FORMULA_START and value[1:2]:
        return value[1:]
    return CsvText(value)


def _csv_records(text: str, delimiter: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            # The csv module refuses a cell over 128 KB and a few malformed quotings.
            raise _Unreadable(_file_issue(_("Regel %(line)s van dit CSV-bestand kan niet worden gelezen (een cel "
                                            "is te lang of een aanhalingsteken sluit niet).")
                                          % {"line": reader.line_num})) from None
        if sum(len(value) for value in record) > MAX_CSV_RECORD_CHARS:
            raise _Unreadable(_file_issue(_("Regel %(line)s van dit CSV-bestand is langer dan %(max)s tekens; dat "
                                            "past niet bij het sjabloon.")
                                          % {"line": reader.line_num, "max": _n(MAX_CSV_RECORD_CHARS)}))
        yield [_csv_value(value) for value in record]


def _read_csv(content: bytes, issues: list[ImportIssue]) -> dict[str, Sheet]:
    text = _decode(content)
    if text is None:
        issues.append(_file_issue(_("Dit CSV-bestand is niet in UTF-8 opgeslagen.")))
        return {}
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    # Records are read one by one, so the row cap bounds the work on a file of empty lines too.
    records = _csv_records(text, delimiter)
    try:
        header = next(records, None)
        if header is None:
            issues.append(_file_issue(_("Het bestand is leeg.")))
            return {}
        headers = {_header_key(value) for value in header}
        if "kamernummer" in headers:
            name = SHEET_ROOMS
        elif headers & {"naam", "straat", "gemeente"}:
            name = SHEET_LOCATIONS
        else:
            issues.append(_file_issue(_("De kopregel van dit CSV-bestand hoort niet bij het blad Locaties of "
                                        "Kamers. Gebruik de kolomnamen van het sjabloon.")))
            return {}
        sheet = _read_rows(name, itertools.chain([header], records), issues)
    except _Unreadable as exc:
        issues.append(exc.issue)
        return {}
    return {name: sheet} if sheet is not None else {}


def read_file(content: bytes, filename: str) -> tuple[dict[str, Sheet], list[ImportIssue]]:
    """Parse an upload into sheets. The content decides the format (an XLSX file is a zip
    archive); the name only helps to reject the old .xls format with a clear message."""
    issues: list[ImportIssue] = []
    if not content:
        return {}, [_file_issue(_("Het bestand is leeg."))]
    if len(content) > MAX_UPLOAD_BYTES:
        return {}, [_file_issue(_("Het bestand is groter dan %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})]
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return _read_xlsx(content, issues), issues
    if filename.lower().endswith((".xls", ".ods", ".xlsm")) or content[:4] == b"\xd0\xcf\x11\xe0":
        return {}, [_file_issue(_("Dit bestandsformaat wordt niet ondersteund; sla het bestand op als .xlsx of "
                                  ".csv."))]
    return _read_csv(content, issues), issues


# --- validation ---------------------------------------------------------------------------------

def user_can_import(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_gemeente or user.is_beheerder))


def _validation_issues(sheet: Sheet, row: SheetRow, error: ValidationError,
                       columns: tuple[Column, ...]) -> list[ImportIssue]:
    """Map a model ValidationError to the columns of the template; what belongs to no single
    column (a constraint over several fields) is reported for the whole row."""
    messages = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    issues = []
    for field_name, field_messages in messages.items():
        column = _column_for_field(columns, field_name)
        for message in field_messages:
            issues.append(sheet.issue(row.number, column, message))
    return issues


def _parse_row(sheet: Sheet, row: SheetRow) -> tuple[dict[str, Any], dict[str, ImportIssue]]:
    values: dict[str, Any] = {}
    problems: dict[str, ImportIssue] = {}
    for column in sheet.columns:
        raw = row.cells.get(column.header)
        if isinstance(raw, FormulaCell):
            problems[column.field] = _formula_issue(sheet.name, row.number, sheet.positions[column.header],
                                                    column.header, raw)
            continue
        if column.kind in (TEXT, CODE) and isinstance(raw, CsvText) and _looks_like_formula(raw.strip()):
            # A spreadsheet opening this text (here, or wherever the registry is exported to) would
            # run it. Our own export quotes such text with an apostrophe, which reads back fine.
            problems[column.field] = sheet.issue(row.number, column, _(
                "'%(value)s' begint met '%(char)s'; een spreadsheet voert dat uit als formule. Is het tekst, zet "
                "er dan een apostrof (') voor.") % {"value": raw.strip()[:60], "char": raw.strip()[0]})
            continue
        if column.required and _is_blank(raw):
            problems[column.field] = sheet.issue(row.number, column, _("Vul '%(header)s' in; deze kolom is "
                                                                       "verplicht.") % {"header": column.header})
            continue
        try:
            values[column.field] = column.parse(raw)
        except CellError as exc:
            problems[column.field] = sheet.issue(row.number, column, exc.message)
    return values, problems


def _display(column: Column, value: Any) -> str:
    if column.kind == MUNICIPALITY and value is not None:
        return f"{value.name} ({value.cbs_code})"
    shown = column.cell(value, for_csv=True)
    return str(shown) if shown not in ("", None) else _("(leeg)")


def _changes(columns: tuple[Column, ...], instance: models.Model, values: dict[str, Any]) -> list[FieldChange]:
    changes = []
    for column in columns:
        if column.field not in values or column.field == "location":
            continue
        old = getattr(instance, column.field)
        new = values[column.field]
        if old != new:
            changes.append(FieldChange(column.field, column.header, _display(column, old), _display(column, new)))
    return changes


class _Context:
    """What validation needs from the database, read once per plan (and locked when applying)."""

    def __init__(self, user: User, location_codes: set[str], lock: bool):
        self.municipalities = list(editable_municipality_qs_for(user))
        editable_ids = [m.pk for m in self.municipalities]
        self.by_cbs = {m.cbs_code.upper(): m for m in self.municipalities}
        self.by_name: dict[str, list[Municipality]] = {}
        for municipality in self.municipalities:
            self.by_name.setdefault(_header_key(municipality.name), []).append(municipality)
        self.taken_codes = set(Location.objects.filter(code__in=location_codes).values_list("code", flat=True))
        locations = Location.objects.filter(code__in=location_codes, municipality_id__in=editable_ids)
        if lock:
            # Lock parents before children, each in pk order, as every capacity change does. NO KEY
            # UPDATE: a placement being reserved meanwhile inserts rows that reference the location
            # (a KEY SHARE lock); a plain FOR UPDATE would block it while it holds the room this
            # import waits for, a deadlock.
            locations = locations.select_for_update(of=("self",), no_key=True).order_by("pk")
        self.locations = {loc.code: loc for loc in locations.select_related("municipality")}
        rooms = Room.objects.filter(location__in=list(self.locations.values()))
        if lock:
            rooms = rooms.select_for_update(of=("self",)).order_by("pk")
        self.rooms = {(room.location_id, room.number): room for room in rooms.select_related("location__municipality")}

    def municipality(self, text: str) -> Municipality | list[Municipality] | None:
        found = self.by_cbs.get(text.upper())
        if found is not None:
            return found
        matches = self.by_name.get(_header_key(text), [])
        if len(matches) == 1:
            return matches[0]
        return matches or None


def _plan_locations(plan: ImportPlan, sheet: Sheet, ctx: _Context) -> dict[str, PlannedRow | None]:
    """Validate the Locaties rows; return every code seen in the sheet (None if its row failed)."""
    seen: dict[str, int] = {}
    in_file: dict[str, PlannedRow | None] = {}
    column = {c.field: c for c in LOCATION_COLUMNS}
    for row in sheet.rows:
        values, problems = _parse_row(sheet, row)

        code = values.get("code", "")
        if code:
            if code in seen:
                problems.setdefault("code", sheet.issue(row.number, column["code"], _(
                    "Locatiecode '%(code)s' staat al in rij %(row)s.") % {"code": code, "row": seen[code]}))
            else:
                seen[code] = row.number
                in_file.setdefault(code, None)
            if code in ctx.taken_codes and code not in ctx.locations:
                # Codes are unique nationally (the KCIO knows a location by it), so a code can be
                # taken in another municipality or region. Say only that it is taken: where, and by
                # what, is none of this user's business (an importer sees only what it may edit).
                problems.setdefault("code", sheet.issue(row.number, column["code"], str(LOCATION_CODE_TAKEN)))

        if "municipality" in values:
            text = values["municipality"]
            found = ctx.municipality(text)
            if isinstance(found, Municipality):
                values["municipality"] = found
            elif found:
                problems["municipality"] = sheet.issue(row.number, column["municipality"], _(
                    "De gemeentenaam '%(value)s' is niet eenduidig; gebruik de CBS-code.") % {"value": text})
            else:
                problems["municipality"] = sheet.issue(row.number, column["municipality"], _(
                    "Onbekende gemeente '%(value)s'. Gebruik de CBS-code (zoals GM0106) of de naam van een "
                    "gemeente waarvan u locaties beheert.") % {"value": text})

        if "postcode" in values:
            postcode = normalise_postcode(values["postcode"])
            if re.match(POSTCODE_RE, postcode):
                values["postcode"] = postcode
            else:
                problems["postcode"] = sheet.issue(row.number, column["postcode"], _(
                    "'%(value)s' is geen geldige postcode; gebruik de vorm 1234 AB.") % {"value": values["postcode"]})

        if "latitude" in values and "longitude" in values and (values["latitude"] is None) != (
                values["longitude"] is None):
            missing = "latitude" if values["latitude"] is None else "longitude"
            problems[missing] = sheet.issue(row.number, column[missing], _(
                "Vul zowel de breedtegraad als de lengtegraad in, of geen van beide."))

        opening, end = values.get("opening_date"), values.get("end_date")
        if opening and end and end < opening:
            problems["end_date"] = sheet.issue(row.number, column["end_date"], _(
                "De einddatum (%(end)s) ligt voor de openingsdatum (%(opening)s).")
                % {"end": format_date(end), "opening": format_date(opening)})

        existing = ctx.locations.get(code) if code else None
        candidate = copy.copy(existing) if existing is not None else Location()
        for name, value in values.items():
            if name not in problems:
                setattr(candidate, name, value)
        row_issues = list(problems.values())
        try:
            # The model has the last word (lengths, code format, constraints); skip the fields
            # already reported so a user gets one message per cell.
            candidate.full_clean(exclude=list(problems))
        except ValidationError as exc:
            row_issues += _validation_issues(sheet, row, exc, LOCATION_COLUMNS)
        if row_issues:
            plan.errors.extend(row_issues)
            continue

        if existing is None:
            planned = PlannedRow(SHEET_LOCATIONS, row.number, ADD, f"{code} {values['name']}", values)
        else:
            changes = _changes(LOCATION_COLUMNS, existing, values)
            planned = PlannedRow(SHEET_LOCATIONS, row.number, CHANGE if changes else UNCHANGED,
                                 f"{code} {values['name']}", values, changes, existing)
        plan.locations.append(planned)
        in_file[code] = planned
    return in_file


def _plan_rooms(plan: ImportPlan, sheet: Sheet, ctx: _Context, in_file: dict[str, PlannedRow | None]) -> None:
    seen: dict[tuple[str, str], int] = {}
    column = {c.field: c for c in ROOM_COLUMNS}
    for row in sheet.rows:
        values, problems = _parse_row(sheet, row)
        code = values.pop("location", "")
        number = values.get("number", "")

        location: Location | None = None
        if code:
            if code in in_file:
                planned_location = in_file[code]
                location = planned_location.instance if planned_location is not None else None
            elif code in ctx.locations:
                location = ctx.locations[code]
            else:
                problems["location"] = sheet.issue(row.number, column["location"], _(
                    "Onbekende locatiecode '%(code)s': niet in het blad Locaties en niet bij de locaties die u "
                    "beheert.") % {"code": code})

        if code and number:
            if (code, number) in seen:
                problems.setdefault("number", sheet.issue(row.number, column["number"], _(
                    "Kamer '%(number)s' van locatie '%(code)s' staat al in rij %(row)s.")
                    % {"number": number, "code": code, "row": seen[(code, number)]}))
            else:
                seen[(code, number)] = row.number

        existing = ctx.rooms.get((location.pk, number)) if location is not None and location.pk else None
        beds, bunks = values.get("beds"), values.get("bunk_beds")
        if beds is not None and bunks is not None and bunks > beds:
            problems["bunk_beds"] = sheet.issue(row.number, column["bunk_beds"], _(
                "Er zijn meer stapelbedden (%(bunks)s) dan bedden (%(beds)s).") % {"bunks": bunks, "beds": beds})
        if existing is not None and beds is not None and beds < existing.occupants:
            problems["beds"] = sheet.issue(row.number, column["beds"], _(
                "Kamer '%(number)s' heeft %(n)s bewoners; het aantal bedden kan niet lager zijn dan %(n)s.")
                % {"number": number, "n": existing.occupants})

        candidate = copy.copy(existing) if existing is not None else Room()
        for name, value in values.items():
            if name not in problems:
                setattr(candidate, name, value)
        row_issues = list(problems.values())
        try:
            # The location is checked above (it may be a new one that has no primary key yet).
            # Room constraints are checked above in Python (beds 1-6, bunks within beds, beds not
            # below occupants, known room use; state and blockade are not in the template), and
            # the services check them again when writing: asking the database once per
            # constraint per room would make a region's preview take most of a minute.
            candidate.full_clean(exclude=["location", *problems], validate_constraints=False)
        except ValidationError as exc:
            row_issues += _validation_issues(sheet, row, exc, ROOM_COLUMNS)
        if row_issues:
            plan.errors.extend(row_issues)
            continue

        key = _("%(code)s kamer %(number)s") % {"code": code, "number": number}
        if existing is None:
            planned = PlannedRow(SHEET_ROOMS, row.number, ADD, key, values, location_code=code, location=location)
        else:
            changes = _changes(ROOM_COLUMNS, existing, values)
            planned = PlannedRow(SHEET_ROOMS, row.number, CHANGE if changes else UNCHANGED, key, values, changes,
                                 existing, location_code=code, location=location)
        plan.rooms.append(planned)


def _location_codes(sheets: dict[str, Sheet]) -> set[str]:
    codes = set()
    for sheet in sheets.values():
        for row in sheet.rows:
            if isinstance(row.cells.get("locatiecode"), FormulaCell):
                continue
            try:
                code = parse_code(row.cells.get("locatiecode"))
            except CellError:
                continue
            if code:
                codes.add(code)
    return codes


def build_plan(*, user: User, content: bytes, filename: str, lock: bool = False) -> ImportPlan:
    """Parse and validate a file; say what an import would add and change. Writes nothing.

    With `lock=True` (inside a transaction, at apply time) the existing locations and rooms in
    the file are locked so that what was validated is what gets written."""
    if not user_can_import(user):
        raise PermissionDenied(_("U mag geen locaties importeren."), code="forbidden")
    plan = ImportPlan(filename=PurePath(filename or "").name[:120])
    sheets, issues = read_file(content, filename or "")
    plan.errors.extend(issues)
    ctx = _Context(user, _location_codes(sheets), lock)
    in_file: dict[str, PlannedRow | None] = {}
    if SHEET_LOCATIONS in sheets:
        in_file = _plan_locations(plan, sheets[SHEET_LOCATIONS], ctx)
    if SHEET_ROOMS in sheets:
        _plan_rooms(plan, sheets[SHEET_ROOMS], ctx, in_file)
    plan.errors.sort(key=ImportIssue.sort_key)
    return plan


# --- applying -----------------------------------------------------------------------------------

def import_reason(filename: str) -> str:
    return _("Import %(filename)s") % {"filename": PurePath(filename or "").name[:120]}


def _service_issues(row: PlannedRow, exc: ApplicationError) -> list[ImportIssue]:
    columns = SHEET_COLUMNS[row.sheet]
    sheet = Sheet(row.sheet, columns, positions={c.header: i for i, c in enumerate(columns)})
    if isinstance(exc, RegistryValidationError):
        return _validation_issues(sheet, SheetRow(row.row, {}), exc.validation_error, columns)
    return [sheet.issue(row.row, None, exc.message)]


def _reject(plan: ImportPlan, row: PlannedRow, exc: ApplicationError) -> ImportRejected:
    # A service refused a row (a race with another user, a rule only the service knows): report
    # it like a validation error. Raising it inside the transaction rolls back every row so far.
    plan.errors.extend(_service_issues(row, exc))
    return ImportRejected(plan)


def _write(user: User, plan: ImportPlan, reason: str) -> None:
    locations: dict[str, Location] = {}
    for row in plan.locations:
        try:
            if row.action == ADD:
                location = location_create(user=user, data=row.values, reason=reason)
            elif row.action == CHANGE:
                data = {change.field: row.values[change.field] for change in row.changes}
                location = location_update(user=user, location=row.instance, data=data, reason=reason)
            else:
                location = row.instance
        except ApplicationError as exc:
            raise _reject(plan, row, exc) from exc
        locations[location.code] = location
    for row in plan.rooms:
        try:
            if row.action == ADD:
                location = locations.get(row.location_code) or row.location
                room_create(user=user, location=location, data=row.values, reason=reason)
            elif row.action == CHANGE:
                data = {change.field: row.values[change.field] for change in row.changes}
                room_update(user=user, room=row.instance, data=data, reason=reason)
        except ApplicationError as exc:
            raise _reject(plan, row, exc) from exc


# An import that adds or changes this many rows changes the tables enough for the planner to need
# new statistics: autovacuum is off on this machine, and elsewhere it waits for its threshold.
ANALYZE_AFTER_ROWS = 500


def _analyze_registry() -> None:
    tables = [model._meta.db_table for model in (Location, Room, Location.history.model, Room.history.model)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))


def import_apply(*, user: User, content: bytes, filename: str) -> ImportPlan:
    """Validate the file again and write it, all or nothing. Raises ImportRejected (nothing
    written) when any row fails, now or while writing."""
    with transaction.atomic():
        plan = build_plan(user=user, content=content, filename=filename, lock=True)
        if plan.errors:
            raise ImportRejected(plan)
        _write(user, plan, import_reason(filename))
        if len(plan.changed_rows) >= ANALYZE_AFTER_ROWS:
            # After the commit, outside the import's locks; robust: statistics are not worth an error.
            transaction.on_commit(_analyze_registry, robust=True)
    return plan


# --- export -------------------------------------------------------------------------------------

def _export_locations(user: User) -> list[Location]:
    return list(location_qs_for(user).order_by("municipality__name", "name", "code"))


def _export_rooms(user: User) -> list[Room]:
    locations = location_qs_for(user)
    return list(Room.objects.filter(location__in=locations).select_related("location")
                .order_by("location__code", "floor", "number"))


def _location_row(location: Location, *, for_csv: bool) -> list[Any]:
    return [column.cell(getattr(location, column.field), for_csv=for_csv) for column in LOCATION_COLUMNS]


def _room_row(room: Room, *, for_csv: bool) -> list[Any]:
    row = []
    for column in ROOM_COLUMNS:
        value = room.location.code if column.field == "location" else getattr(room, column.field)
        row.append(column.cell(value, for_csv=for_csv))
    return row


def _notes_lines() -> list[str]:
    return [
        _("Eén regel per locatie in het blad Locaties en één regel per kamer in het blad Kamers. Laat de "
          "kopregel (rij 1) staan zoals hij is."),
        _("Een locatie wordt herkend aan de locatiecode, een kamer aan locatiecode en kamernummer. Bestaat "
          "de code al, dan wordt de locatie of kamer bijgewerkt; anders wordt hij toegevoegd."),
        _("Locaties en kamers die niet in het bestand staan, blijven ongewijzigd: de import verwijdert niets."),
        _("Bewoners en blokkades van kamers staan niet in het sjabloon en veranderen niet door een import. "
          "Het aantal bedden van een kamer kan niet lager worden dan het aantal bewoners."),
        _("Bevat één regel een fout, dan wordt niets geïmporteerd. U ziet eerst een voorbeeld van alles wat "
          "wordt toegevoegd en gewijzigd; pas na 'Import uitvoeren' wordt het opgeslagen."),
        _("Ja/nee-kolommen: ja of nee (ook 1/0, waar/onwaar of x; leeg betekent nee). Datums: een "
          "Excel-datum, dd-mm-jjjj of jjjj-mm-dd."),
        _("CSV: één bestand per blad, met ; of , als scheidingsteken, in UTF-8. Voor een nieuwe locatie met "
          "kamers importeert u eerst de locaties en daarna de kamers."),
        _("Per blad hooguit %(max)s regels onder de kopregel; lege regels tellen mee. Cellen met een formule "
          "worden geweigerd: plak ze als waarde. Tekst die met =, +, - of @ begint, zet u in een CSV-bestand "
          "achter een apostrof (').") % {"max": _n(MAX_ROWS_PER_SHEET)},
    ]


def _write_notes_sheet(workbook: Workbook) -> None:
    ws = workbook.create_sheet(SHEET_NOTES)
    bold = Font(bold=True)
    ws.append([_("Toelichting bij het sjabloon voor locaties en kamers")])
    ws["A1"].font = Font(bold=True, size=14)
    for line in _notes_lines():
        ws.append([line])
    ws.append([])
    headers = [_("Blad"), _("Kolom"), _("Verplicht"), _("Toegestane waarden"), _("Voorbeeld"), _("Uitleg")]
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for sheet_name, columns in SHEET_COLUMNS.items():
        for column in columns:
            ws.append([sheet_name, column.header, _("ja") if column.required else _("nee"),
                       _allowed_text(column), column.example, str(column.description)])
    for letter, width in zip("ABCDEF", (12, 22, 10, 48, 18, 80), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_data_sheet(ws: Any, columns: tuple[Column, ...], rows: list[list[Any]]) -> None:
    header_fill = PatternFill("solid", fgColor="E8EEF5")
    ws.append([column.header for column in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    ws.freeze_panes = "A2"
    for values in rows:
        ws.append([xlsx_clean(value) for value in values])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, len(column.header) + 4)
        for cell in ws[letter][1:]:
            if column.kind == DATE:
                cell.number_format = "DD-MM-YYYY"
            elif column.kind in (TEXT, CODE) and isinstance(cell.value, str):
                # openpyxl treats text starting with "=" as a formula; store it as text so the
                # export never runs anything and reads back exactly as it was.
                cell.data_type = "s"
                cell.number_format = "@"
        if column.kind in (TEXT, CODE):
            ws.column_dimensions[letter].number_format = "@"
        if column.kind in (BOOL, CHOICE):
            # A drop-down as a help only: other accepted spellings (1/0, codes) stay allowed.
            words = ["ja", "nee"] if column.kind == BOOL else [
                choice_display(column.choices, value) for value in column.choices.values]
            validation = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True,
                                        showErrorMessage=False)
            validation.add(f"{letter}2:{letter}{max(1000, len(rows) + 500)}")
            ws.add_data_validation(validation)


def export_xlsx(*, user: User, empty: bool = False) -> bytes:
    """The template as a workbook, filled with the user's locations and rooms (or empty)."""
    workbook = Workbook()
    ws_locations = workbook.active
    ws_locations.title = SHEET_LOCATIONS
    location_rows = [] if empty else [_location_row(loc, for_csv=False) for loc in _export_locations(user)]
    room_rows = [] if empty else [_room_row(room, for_csv=False) for room in _export_rooms(user)]
    _write_data_sheet(ws_locations, LOCATION_COLUMNS, location_rows)
    _write_data_sheet(workbook.create_sheet(SHEET_ROOMS), ROOM_COLUMNS, room_rows)
    _write_notes_sheet(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_safe(value: Any) -> str:
    """Text as a spreadsheet cell may hold it: without the control characters that XLSX cannot
    store (openpyxl refuses them, and one pasted vertical tab in a location name would make every
    export of that day fail), and quoted when a spreadsheet would run it as a formula."""
    text = "" if value is None else ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def xlsx_clean(value: Any) -> Any:
    """A value for an XLSX cell: text without the control characters XLSX cannot store."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def export_csv(*, user: User, sheet: str) -> bytes:
    """One sheet as CSV the way Dutch Excel opens it: UTF-8 with BOM, ';' and decimal commas."""
    if sheet == SHEET_ROOMS:
        columns, rows = ROOM_COLUMNS, [_room_row(room, for_csv=True) for room in _export_rooms(user)]
    elif sheet == SHEET_LOCATIONS:
        columns, rows = LOCATION_COLUMNS, [_location_row(loc, for_csv=True) for loc in _export_locations(user)]
    else:
        raise ValueError(sheet)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    for values in rows:
        writer.writerow([
            _csv_safe(value) if column.kind in (TEXT, CODE) else ("" if value is None else value)
            for column, value in zip(columns, values, strict=True)
        ])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
