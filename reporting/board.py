"""The board report (bestuursrapportage): a month of one region as a PDF a board member can read.

What it answers: how many places, how full, what ends when, what happened (placements,
departures, transfers, supra-regional requests), casework in aggregate, what it costs, and what
the board decided and asked for. Everything is read for an explicit period (a month) from dated
sources — the capacity snapshots, the placements' event log, the case counts, the cost entries —
so the report of a past month can be rebuilt and comes out the same.

No person appears in it: no resident, no case content. Casework is counted by category, with any
count under 5 shown as "<5" (casework.selectors.small_count), and the total left out when it
would give such a small count away.

Rendering (WeasyPrint) is slow and happens outside any transaction: `build_board_report` returns
the PDF bytes and the snapshot day it used; the task (reporting/tasks_board.py) stores them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from locations.models import Region
from locations.selectors import region_qs_for
from rcvs.errors import ApplicationError

from . import permissions
from .board_items import board_items_for_report
from .models import BoardReport, BoardReportStatus, CapacitySnapshot, LocationSnapshot
from .models.board import ACTIVE_REPORT_STATUSES

if TYPE_CHECKING:
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, str], None]
ENDING_WINDOWS = (3, 6, 12)
LANGUAGES = ("nl", "en")
TREND_MONTHS = 12


# --- periods ----------------------------------------------------------------------------------

def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(period: dt.date) -> dt.date:
    """The last day of the month that starts on `period`."""
    return period + relativedelta(months=1, days=-1)


def parse_period(text: str) -> dt.date:
    """'2026-11' -> 2026-11-01; ValueError with a Dutch message otherwise."""
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise ValueError(_("Ongeldige maand '%(value)s': gebruik JJJJ-MM, bijvoorbeeld 2026-11.")
                         % {"value": text}) from None


# --- key figures ------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyFigures:
    as_of: dt.date
    locations: int
    realised: int
    occupied: int
    available: int
    snijverlies: int
    out_of_service: int

    @property
    def occupancy_rate(self) -> Decimal | None:
        """Occupied / (realised − out of service), as locations.selectors.Capacity counts it."""
        in_service = self.realised - self.out_of_service
        if in_service <= 0:
            return None
        return (Decimal(100) * self.occupied / in_service).quantize(Decimal("0.1"), ROUND_HALF_UP)


KEY_FIELDS = ("locations", "realised", "occupied", "available", "snijverlies", "out_of_service")


def period_snapshot(region: Region, *, start: dt.date, end: dt.date) -> CapacitySnapshot | None:
    """The region's snapshot of the last day in [start, end] that has one."""
    return (CapacitySnapshot.objects.filter(region=region, as_of__range=(start, end))
            .order_by("-as_of").first())


def key_figures(snapshot: CapacitySnapshot | None) -> KeyFigures | None:
    """The snapshot's totals, summed in the database. Locations: those with realised beds
    (open or closing); a location in preparation has none yet."""
    if snapshot is None:
        return None
    sums = LocationSnapshot.objects.filter(snapshot=snapshot).aggregate(
        locations=Count("pk", filter=Q(realised__gt=0)),
        **{name: Coalesce(Sum(name), 0) for name in KEY_FIELDS if name != "locations"})
    return KeyFigures(as_of=snapshot.as_of, **sums)


@dataclass(frozen=True)
class KeyFigureRow:
    label: str
    value: int | Decimal | None
    previous: int | Decimal | None
    is_rate: bool = False

    @property
    def change(self) -> int | Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    # Formatted in the active language (the report's): 1.234 and 92,5 % in Dutch, 1,234 in English.
    @property
    def value_display(self) -> str:
        return number(self.value, rate=self.is_rate)

    @property
    def previous_display(self) -> str:
        return number(self.previous, rate=self.is_rate)

    @property
    def change_display(self) -> str:
        change = self.change
        if change is None:
            return "–"
        sign = "+" if change > 0 else "−" if change < 0 else "±"
        text = number(abs(change), rate=False, decimals=1 if self.is_rate else 0)
        return f"{sign}{text}" + (" " + _("procentpunt") if self.is_rate else "")


def number(value: int | Decimal | None, *, rate: bool = False, decimals: int | None = None) -> str:
    """A whole number with thousands separators, or a percentage with one decimal."""
    from django.utils import formats

    if value is None:
        return "–"
    places = decimals if decimals is not None else (1 if rate else 0)
    text = formats.number_format(value, places, use_l10n=True, force_grouping=True)
    return f"{text} %" if rate else text


def key_figure_rows(current: KeyFigures | None, previous: KeyFigures | None) -> list[KeyFigureRow]:
    if current is None:
        return []

    def prev(name: str) -> Any:
        return getattr(previous, name) if previous is not None else None

    labels = [("locations", _("Locaties in gebruik")), ("realised", _("Gerealiseerde bedden")),
              ("occupied", _("Bezet")), ("available", _("Beschikbaar")), ("snijverlies", _("Snijverlies")),
              ("out_of_service", _("Buiten gebruik"))]
    rows = [KeyFigureRow(label, getattr(current, name), prev(name)) for name, label in labels]
    rows.append(KeyFigureRow(_("Bezettingsgraad"), current.occupancy_rate, prev("occupancy_rate"), is_rate=True))
    return rows


# --- placements -------------------------------------------------------------------------------

@dataclass(frozen=True)
class MovementRow:
    label: str
    households: int
    persons: int | None


def _bounds(start: dt.date, end_exclusive: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz), dt.datetime.combine(end_exclusive, dt.time.min, tzinfo=tz))


def placement_movements(region: Region, *, start: dt.date, end_exclusive: dt.date) -> list[MovementRow]:
    """Counted from the placements' append-only event log (placements/models.py), so a later
    change of a placement does not change last month's count. Placements: confirmed in the
    period (a transfer's new placement is counted as a transfer, not again as a placement);
    departures: households that left the region's care (a transfer is not a departure);
    transfers: overplaatsingen and each household of a ruil. Supra-regional requests: made in
    the period, outgoing (to the KCIO or another region) and incoming. Two queries."""
    from placements.models import PlacementEvent, SupraRegionalRequest

    begin, end = _bounds(start, end_exclusive)
    Kind = PlacementEvent.Kind
    events = {row["kind"]: row for row in (
        PlacementEvent.objects.filter(request__region=region, at__gte=begin, at__lt=end,
                                      kind__in=[Kind.CONFIRMED, Kind.ARRIVED, Kind.DEPARTED, Kind.TRANSFERRED,
                                                Kind.SWAPPED])
        .values("kind").annotate(households=Count("pk"), persons=Coalesce(Sum("placement__persons"), 0)))}

    def of(*kinds: str) -> tuple[int, int]:
        return (sum(events.get(k, {}).get("households", 0) for k in kinds),
                sum(events.get(k, {}).get("persons", 0) for k in kinds))

    supra = {row["direction"]: row for row in (
        SupraRegionalRequest.objects.filter(region=region, created_at__gte=begin, created_at__lt=end)
        .values("direction").annotate(households=Count("pk"), persons=Coalesce(Sum("household_size"), 0)))}
    Direction = SupraRegionalRequest.Direction

    def supra_of(direction: str) -> tuple[int, int]:
        row = supra.get(direction, {})
        return row.get("households", 0), row.get("persons", 0)

    return [
        MovementRow(_("Plaatsingen"), *of(Kind.CONFIRMED)),
        MovementRow(_("Aankomsten"), *of(Kind.ARRIVED)),
        MovementRow(_("Vertrekken"), *of(Kind.DEPARTED)),
        MovementRow(_("Overplaatsingen en ruilingen"), *of(Kind.TRANSFERRED, Kind.SWAPPED)),
        MovementRow(_("Bovenregionale verzoeken, uitgaand"), *supra_of(Direction.OUTGOING)),
        MovementRow(_("Bovenregionale verzoeken, inkomend"), *supra_of(Direction.INCOMING)),
    ]


# --- casework (aggregates only) ---------------------------------------------------------------

@dataclass(frozen=True)
class CaseworkCounts:
    rows: list[tuple[str, str]]  # (category, displayed count: "<5" for 1–4)
    total: str | None  # None when it would reveal a suppressed count


def casework_counts(region: Region, *, start: dt.date, end_exclusive: dt.date) -> CaseworkCounts:
    from casework.selectors import case_counts, small_count

    rows = case_counts(region=region, period_start=start, period_end=end_exclusive, by=("category",))
    shown = [(row["category"], row["display"]) for row in rows]
    suppressed = any(row["display"] != str(row["count"]) for row in rows)
    total = sum(row["count"] for row in rows)
    # The total minus the shown categories would give a "<5" away, so then no total at all.
    return CaseworkCounts(rows=shown, total=None if suppressed else small_count(total) if total else "0")


# --- the sections of other capabilities (trends, targets, costs) ------------------------------

@dataclass
class Section:
    """A part of the report that comes from another capability; `missing` is the Dutch reason
    when it could not be made (never an empty table that looks like "nothing")."""

    data: Any = None
    missing: str = ""


def _unavailable(name: str) -> Section:
    return Section(missing=_("Dit onderdeel (%(name)s) is in deze installatie nog niet beschikbaar.") % {"name": name})


def trend_section(region: Region, *, as_of: dt.date) -> Section:
    try:
        from .charts import svg_data_uri, trend_chart_svg, trend_table, weekly_points
        from .trends import region_trend
    except ImportError:
        return _unavailable(_("trends"))
    start = as_of - relativedelta(months=TREND_MONTHS) + dt.timedelta(days=1)
    points = region_trend(region, start=start, end=as_of)
    title = _("Capaciteit en bezetting, %(start)s – %(end)s") % {
        "start": _date(start), "end": _date(as_of)}
    headers, rows = trend_table(weekly_points(points))
    return Section(data={"uri": svg_data_uri(trend_chart_svg(points, title=title)), "title": title,
                         "headers": headers, "rows": rows, "points": len(points)})


def cliff_section(region: Region, *, as_of: dt.date) -> Section:
    try:
        from .charts import cliff_chart_svg, cliff_table, svg_data_uri
        from .trends import capacity_cliff, capacity_ending_within
    except ImportError:
        return _unavailable(_("capaciteit die afloopt"))
    months = capacity_cliff(region, as_of=as_of, months=12)
    if not months:
        return Section(missing=_("Er is geen momentopname op of voor %(day)s: de einddatums zijn niet bekend.")
                       % {"day": _date(as_of)})
    title = _("Bedden die aflopen per maand, vanaf %(day)s") % {"day": _date(as_of)}
    headers, rows = cliff_table(months)
    windows = {n: capacity_ending_within(region, as_of=as_of, months=n) for n in ENDING_WINDOWS}
    summary = [{"months": n, "locations": len(windows[n]), "beds": sum(loc.beds for loc in windows[n])}
               for n in ENDING_WINDOWS]
    within = {n: {loc.code for loc in windows[n]} for n in ENDING_WINDOWS}
    locations = [{"location": loc, "window": next(n for n in ENDING_WINDOWS if loc.code in within[n])}
                 for loc in windows[ENDING_WINDOWS[-1]]]
    return Section(data={"uri": svg_data_uri(cliff_chart_svg(months, title=title)), "title": title,
                         "headers": headers, "rows": rows, "summary": summary, "locations": locations})


def targets_section(region: Region, *, year: int, as_of: dt.date) -> Section:
    try:
        from .targets import target_progress
    except ImportError:
        return _unavailable(_("taakstelling"))
    return Section(data=target_progress(region, year=year, as_of=as_of))


def costs_section(region: Region, *, year: int, as_of: dt.date) -> Section:
    try:
        from .costs import cost_summary
    except ImportError:
        return _unavailable(_("kosten en declaraties"))
    return Section(data=cost_summary(region, year=year, as_of=as_of))


def _date(day: dt.date) -> str:
    from django.utils import formats

    return formats.date_format(day, "j F Y")


# --- the report -------------------------------------------------------------------------------

@dataclass
class BoardReportData:
    region: Region
    period: dt.date
    period_end: dt.date
    language: str
    as_of: dt.date | None
    previous_as_of: dt.date | None
    key_rows: list[KeyFigureRow]
    movements: list[MovementRow]
    casework: CaseworkCounts
    trend: Section
    cliff: Section
    targets: Section
    costs: Section
    items: dict[str, list] = field(default_factory=dict)
    generated_at: dt.datetime | None = None

    @property
    def partial(self) -> bool:
        """The month had not ended when the report was made: its figures are of `as_of`, not
        of the month's end, and a later version will differ."""
        return self.generated_at is not None and timezone.localdate(self.generated_at) <= self.period_end

    @property
    def item_groups(self) -> list[tuple[str, list]]:
        return [(_("Open besluiten, knelpunten en acties"), self.items.get("open", [])),
                (_("Afgerond of vervallen in deze periode"), self.items.get("recent", []))]


def _no_progress(_percent: int, _step: str) -> None:
    return None


def board_report_data(region: Region, *, period: dt.date, language: str = "nl",
                      progress: ProgressCallback = _no_progress, generated_at: dt.datetime | None = None
                      ) -> BoardReportData:
    """Everything the report shows, for the month starting on `period` (call inside
    translation.override(language): section titles and table headers are made here)."""
    period = month_start(period)
    end = month_end(period)
    next_month = end + dt.timedelta(days=1)
    previous_period = period - relativedelta(months=1)

    progress(10, gettext_noop("Kerncijfers"))
    snapshot = period_snapshot(region, start=period, end=end)
    previous_snapshot = period_snapshot(region, start=previous_period, end=period - dt.timedelta(days=1))
    current, previous = key_figures(snapshot), key_figures(previous_snapshot)
    # What "ends when" is read at the day the key figures stand on, or at the month's end.
    as_of = current.as_of if current else end

    progress(20, gettext_noop("Grafiek capaciteit en bezetting"))
    trend = trend_section(region, as_of=as_of)
    progress(35, gettext_noop("Capaciteit die afloopt"))
    cliff = cliff_section(region, as_of=as_of)
    progress(50, gettext_noop("Plaatsingen en vertrekken"))
    movements = placement_movements(region, start=period, end_exclusive=next_month)
    progress(60, gettext_noop("Casuïstiek"))
    casework = casework_counts(region, start=period, end_exclusive=next_month)
    progress(70, gettext_noop("Taakstelling"))
    targets = targets_section(region, year=period.year, as_of=as_of)
    progress(78, gettext_noop("Kosten en declaraties"))
    costs = costs_section(region, year=period.year, as_of=as_of)
    progress(85, gettext_noop("Besluiten- en actielijst"))
    items = board_items_for_report(region, period_start=period, period_end=next_month)
    return BoardReportData(region=region, period=period, period_end=end, language=language,
                           as_of=current.as_of if current else None,
                           previous_as_of=previous.as_of if previous else None,
                           key_rows=key_figure_rows(current, previous), movements=movements, casework=casework,
                           trend=trend, cliff=cliff, targets=targets, costs=costs, items=items,
                           generated_at=generated_at or timezone.now())


def render_board_pdf(data: BoardReportData) -> bytes:
    """The report as an A4 PDF (WeasyPrint). Slow: never inside a transaction."""
    from weasyprint import HTML

    html = render_to_string("reporting/board_report_pdf.html", {"r": data})
    return HTML(string=html).write_pdf()


@dataclass(frozen=True)
class BuiltReport:
    pdf: bytes
    sha256: str
    as_of: dt.date | None


def build_board_report(region: Region, *, period: dt.date, language: str = "nl",
                       progress: ProgressCallback = _no_progress) -> BuiltReport:
    """Gather and render, in the report's language."""
    with translation.override(language):
        data = board_report_data(region, period=period, language=language, progress=progress)
        progress(90, gettext_noop("PDF opmaken"))
        pdf = render_board_pdf(data)
    return BuiltReport(pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), as_of=data.as_of)


# --- the stored reports: request, build, monthly ----------------------------------------------

def _stale_before() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.BOARD_REPORT_STALE_MINUTES)


def board_report_qs_for(user: User) -> QuerySet[BoardReport]:
    """Reports a user may see: staff and bestuur, of their regions. Without the PDF column (a
    list must not read every file); `.defer` is undone by board_report_pdf_bytes."""
    if not permissions.can_read_reports(user):
        return BoardReport.objects.none()
    return (BoardReport.objects.filter(region__in=region_qs_for(user)).select_related("region", "requested_by")
            .defer("pdf"))


def current_reports(qs: QuerySet[BoardReport]) -> QuerySet[BoardReport]:
    """The newest finished version per (region, month, language)."""
    return (qs.filter(status=BoardReportStatus.DONE)
            .order_by("region_id", "-period", "language", "-version")
            .distinct("region_id", "period", "language"))


def _check_request(period: dt.date, language: str) -> None:
    if language not in LANGUAGES:
        raise ApplicationError(_("Kies Nederlands of Engels."), code="invalid",
                               extra={"fields": {"language": [_("Kies Nederlands of Engels.")]}})
    if period != month_start(period):
        raise ApplicationError(_("Een periode is een hele maand."), code="invalid",
                               extra={"fields": {"period": [_("Een periode is een hele maand.")]}})
    if period > month_start(timezone.localdate()):
        message = _("%(month)s is nog niet begonnen: kies deze maand of een eerdere.") % {
            "month": period.strftime("%m-%Y")}
        raise ApplicationError(message, code="period_in_future", extra={"fields": {"period": [message]}})
    if period.year < 2022:
        message = _("Kies een maand vanaf januari 2022.")
        raise ApplicationError(message, code="invalid", extra={"fields": {"period": [message]}})


def board_report_request(*, region: Region, period: dt.date, language: str = "nl",
                         user: User | None = None) -> tuple[BoardReport, bool]:
    """Ask for a report of one region and month: the build that is already queued or running for
    the same month and language, or a new version queued for the worker (after commit).
    Returns (report, created). A build that has hung (or a request that never reached a worker)
    longer than BOARD_REPORT_STALE_MINUTES counts as failed, so it never blocks a new request."""
    _check_request(period, language)
    with transaction.atomic():
        # One request at a time per region: the version number and "one active build" are read
        # and written under this lock (the partial unique index is the second line).
        Region.objects.select_for_update().filter(pk=region.pk).get()
        key = {"region": region, "period": period, "language": language}
        stale = _stale_before()
        BoardReport.objects.filter(
            Q(status=BoardReportStatus.BUILDING, started_at__lt=stale) | Q(status=BoardReportStatus.QUEUED,
                                                                             created_at__lt=stale),
            **key).update(status=BoardReportStatus.FAILED, error=_("Het maken duurde te lang en is afgebroken."),
                          finished_at=timezone.now(), updated_at=timezone.now())
        active = BoardReport.objects.filter(**key, status__in=ACTIVE_REPORT_STATUSES).defer("pdf").first()
        if active is not None:
            return active, False
        last = BoardReport.objects.filter(**key).aggregate(n=Max("version"))["n"] or 0
        report = BoardReport.objects.create(**key, version=last + 1, requested_by=user,
                                            step=gettext_noop("In de wachtrij"))
        # robust: a broker that is down must not turn the committed request into an error page;
        # the report then stays queued and counts as failed after BOARD_REPORT_STALE_MINUTES.
        transaction.on_commit(lambda: _enqueue(report.pk), robust=True)
    return report, True


def _enqueue(report_id: int) -> None:
    from .tasks_board import build_board_report_task

    build_board_report_task.delay(report_id)


def board_report_run(report_id: int) -> BoardReport | None:
    """Build a queued report (the Celery task's body). Progress is written as it goes, each
    step its own short statement, so the page polling it sees it move. A report that is done,
    failed, or being built by another worker is left alone (a redelivered task does nothing)."""
    with transaction.atomic():
        report = BoardReport.objects.select_for_update().select_related("region").defer("pdf").filter(
            pk=report_id).first()
        if report is None:
            return None
        takeover = report.status == BoardReportStatus.BUILDING and report.started_at and (
            report.started_at < _stale_before())
        if report.status != BoardReportStatus.QUEUED and not takeover:
            return report
        report.status, report.started_at = BoardReportStatus.BUILDING, timezone.now()
        report.progress, report.step = 5, gettext_noop("Wordt gemaakt")
        report.save(update_fields=["status", "started_at", "progress", "step", "updated_at"])

    def progress(percent: int, step: str) -> None:
        BoardReport.objects.filter(pk=report_id, status=BoardReportStatus.BUILDING).update(
            progress=percent, step=step[:120], updated_at=timezone.now())

    try:
        built = build_board_report(report.region, period=report.period, language=report.language,
                                   progress=progress)
    except Exception as exc:
        # The class only: an exception's text might quote data, and this field is shown.
        logger.exception("board report %s (region %s, %s) failed", report.pk, report.region.code, report.period)
        BoardReport.objects.filter(pk=report_id, status=BoardReportStatus.BUILDING).update(
            status=BoardReportStatus.FAILED, finished_at=timezone.now(), updated_at=timezone.now(),
            error=(_("Het maken is mislukt (%(error)s). Vraag de rapportage opnieuw aan.")
                   % {"error": type(exc).__name__})[:300])
        raise
    with transaction.atomic():
        BoardReport.objects.filter(pk=report_id, status=BoardReportStatus.BUILDING).update(
            status=BoardReportStatus.DONE, pdf=built.pdf, sha256=built.sha256, size=len(built.pdf), as_of=built.as_of,
            progress=100, step=gettext_noop("Klaar"), finished_at=timezone.now(), updated_at=timezone.now(), error="")
    report.refresh_from_db(fields=["status", "progress", "step", "sha256", "size", "as_of", "finished_at"])
    logger.info("board report %s (region %s, %s, %s) built: %d bytes", report.pk, report.region.code,
                report.period, report.language, report.size)
    return report


def board_reports_monthly(*, today: dt.date) -> list[BoardReport]:
    """The scheduled job: the previous month's report of every region, in each of
    BOARD_REPORT_LANGUAGES. Idempotent: a region that has it (finished or on its way) gets
    nothing new, so running the job daily also rebuilds a failed one the next day — but not
    after BOARD_REPORT_MAX_FAILURES failures of the same month, which then needs a person."""
    period = month_start(today) - relativedelta(months=1)
    made = []
    for region in Region.objects.order_by("code"):
        for language in settings.BOARD_REPORT_LANGUAGES:
            key = {"region": region, "period": period, "language": language}
            existing = BoardReport.objects.filter(**key).exclude(status=BoardReportStatus.FAILED)
            if existing.exists():
                continue
            if BoardReport.objects.filter(**key).count() >= settings.BOARD_REPORT_MAX_FAILURES:
                logger.warning("board report %s %s %s: failed %d times, not retried", region.code, period,
                               language, settings.BOARD_REPORT_MAX_FAILURES)
                continue
            report, created = board_report_request(region=region, period=period, language=language, user=None)
            if created:
                made.append(report)
    return made
