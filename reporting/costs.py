"""Cost declarations (issue 8, point 6): services (writes) and selectors (reads).

Amounts. Every amount is a `Decimal` in whole cents. What a cost "counts" for (spent against the
budget, declarable, the non-declarable split) is its amount incl. or excl. VAT as configured by
COSTS_VAT_BASIS (default `incl`: what the region actually pays; a region that recovers its VAT
sets `excl`). Both amounts are stored and both are shown on the declaration.

Closed periods. A cost dated inside a declaration period that is no longer `concept` cannot be
added, changed or deleted: refused here with a Dutch message, and by a trigger in the database
(migration 0006) for anything that goes around the services. The entry services lock the
periods covering the date (SELECT … FOR UPDATE), the period transition locks the period, so
"submit" and "save an entry" cannot interleave.

The split. The non-declarable total of a period (or year) is divided over the region's
municipalities by their population on 1 January of that year (reporting.money.split_by_population:
largest remainder, to the cent). Population "of that year" is `Municipality.population` where
`population_year` equals the year — the current record, or else the newest historical version of
the municipality (django-simple-history) with that `population_year`. A municipality without a
population of that year is named in a message and there is no split: never a guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from locations.models import Municipality, Region
from rcvs.errors import ApplicationError, Conflict

from .models import (
    Budget,
    BudgetLine,
    CostCategory,
    CostEntry,
    DeclarationDocument,
    DeclarationPeriod,
    DeclarationPeriodEvent,
    DeclarationStatus,
)
from .money import CENT, split_by_population

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")

# Which transitions a period may make, and what each means.
TRANSITIONS: dict[str, set[str]] = {
    DeclarationStatus.CONCEPT: {DeclarationStatus.SUBMITTED},
    # Withdrawn (back to concept to correct it), granted or rejected by the ministry.
    DeclarationStatus.SUBMITTED: {DeclarationStatus.CONCEPT, DeclarationStatus.GRANTED, DeclarationStatus.REJECTED},
    # A rejected declaration may be corrected and submitted again.
    DeclarationStatus.REJECTED: {DeclarationStatus.CONCEPT},
    DeclarationStatus.GRANTED: set(),
}


def vat_basis() -> str:
    basis = getattr(settings, "COSTS_VAT_BASIS", "incl")
    return "amount_excl_vat" if basis == "excl" else "amount_incl_vat"


def _sum(expression: Any = None, **filters: Any) -> Coalesce:
    return Coalesce(Sum(expression or vat_basis(), filter=Q(**filters) if filters else None),
                    Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def _money(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise ApplicationError(_("%(name)s moet een bedrag in euro's zijn.") % {"name": name}, code="invalid_amount",
                               extra={"fields": {name: [_("Ongeldig bedrag.")]}})
    value = Decimal(value)
    if not value.is_finite() or value != value.quantize(CENT):
        raise ApplicationError(_("%(name)s moet in hele centen zijn (hoogstens twee decimalen).") % {"name": name},
                               code="invalid_amount", extra={"fields": {name: [_("Hoogstens twee decimalen.")]}})
    if value < 0:
        raise ApplicationError(_("Een negatief bedrag kan niet worden ingevoerd (%(name)s). Een creditnota verwerkt "
                                 "u door de oorspronkelijke kostenpost te corrigeren zolang de periode concept is.")
                               % {"name": name}, code="negative_amount",
                               extra={"fields": {name: [_("Het bedrag mag niet negatief zijn.")]}})
    if value > MAX_AMOUNT:
        raise ApplicationError(_("%(name)s is te groot.") % {"name": name}, code="invalid_amount",
                               extra={"fields": {name: [_("Te groot bedrag.")]}})
    return value.quantize(CENT)


# --- budgets -------------------------------------------------------------------------------------

@transaction.atomic
def budget_create(*, user: User | None, region: Region, year: int, note: str = "",
                  lines: list[tuple[str, Decimal]] | None = None) -> Budget:
    if Budget.objects.filter(region=region, year=year).exists():
        raise Conflict(_("Er is al een begroting voor %(year)s.") % {"year": year}, code="budget_exists")
    try:
        with transaction.atomic():
            budget = Budget.objects.create(region=region, year=year, note=note)
    except IntegrityError as exc:
        raise Conflict(_("Er is al een begroting voor %(year)s.") % {"year": year}, code="budget_exists") from exc
    for position, (name, amount) in enumerate(lines or [], 1):
        budget_line_save(user=user, budget=budget, name=name, amount=amount, position=position)
    logger.info("budget created region=%s year=%s", region.code, year)
    return budget


@transaction.atomic
def budget_line_save(*, user: User | None, budget: Budget, name: str, amount: Decimal, position: int = 0,
                     line: BudgetLine | None = None) -> BudgetLine:
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Geef de begrotingspost een naam."), code="budget_line_name",
                               extra={"fields": {"name": [_("Verplicht.")]}})
    amount = _money(amount, "amount")
    clash = BudgetLine.objects.filter(budget=budget, name__iexact=name)
    if line is not None:
        clash = clash.exclude(pk=line.pk)
    if clash.exists():
        raise ApplicationError(_("De begroting heeft al een post '%(name)s'.") % {"name": name},
                               code="budget_line_exists", extra={"fields": {"name": [_("Bestaat al.")]}})
    if line is None:
        line = BudgetLine(budget=budget)
    line.name, line.amount, line.position = name, amount, position
    line._history_user = user
    line.save()
    return line


@transaction.atomic
def budget_line_delete(*, user: User | None, line: BudgetLine) -> None:
    if line.entries.exists():
        raise ApplicationError(_("Op deze begrotingspost staan kosten; die kan niet worden verwijderd."),
                               code="budget_line_in_use")
    line._history_user = user
    line.delete()


# --- declaration periods -------------------------------------------------------------------------

def default_deadline(start: dt.date, end: dt.date) -> dt.date:
    """The last day of the period's fourth month (1 Jan – 30 Jun → 30 April, as in DOMAIN.md;
    1 Jul – 31 Dec → 31 October), but never after the period's end."""
    month = start.month + 4
    year = start.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    deadline = dt.date(year, month, 1) - dt.timedelta(days=1)
    return min(deadline, end)


def half_years(year: int) -> list[tuple[str, dt.date, dt.date]]:
    return [(_("%(year)s eerste halfjaar") % {"year": year}, dt.date(year, 1, 1), dt.date(year, 6, 30)),
            (_("%(year)s tweede halfjaar") % {"year": year}, dt.date(year, 7, 1), dt.date(year, 12, 31))]


def _constraint(exc: IntegrityError) -> str:
    """The name of the refused constraint (the triggers name theirs), and the message as fallback."""
    diag = getattr(exc.__cause__, "diag", None)
    return f"{getattr(diag, 'constraint_name', '') or ''} {exc}"


def _period_integrity(exc: IntegrityError) -> ApplicationError:
    text = _constraint(exc)
    if "declarationperiod_no_overlap" in text or "overlaps" in text:
        return ApplicationError(_("Deze periode overlapt met een andere declaratieperiode van de regio."),
                                code="period_overlap", extra={"fields": {"start": [_("Overlapt.")]}})
    if "declarationperiod_label" in text:
        return ApplicationError(_("Er is al een periode met deze naam."), code="period_label",
                                extra={"fields": {"label": [_("Bestaat al.")]}})
    if "declarationperiod_closed_frozen" in text:
        return ApplicationError(_("Een periode die niet meer concept is, kan niet worden gewijzigd of verwijderd."),
                                code="period_closed")
    return ApplicationError(_("De periode is ongeldig: het einde ligt voor het begin, of de periode loopt over "
                              "de jaargrens."), code="period_invalid")


@transaction.atomic
def declaration_period_create(*, user: User | None, region: Region, label: str, start: dt.date, end: dt.date,
                              deadline: dt.date | None = None) -> DeclarationPeriod:
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("Geef de periode een naam."), code="period_label",
                               extra={"fields": {"label": [_("Verplicht.")]}})
    if end < start:
        raise ApplicationError(_("Het einde van de periode ligt voor het begin."), code="period_invalid",
                               extra={"fields": {"end": [_("Ligt voor het begin.")]}})
    if start.year != end.year:
        raise ApplicationError(_("Een declaratieperiode valt binnen één kalenderjaar (de begroting en de verdeling "
                                 "over de gemeenten zijn per jaar)."), code="period_invalid",
                               extra={"fields": {"end": [_("Ander jaar dan het begin.")]}})
    Region.objects.select_for_update().filter(pk=region.pk).first()
    overlap = DeclarationPeriod.objects.filter(region=region, start__lte=end, end__gte=start).first()
    if overlap is not None:
        raise ApplicationError(_("Deze periode overlapt met '%(label)s' (%(start)s – %(end)s).")
                               % {"label": overlap.label, "start": overlap.start.isoformat(),
                                  "end": overlap.end.isoformat()},
                               code="period_overlap", extra={"fields": {"start": [_("Overlapt.")]}})
    period = DeclarationPeriod(region=region, label=label, start=start, end=end,
                               deadline=deadline or default_deadline(start, end))
    try:
        with transaction.atomic():
            period.save()
    except IntegrityError as exc:
        raise _period_integrity(exc) from exc
    DeclarationPeriodEvent.objects.create(period=period, from_status="", to_status=period.status, by=user,
                                          at=timezone.now(), note=_("Aangemaakt"))
    return period


@transaction.atomic
def declaration_period_update(*, user: User | None, period: DeclarationPeriod, label: str, start: dt.date,
                              end: dt.date, deadline: dt.date | None = None) -> DeclarationPeriod:
    """Change a concept period's name, dates or deadline (a period that left concept is fixed)."""
    locked = DeclarationPeriod.objects.select_for_update().get(pk=period.pk)
    if locked.status != DeclarationStatus.CONCEPT:
        raise ApplicationError(_("Een periode die niet meer concept is, kan niet worden gewijzigd."),
                               code="period_closed")
    label = (label or "").strip()
    if not label:
        raise ApplicationError(_("Geef de periode een naam."), code="period_label",
                               extra={"fields": {"label": [_("Verplicht.")]}})
    if end < start or start.year != end.year:
        raise ApplicationError(_("Een declaratieperiode eindigt niet voor haar begin en valt binnen één "
                                 "kalenderjaar."), code="period_invalid", extra={"fields": {"end": [_("Ongeldig.")]}})
    Region.objects.select_for_update().filter(pk=locked.region_id).first()
    overlap = (DeclarationPeriod.objects.filter(region_id=locked.region_id, start__lte=end, end__gte=start)
               .exclude(pk=locked.pk).first())
    if overlap is not None:
        raise ApplicationError(_("Deze periode overlapt met '%(label)s' (%(start)s – %(end)s).")
                               % {"label": overlap.label, "start": overlap.start.isoformat(),
                                  "end": overlap.end.isoformat()},
                               code="period_overlap", extra={"fields": {"start": [_("Overlapt.")]}})
    before = (locked.label, locked.start, locked.end, locked.deadline)
    locked.label, locked.start, locked.end = label, start, end
    locked.deadline = deadline or default_deadline(start, end)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise _period_integrity(exc) from exc
    DeclarationPeriodEvent.objects.create(
        period=locked, from_status=locked.status, to_status=locked.status, by=user, at=timezone.now(),
        note=(_("Gewijzigd: was %(label)s, %(start)s – %(end)s, uiterste indiendatum %(deadline)s")
              % {"label": before[0], "start": before[1].isoformat(), "end": before[2].isoformat(),
                 "deadline": before[3].isoformat()})[:300])
    return locked


def declaration_periods_ensure(*, user: User | None, region: Region, year: int) -> list[DeclarationPeriod]:
    """The two half years of `year` for the region, created when missing (a half year that
    overlaps a period configured by hand is left out)."""
    periods = []
    for label, start, end in half_years(year):
        existing = DeclarationPeriod.objects.filter(region=region, start=start, end=end).first()
        if existing is not None:
            periods.append(existing)
            continue
        if DeclarationPeriod.objects.filter(region=region, start__lte=end, end__gte=start).exists():
            continue
        periods.append(declaration_period_create(user=user, region=region, label=label, start=start, end=end))
    return periods


@transaction.atomic
def declaration_period_transition(*, user: User | None, period: DeclarationPeriod, to_status: str,
                                  note: str = "") -> DeclarationPeriod:
    locked = DeclarationPeriod.objects.select_for_update().get(pk=period.pk)
    if to_status not in TRANSITIONS.get(locked.status, set()):
        raise Conflict(_("Een declaratie met status '%(from)s' kan niet naar '%(to)s'.")
                       % {"from": DeclarationStatus(locked.status).label,
                          "to": DeclarationStatus(to_status).label if to_status in DeclarationStatus.values
                          else to_status},
                       code="period_transition")
    if to_status == DeclarationStatus.SUBMITTED and not _period_entries(locked).exists():
        raise ApplicationError(_("Deze periode heeft geen kosten; er is niets in te dienen."), code="period_empty")
    now = timezone.now()
    previous = locked.status
    locked.status, locked.status_changed_at, locked.status_changed_by = to_status, now, user
    locked.save(update_fields=["status", "status_changed_at", "status_changed_by", "updated_at"])
    DeclarationPeriodEvent.objects.create(period=locked, from_status=previous, to_status=to_status, by=user, at=now,
                                          note=(note or "").strip()[:300])
    logger.info("declaration period %s: %s -> %s", locked.pk, previous, to_status)
    if to_status == DeclarationStatus.SUBMITTED:
        # The documents of what was submitted, built after the commit (no PDF inside a transaction).
        transaction.on_commit(lambda: _enqueue_documents(locked.pk))
    return locked


def _enqueue_documents(period_id: int) -> None:
    """Queue the build; a broker that is down loses nothing: the daily job builds every submitted
    period's documents that are missing (documents_due)."""
    from .tasks_costs import build_declaration_documents

    try:
        build_declaration_documents.delay(period_id)
    except Exception:  # noqa: BLE001 - the broker's many connection errors; the daily job catches up
        logger.warning("declaration documents of period %s not queued; the daily job will build them", period_id)


@transaction.atomic
def declaration_period_delete(*, user: User | None, period: DeclarationPeriod) -> None:
    locked = DeclarationPeriod.objects.select_for_update().get(pk=period.pk)
    if locked.status != DeclarationStatus.CONCEPT:
        raise ApplicationError(_("Een periode die niet meer concept is, kan niet worden verwijderd."),
                               code="period_closed")
    locked.delete()


# --- cost entries ---------------------------------------------------------------------------------

ENTRY_FIELDS = ("budget_line", "date", "category", "supplier", "description", "amount_excl_vat", "amount_incl_vat",
                "invoice_reference", "declarable", "non_declarable_reason")

ATTACHMENT_TYPES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}
ATTACHMENT_CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}


def _closed_period_error(period: DeclarationPeriod, day: dt.date) -> ApplicationError:
    return ApplicationError(
        _("Een kostenpost van %(day)s valt in declaratieperiode '%(label)s', die %(status)s is; die neemt geen "
          "nieuwe of gewijzigde kosten meer aan.")
        % {"day": day.strftime("%d-%m-%Y"), "label": period.label, "status": DeclarationStatus(period.status).label},
        code="period_closed", extra={"fields": {"date": [_("Valt in een gesloten periode.")]}})


def _check_open(region_id: int, day: dt.date) -> None:
    """Lock the periods covering `day` and refuse when one is no longer concept."""
    for period in DeclarationPeriod.objects.select_for_update().filter(region_id=region_id, start__lte=day,
                                                                       end__gte=day):
        if period.status != DeclarationStatus.CONCEPT:
            raise _closed_period_error(period, day)


def _entry_integrity(exc: IntegrityError) -> ApplicationError:
    text = _constraint(exc)
    if "costentry_period_not_closed" in text:
        return ApplicationError(_("Deze kostenpost valt in een declaratieperiode die niet meer concept is."),
                                code="period_closed", extra={"fields": {"date": [_("Valt in een gesloten periode.")]}})
    if "costentry_date_in_budget_year" in text:
        return ApplicationError(_("De datum ligt niet in het jaar van de begrotingspost."), code="entry_year",
                                extra={"fields": {"date": [_("Ander jaar dan de begroting.")]}})
    if "not_negative" in text:
        return ApplicationError(_("Een negatief bedrag kan niet worden ingevoerd."), code="negative_amount")
    if "incl_at_least_excl" in text:
        return ApplicationError(_("Het bedrag incl. btw is kleiner dan het bedrag excl. btw."), code="vat_order")
    return ApplicationError(_("De kostenpost is ongeldig."), code="entry_invalid")


def validate_attachment(upload: UploadedFile) -> str:
    """The attachment's kind (pdf/png/jpg) from its first bytes, or a Dutch refusal."""
    limit = int(getattr(settings, "COSTS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
    if upload.size is None or upload.size > limit:
        raise ApplicationError(_("De bijlage is te groot (hoogstens %(mb)s MB).") % {"mb": round(limit / 1048576, 1)},
                               code="attachment_too_large", extra={"fields": {"attachment": [_("Te groot.")]}})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for magic, kind in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return kind
    raise ApplicationError(_("De bijlage moet een PDF, PNG of JPEG zijn."), code="attachment_type",
                           extra={"fields": {"attachment": [_("Alleen PDF, PNG of JPEG.")]}})


def _clean_entry(data: dict[str, Any], region: Region) -> dict[str, Any]:
    clean = {key: data[key] for key in ENTRY_FIELDS if key in data}
    errors: dict[str, list[str]] = {}
    for key in ("supplier", "description", "invoice_reference", "non_declarable_reason"):
        clean[key] = (clean.get(key) or "").strip()
    for key in ("supplier", "description"):
        if not clean[key]:
            errors[key] = [_("Verplicht.")]
    if clean.get("category") not in CostCategory.values:
        errors["category"] = [_("Kies een categorie.")]
    if not isinstance(clean.get("date"), dt.date):
        errors["date"] = [_("Geef een datum.")]
    line = clean.get("budget_line")
    if not isinstance(line, BudgetLine) or line.budget.region_id != region.pk:
        errors["budget_line"] = [_("Kies een begrotingspost van deze regio.")]
    elif isinstance(clean.get("date"), dt.date) and clean["date"].year != line.budget.year:
        errors["date"] = [_("De datum ligt niet in %(year)s, het jaar van de begroting.") % {"year": line.budget.year}]
    if errors:
        raise ApplicationError(_("Controleer de invoer van de kostenpost."), code="entry_invalid",
                               extra={"fields": errors})
    clean["amount_excl_vat"] = _money(clean.get("amount_excl_vat"), "amount_excl_vat")
    clean["amount_incl_vat"] = _money(clean.get("amount_incl_vat"), "amount_incl_vat")
    if clean["amount_incl_vat"] < clean["amount_excl_vat"]:
        raise ApplicationError(_("Het bedrag incl. btw kan niet kleiner zijn dan het bedrag excl. btw."),
                               code="vat_order", extra={"fields": {"amount_incl_vat": [_("Kleiner dan excl. btw.")]}})
    clean["declarable"] = bool(clean.get("declarable"))
    if not clean["declarable"] and not clean["non_declarable_reason"]:
        raise ApplicationError(_("Geef aan waarom deze kosten niet declarabel zijn."), code="reason_required",
                               extra={"fields": {"non_declarable_reason": [_("Verplicht als de kosten niet "
                                                                             "declarabel zijn.")]}})
    if clean["declarable"]:
        clean["non_declarable_reason"] = ""
    return clean


def _set_attachment(entry: CostEntry, upload: UploadedFile | None) -> str | None:
    """Attach `upload` (validated); return the name of the file it replaces, to delete after commit."""
    if upload is None:
        return None
    kind = validate_attachment(upload)
    old = entry.attachment.name or None
    entry.attachment_name = (upload.name or "bijlage").rsplit("/", 1)[-1][:200]
    # Stored under the checked kind's extension, never the uploader's ("x.html" with a PDF header
    # is stored and served as a PDF).
    entry.attachment.save(f"bijlage.{kind}", upload, save=False)
    return old


def _delete_file_after_commit(name: str | None) -> None:
    if name:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def cost_entry_create(*, user: User | None, region: Region, data: dict[str, Any],
                      attachment: UploadedFile | None = None) -> CostEntry:
    clean = _clean_entry(data, region)
    _check_open(region.pk, clean["date"])
    entry = CostEntry(created_by=user, updated_by=user, **clean)
    entry._history_user = user
    _set_attachment(entry, attachment)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        if entry.attachment.name:
            _delete_file_after_rollback(entry.attachment.name)
        raise _entry_integrity(exc) from exc
    logger.info("cost entry %s created region=%s", entry.pk, region.code)
    return entry


def _delete_file_after_rollback(name: str) -> None:
    from django.core.files.storage import default_storage

    default_storage.delete(name)


@transaction.atomic
def cost_entry_update(*, user: User | None, entry: CostEntry, data: dict[str, Any],
                      attachment: UploadedFile | None = None, remove_attachment: bool = False) -> CostEntry:
    locked = CostEntry.objects.select_for_update().select_related("budget_line__budget").get(pk=entry.pk)
    region = locked.budget_line.budget.region
    _check_open(region.pk, locked.date)
    merged = {key: getattr(locked, key) for key in ENTRY_FIELDS}
    merged.update({key: value for key, value in data.items() if key in ENTRY_FIELDS})
    clean = _clean_entry(merged, region)
    if clean["date"] != locked.date:
        _check_open(region.pk, clean["date"])
    for key, value in clean.items():
        setattr(locked, key, value)
    locked.updated_by = user
    locked._history_user = user
    replaced = None
    if remove_attachment and locked.attachment:
        replaced, locked.attachment, locked.attachment_name = locked.attachment.name, None, ""
    replaced = _set_attachment(locked, attachment) or replaced
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise _entry_integrity(exc) from exc
    _delete_file_after_commit(replaced)
    return locked


@transaction.atomic
def cost_entry_delete(*, user: User | None, entry: CostEntry) -> None:
    locked = CostEntry.objects.select_for_update().select_related("budget_line__budget").get(pk=entry.pk)
    _check_open(locked.budget_line.budget.region_id, locked.date)
    name = locked.attachment.name or None
    locked._history_user = user
    try:
        with transaction.atomic():
            locked.delete()
    except IntegrityError as exc:
        raise _entry_integrity(exc) from exc
    logger.info("cost entry %s deleted by user=%s", entry.pk, getattr(user, "pk", None))
    _delete_file_after_commit(name)


# --- selectors -------------------------------------------------------------------------------------

def cost_entries(region: Region, *, year: int | None = None, start: dt.date | None = None,
                 end: dt.date | None = None) -> QuerySet[CostEntry]:
    qs = CostEntry.objects.filter(budget_line__budget__region=region).select_related("budget_line__budget")
    if year is not None:
        qs = qs.filter(budget_line__budget__year=year)
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    return qs.order_by("date", "pk")


def _period_entries(period: DeclarationPeriod) -> QuerySet[CostEntry]:
    return cost_entries(period.region, start=period.start, end=period.end)


@dataclass(frozen=True)
class CostLine:
    name: str
    budget: Decimal
    spent: Decimal
    declarable: Decimal
    non_declarable: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class PeriodSummary:
    pk: int
    label: str
    start: dt.date
    end: dt.date
    deadline: dt.date
    status: str  # the status on as_of (from the period's events)
    status_label: str
    total_declared: Decimal  # declarable costs of the period (dated on or before as_of)
    total_non_declarable: Decimal


@dataclass(frozen=True)
class CostSummary:
    region: Region
    year: int
    as_of: dt.date
    lines: list[CostLine]
    totals: CostLine
    periods: list[PeriodSummary]
    missing: list[str] = field(default_factory=list)  # Dutch: why a part is empty (no budget)

    @property
    def has_budget(self) -> bool:
        return not self.missing


def _end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def cost_summary(region: Region, *, year: int, as_of: dt.date) -> CostSummary:
    """Budget against spent per line for `year`, counting costs dated on or before `as_of`, and
    the state of the year's declaration periods on `as_of` (their status from the events up to
    the end of that day). Three queries, whatever the number of entries."""
    budget = Budget.objects.filter(region=region, year=year).first()
    lines: list[CostLine] = []
    missing: list[str] = []
    if budget is None:
        missing.append(_("Er is geen begroting voor %(year)s.") % {"year": year})
    else:
        rows = (BudgetLine.objects.filter(budget=budget)
                .annotate(spent=_sum(f"entries__{vat_basis()}", entries__date__lte=as_of),
                          declarable_sum=_sum(f"entries__{vat_basis()}", entries__date__lte=as_of,
                                              entries__declarable=True))
                .order_by("position", "name"))
        for row in rows:
            lines.append(CostLine(name=row.name, budget=row.amount, spent=row.spent, declarable=row.declarable_sum,
                                  non_declarable=row.spent - row.declarable_sum, remaining=row.amount - row.spent))
    totals = CostLine(name=_("Totaal"), budget=sum((x.budget for x in lines), ZERO),
                      spent=sum((x.spent for x in lines), ZERO), declarable=sum((x.declarable for x in lines), ZERO),
                      non_declarable=sum((x.non_declarable for x in lines), ZERO),
                      remaining=sum((x.remaining for x in lines), ZERO))
    entries = CostEntry.objects.filter(budget_line__budget__region=region, date__gte=OuterRef("start"),
                                       date__lte=OuterRef("end")).filter(date__lte=as_of)
    basis = vat_basis()

    def _total(declarable: bool) -> Coalesce:
        return Coalesce(Subquery(entries.filter(declarable=declarable).order_by().values("declarable")
                                 .annotate(total=Sum(basis)).values("total")[:1]),
                        Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))

    status_then = (DeclarationPeriodEvent.objects.filter(period=OuterRef("pk"), at__lt=_end_of_day(as_of))
                   .order_by("-at", "-pk").values("to_status")[:1])
    periods = []
    for p in (DeclarationPeriod.objects.filter(region=region, start__year=year, start__lte=as_of)
              .annotate(declared=_total(True), not_declared=_total(False), status_then=Subquery(status_then))
              .order_by("start")):
        status = p.status_then or DeclarationStatus.CONCEPT
        periods.append(PeriodSummary(pk=p.pk, label=p.label, start=p.start, end=p.end, deadline=p.deadline,
                                     status=status, status_label=DeclarationStatus(status).label,
                                     total_declared=p.declared, total_non_declarable=p.not_declared))
    return CostSummary(region=region, year=year, as_of=as_of, lines=lines, totals=totals, periods=periods,
                       missing=missing)


# --- population on 1 January and the split ----------------------------------------------------------

@dataclass(frozen=True)
class Population:
    municipality_id: int
    cbs_code: str
    name: str
    population: int
    year: int
    source: str  # "table", "current" or "history" (locations.selectors.YearPopulation)


def populations_on_1_january(region: Region, year: int) -> tuple[list[Population], list[str]]:
    """Each municipality of the region with its population of 1 January `year`, and the names of
    those that have none recorded for that year (locations.selectors.populations_on_1_january:
    the dated table, the municipality's own figure of that year, or its history). Three queries."""
    from locations.selectors import populations_on_1_january as population_table

    municipalities = list(Municipality.objects.filter(region=region).order_by("cbs_code"))
    populations = population_table(municipalities, year)
    found = [Population(m.pk, m.cbs_code, m.name, populations[m.pk].population, year, populations[m.pk].source)
             for m in municipalities if m.pk in populations]
    missing = [m.name for m in municipalities if m.pk not in populations]
    return found, missing


@dataclass(frozen=True)
class SplitRow:
    municipality_id: int
    cbs_code: str
    name: str
    population: int
    share: Decimal


@dataclass(frozen=True)
class Split:
    year: int
    total: Decimal
    rows: list[SplitRow]
    missing: str = ""  # a Dutch message when no split can be made

    @property
    def population_total(self) -> int:
        return sum(r.population for r in self.rows)


def non_declarable_split(region: Region, *, year: int, total: Decimal) -> Split:
    populations, missing = populations_on_1_january(region, year)
    if not populations and not missing:
        return Split(year, total, [], _("De regio heeft geen gemeenten; er is niets te verdelen."))
    if missing:
        return Split(year, total, [], _("Geen verdeling: het inwonertal op 1 januari %(year)s ontbreekt voor "
                                        "%(names)s. Werk eerst de inwonertallen bij.")
                     % {"year": year, "names": ", ".join(missing)})
    try:
        parts = split_by_population(total, {p.cbs_code: p.population for p in populations})
    except ApplicationError as error:
        return Split(year, total, [], error.message)
    rows = [SplitRow(p.municipality_id, p.cbs_code, p.name, p.population, parts[p.cbs_code]) for p in populations]
    return Split(year, total, rows)


# --- the declaration of one period -----------------------------------------------------------------

@dataclass(frozen=True)
class DeclarationLine:
    name: str
    budget: Decimal  # the whole year's budget of the line
    spent_in_period: Decimal
    declarable: Decimal
    non_declarable: Decimal
    spent_in_year: Decimal  # up to the period's end
    remaining: Decimal  # budget − spent in the year up to the period's end


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    label: str
    excl_vat: Decimal
    incl_vat: Decimal
    declarable: Decimal
    non_declarable: Decimal


@dataclass(frozen=True)
class DeclarationEntry:
    date: dt.date
    line: str
    category: str
    supplier: str
    description: str
    invoice_reference: str
    excl_vat: Decimal
    incl_vat: Decimal
    declarable: bool
    reason: str


@dataclass(frozen=True)
class Declaration:
    region_name: str
    region_code: str
    period_pk: int
    label: str
    start: dt.date
    end: dt.date
    deadline: dt.date
    status: str
    status_label: str
    basis: str  # "incl" / "excl"
    lines: list[DeclarationLine]
    categories: list[CategoryTotal]
    entries: list[DeclarationEntry]
    total_excl_vat: Decimal
    total_incl_vat: Decimal
    total_declarable: Decimal
    total_non_declarable: Decimal
    total_budget: Decimal
    split: Split
    missing: list[str]

    @property
    def total_spent(self) -> Decimal:
        return self.total_declarable + self.total_non_declarable

    @property
    def total_spent_in_year(self) -> Decimal:
        return sum((x.spent_in_year for x in self.lines), ZERO)

    @property
    def total_remaining(self) -> Decimal:
        return sum((x.remaining for x in self.lines), ZERO)

    def content_hash(self) -> str:
        """sha256 of the figures (not of a rendered file, whose bytes carry a build time)."""
        data = asdict(self)
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def declaration_build(period: DeclarationPeriod) -> Declaration:
    """Everything a declaration document shows, read in a fixed number of queries."""
    region = period.region
    basis_field = vat_basis()
    entries = list(_period_entries(period).select_related("budget_line"))
    budget = Budget.objects.filter(region=region, year=period.start.year).first()
    missing = [] if budget is not None else [_("Er is geen begroting voor %(year)s.") % {"year": period.start.year}]
    lines: list[DeclarationLine] = []
    if budget is not None:
        year_rows = (BudgetLine.objects.filter(budget=budget)
                     .annotate(year_spent=_sum(f"entries__{basis_field}", entries__date__lte=period.end))
                     .order_by("position", "name"))
        per_line: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
        for e in entries:
            per_line[e.budget_line_id][0 if e.declarable else 1] += getattr(e, basis_field)
        for row in year_rows:
            declarable, non_declarable = per_line[row.pk]
            lines.append(DeclarationLine(name=row.name, budget=row.amount, spent_in_period=declarable + non_declarable,
                                         declarable=declarable, non_declarable=non_declarable,
                                         spent_in_year=row.year_spent, remaining=row.amount - row.year_spent))
    categories = []
    for value, label in CostCategory.choices:
        chosen = [e for e in entries if e.category == value]
        if not chosen:
            continue
        categories.append(CategoryTotal(
            category=value, label=str(label), excl_vat=sum((e.amount_excl_vat for e in chosen), ZERO),
            incl_vat=sum((e.amount_incl_vat for e in chosen), ZERO),
            declarable=sum((getattr(e, basis_field) for e in chosen if e.declarable), ZERO),
            non_declarable=sum((getattr(e, basis_field) for e in chosen if not e.declarable), ZERO)))
    rows = [DeclarationEntry(date=e.date, line=e.budget_line.name, category=e.get_category_display(),
                             supplier=e.supplier, description=e.description, invoice_reference=e.invoice_reference,
                             excl_vat=e.amount_excl_vat, incl_vat=e.amount_incl_vat, declarable=e.declarable,
                             reason=e.non_declarable_reason) for e in entries]
    total_declarable = sum((getattr(e, basis_field) for e in entries if e.declarable), ZERO)
    total_non = sum((getattr(e, basis_field) for e in entries if not e.declarable), ZERO)
    split = non_declarable_split(region, year=period.start.year, total=total_non)
    return Declaration(
        region_name=region.name, region_code=region.code, period_pk=period.pk, label=period.label,
        start=period.start, end=period.end, deadline=period.deadline, status=period.status,
        status_label=str(DeclarationStatus(period.status).label), basis="excl" if basis_field == "amount_excl_vat"
        else "incl", lines=lines, categories=categories, entries=rows,
        total_excl_vat=sum((e.amount_excl_vat for e in entries), ZERO),
        total_incl_vat=sum((e.amount_incl_vat for e in entries), ZERO), total_declarable=total_declarable,
        total_non_declarable=total_non, total_budget=sum((x.budget for x in lines), ZERO), split=split,
        missing=missing)


# --- declaration documents (built by the scheduled job, the submit, or a button) --------------------

def documents_due(*, today: dt.date) -> QuerySet[DeclarationPeriod]:
    """Periods whose documents the scheduled job keeps ready: every period that has ended or whose
    deadline is within COSTS_DECLARATION_LEAD_DAYS, and every submitted/decided one that has no
    document of its current status yet."""
    lead = int(getattr(settings, "COSTS_DECLARATION_LEAD_DAYS", 14))
    # A submitted or decided period keeps the documents of what was submitted: built once per
    # status (at the submit, again when granted or rejected), not again when, say, a budget line
    # changes afterwards. A concept period follows its figures.
    stamped = DeclarationDocument.objects.filter(period=OuterRef("pk"), period_status=OuterRef("status"))
    return (DeclarationPeriod.objects.filter(Q(end__lt=today) | Q(deadline__lte=today + dt.timedelta(days=lead))
                                             | ~Q(status=DeclarationStatus.CONCEPT))
            .exclude(Q(Exists(stamped)) & ~Q(status=DeclarationStatus.CONCEPT))
            .select_related("region").order_by("pk"))


def declaration_documents_build(*, period: DeclarationPeriod, user: User | None = None) -> list[DeclarationDocument]:
    """The PDF and XLSX of the period's current figures. Idempotent per content: when a document
    of these figures exists, it is returned and nothing is built. Rendering happens outside any
    transaction; the insert tolerates a concurrent build of the same content."""
    from . import declaration as render

    period = DeclarationPeriod.objects.select_related("region").get(pk=period.pk)
    data = declaration_build(period)
    digest = data.content_hash()
    documents = []
    for kind, renderer in ((DeclarationDocument.Kind.PDF, render.declaration_pdf),
                           (DeclarationDocument.Kind.XLSX, render.declaration_xlsx)):
        existing = DeclarationDocument.objects.filter(period=period, kind=kind, content_hash=digest).first()
        if existing is not None:
            documents.append(existing)
            continue
        content = renderer(data)
        try:
            with transaction.atomic():
                document = DeclarationDocument.objects.create(
                    period=period, kind=kind, content_hash=digest, sha256=hashlib.sha256(content).hexdigest(),
                    content=content, size=len(content), period_status=period.status, created_by=user)
        except IntegrityError:
            document = DeclarationDocument.objects.get(period=period, kind=kind, content_hash=digest)
        documents.append(document)
        logger.info("declaration document period=%s kind=%s sha256=%s", period.pk, kind, document.sha256[:12])
    return documents


def latest_documents(period: DeclarationPeriod) -> dict[str, DeclarationDocument]:
    latest: dict[str, DeclarationDocument] = {}
    for doc in period.documents.defer("content").order_by("-created_at", "-pk"):
        latest.setdefault(doc.kind, doc)
    return latest
