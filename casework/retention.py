"""Retention (issue 7, point 9): nothing about residents is kept longer than allowed.

Three rules, each configurable in months (rcvs/settings.py):

(a) CASEWORK_SPECIAL_PSEUDONYMISE_MONTHS — once a household has left the region that long ago
    (no active placement, and its last departure, `Placement.departed_on`, lies before the
    cutoff), the text of every version of each special-category entry of its cases is replaced
    by a fixed marker and `pseudonymised_at` is set. The entry itself must be older than the
    cutoff too, so an entry added after the departure is kept for the full period. The free
    texts that may carry health data as well (a referral's note and rejection reason, a case's
    close note — the ones kept out of history tables for that reason) get the same marker.
    A household that never stayed (only released reservations) has no departure date and is
    left to rule (b).
(b) CASEWORK_CLOSED_DELETE_MONTHS — a case closed before the cutoff is removed with everything
    that hangs from it (entries, versions, referrals, shares, SIGNAL shares, links) AND the
    simple-history rows of every removed object, including the "deleted" rows that the
    removal itself makes.
(c) CASEWORK_READ_LOG_KEEP_MONTHS — read-log rows older than the cutoff are deleted through
    `services.read_log_purge`, the one way the database trigger allows. The read log of a
    removed case is kept for its own period: it says who saw what, not what it said.

Every rule works in batches, each in its own transaction, re-reading and locking its rows
(cases before entries, as the services lock) and re-checking the rule under the lock; so a run
is idempotent and can be repeated or interrupted at any point. Texts are overwritten with
QuerySet.update, which writes no history row; nothing is logged but counts.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import asdict, dataclass, fields

from django.conf import settings
from django.db import router, transaction
from django.db.models import Exists, Max, Model, OuterRef, Q
from django.db.models.deletion import Collector

from placements.models import ACTIVE_PLACEMENT_STATUSES, Placement, PlacementRequest, PlacementStatus

from . import services
from .models import Case, CaseEntry, CaseEntryVersion, CaseStatus, Referral, RetentionRun

logger = logging.getLogger(__name__)

# What a pseudonymised text reads afterwards (Dutch on purpose: it is stored, not translated).
PSEUDONYMISED_MARKER = "[verwijderd na bewaartermijn]"
BATCH_SIZE = 200


@dataclass
class RetentionReport:
    """Counts per rule; never names, ids or texts."""

    entries_pseudonymised: int = 0
    versions_pseudonymised: int = 0
    free_texts_pseudonymised: int = 0
    cases_deleted: int = 0
    entries_deleted: int = 0
    versions_deleted: int = 0
    referrals_deleted: int = 0
    shares_deleted: int = 0
    signal_shares_deleted: int = 0
    history_rows_deleted: int = 0
    read_log_rows_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same moment `months` calendar months earlier (31 March minus one month: 28/29 February)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


# --- (a) pseudonymise special-category data after the household left -------------------------

def households_left_before(cutoff: dt.date):
    """Households (placement requests) with no active placement whose last departure lies
    before `cutoff`."""
    active = Placement.objects.filter(request=OuterRef("pk"), status__in=ACTIVE_PLACEMENT_STATUSES)
    return (PlacementRequest.objects.filter(~Exists(active))
            .annotate(left_on=Max("placements__departed_on",
                                  filter=Q(placements__status=PlacementStatus.DEPARTED)))
            .filter(left_on__lt=cutoff))


def _pseudonymise_batch(case_ids: list[int], *, now: dt.datetime, cutoff: dt.datetime,
                        report: RetentionReport) -> None:
    with transaction.atomic():
        # Cases first, then their entries (the services' lock order); then re-check the rule.
        locked = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=case_ids)
                      .order_by("pk").values_list("pk", flat=True))
        left = households_left_before(cutoff.date()).values("pk")
        still = list(Case.objects.filter(pk__in=locked, household__in=left).values_list("pk", flat=True))
        entries = list(CaseEntry.objects.select_for_update().filter(
            case_id__in=still, special_category=True, pseudonymised_at__isnull=True, created_at__lt=cutoff)
            .order_by("pk").values_list("pk", flat=True))
        if entries:
            report.versions_pseudonymised += (CaseEntryVersion.objects.filter(entry_id__in=entries)
                                              .update(text=PSEUDONYMISED_MARKER, updated_at=now))
            report.entries_pseudonymised += (CaseEntry.objects.filter(pk__in=entries)
                                             .update(pseudonymised_at=now, updated_at=now))
        # Free texts that may carry health data; update() writes no history row.
        texts = 0
        referrals = Referral.objects.filter(case_id__in=still, created_at__lt=cutoff)  # UPDATE locks them
        texts += referrals.exclude(note="").exclude(note=PSEUDONYMISED_MARKER).update(note=PSEUDONYMISED_MARKER)
        texts += (referrals.exclude(rejection_reason="").exclude(rejection_reason=PSEUDONYMISED_MARKER)
                  .update(rejection_reason=PSEUDONYMISED_MARKER))
        texts += (Case.objects.filter(pk__in=still).exclude(closed_note="").exclude(closed_note=PSEUDONYMISED_MARKER)
                  .update(closed_note=PSEUDONYMISED_MARKER))
        report.free_texts_pseudonymised += texts


def _pseudonymise(*, now: dt.datetime, report: RetentionReport) -> None:
    cutoff = months_before(now, settings.CASEWORK_SPECIAL_PSEUDONYMISE_MONTHS)
    left = households_left_before(cutoff.date()).values("pk")
    pending = (Q(entries__special_category=True, entries__pseudonymised_at__isnull=True,
                 entries__created_at__lt=cutoff)
               | (Q(referrals__created_at__lt=cutoff)
                  & ((~Q(referrals__note="") & ~Q(referrals__note=PSEUDONYMISED_MARKER))
                     | (~Q(referrals__rejection_reason="")
                        & ~Q(referrals__rejection_reason=PSEUDONYMISED_MARKER))))
               | (~Q(closed_note="") & ~Q(closed_note=PSEUDONYMISED_MARKER)))
    case_ids = list(Case.objects.filter(household__in=left).filter(pending).distinct()
                    .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(case_ids), BATCH_SIZE):
        _pseudonymise_batch(case_ids[start:start + BATCH_SIZE], now=now, cutoff=cutoff, report=report)


# --- (b) remove closed cases, with their history -------------------------------------------------

_DELETED_COUNTERS = {
    "casework.case": "cases_deleted",
    "casework.caseentry": "entries_deleted",
    "casework.caseentryversion": "versions_deleted",
    "casework.referral": "referrals_deleted",
    "casework.caseshare": "shares_deleted",
    "casework.signalshare": "signal_shares_deleted",
}


def _history_model(model: type[Model]) -> type[Model] | None:
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    return getattr(model, attribute).model if attribute else None


def _delete_batch(case_ids: list[int], *, cutoff: dt.datetime, report: RetentionReport) -> None:
    with transaction.atomic():
        cases = list(Case.objects.select_for_update(of=("self",))
                     .filter(pk__in=case_ids, status=CaseStatus.CLOSED, closed_at__lt=cutoff).order_by("pk"))
        if not cases:
            return
        # The collector finds every row the removal cascades to; with it we know which history
        # rows belong to removed objects (simple-history keeps them, and adds a "deleted" row).
        collector = Collector(using=router.db_for_write(Case))
        collector.collect(cases)
        removed: dict[type[Model], set[int]] = {model: {obj.pk for obj in objs}
                                                for model, objs in collector.data.items()}
        histories = [(history.objects.filter(**{f"{model._meta.pk.attname}__in": pks}))
                     for model, pks in removed.items() if pks and (history := _history_model(model)) is not None]
        # Counted before the removal: the "deleted" rows it adds are removed too, but were never kept.
        report.history_rows_deleted += sum(rows.count() for rows in histories)
        _total, by_model = collector.delete()
        for label, n in by_model.items():
            counter = _DELETED_COUNTERS.get(label.lower())
            if counter:
                setattr(report, counter, getattr(report, counter) + n)
        for rows in histories:
            rows.delete()


def _delete_closed(*, now: dt.datetime, report: RetentionReport) -> None:
    cutoff = months_before(now, settings.CASEWORK_CLOSED_DELETE_MONTHS)
    case_ids = list(Case.objects.filter(status=CaseStatus.CLOSED, closed_at__lt=cutoff)
                    .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(case_ids), BATCH_SIZE):
        _delete_batch(case_ids[start:start + BATCH_SIZE], cutoff=cutoff, report=report)


# --- (c) the read log ----------------------------------------------------------------------------

def _purge_read_log(*, now: dt.datetime, report: RetentionReport) -> None:
    cutoff = months_before(now, settings.CASEWORK_READ_LOG_KEEP_MONTHS)
    report.read_log_rows_deleted += services.read_log_purge(before=cutoff)


def retention_apply(*, now: dt.datetime) -> RetentionReport:
    """Apply the three rules as of `now` and say how many rows each touched. Idempotent."""
    report = RetentionReport()
    _pseudonymise(now=now, report=report)
    _delete_closed(now=now, report=report)
    _purge_read_log(now=now, report=report)
    return report


def retention_run_record(*, report: RetentionReport, ran_at: dt.datetime, finished_at: dt.datetime) -> RetentionRun:
    return RetentionRun.objects.create(ran_at=ran_at, finished_at=finished_at, **report.as_dict())


def retention_compact(*, report: RetentionReport) -> list[str]:
    """Rewrite the casework tables after a run that changed rows (VACUUM FULL).

    An UPDATE or DELETE in PostgreSQL leaves the old row version in the table file until vacuum
    reclaims it, and plain VACUUM only marks the space free: the overwritten text would still be
    readable from the disk (and this installation may run with autovacuum off). VACUUM FULL writes
    the live rows to a new file and drops the old one. It takes an exclusive lock for the seconds
    these tables need, hence at night. It cannot run inside a transaction: call it from the task,
    never from a request. Returns the tables it rewrote."""
    from django.apps import apps
    from django.db import connection

    if not report.total:
        return []
    if connection.in_atomic_block:  # VACUUM is refused inside a transaction; the next run compacts
        logger.warning("Retention: tables not compacted, called inside a transaction")
        return []

    tables = sorted({model._meta.db_table for model in apps.get_app_config("casework").get_models()
                     if not model._meta.proxy and model._meta.managed})
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (FULL, ANALYZE) {connection.ops.quote_name(table)}")
    return tables
