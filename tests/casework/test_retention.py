"""Retention (issue 7, point 9): special-category text pseudonymised after the household left,
closed cases removed with their history, read-log rows purged after their own period — dates
set in the past, no sleeping; and nothing left behind in any table, history tables included."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from celery.schedules import crontab
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg import sql

from casework.models import (
    Case,
    CaseAccess,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    Referral,
    RetentionRun,
    SignalShare,
)
from casework.retention import PSEUDONYMISED_MARKER, months_before, retention_apply
from casework.services import (
    case_close,
    case_log_read,
    entry_add,
    entry_edit,
    referral_create,
    referral_reject,
    share_create,
    signal_share_create,
)
from placements.services import placement_arrive, placement_depart
from tests.casework.conftest import open_case
from tests.factories import CaseEntryFactory

pytestmark = pytest.mark.django_db

SPECIAL = "Slaapt slecht sinds de beschietingen; PTSS-behandeling bij de GGZ gestart"
SPECIAL_V2 = "Aanvulling: medicatie tegen angstklachten voorgeschreven"
PLAIN = "Afspraak gemaakt over de huisregels"
REFERRAL_NOTE = "Intake GGZ wegens trauma en nachtmerries"
DAY = dt.timedelta(days=1)


def rows_containing(text: str) -> dict[str, int]:
    """Every table of the database with a row whose text form contains `text` (history tables,
    the read log, anything): the proof that no copy is left behind."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(sql.SQL("SELECT count(*) FROM {} AS t WHERE t::text LIKE %s").format(sql.Identifier(table)),
                           [f"%{text}%"])
            n = cursor.fetchone()[0]
            if n:
                found[table] = n
    return found


def historical_models():
    return [m for m in apps.get_app_config("casework").get_models() if m.__name__.startswith("Historical")]


def leave(user, placement, *, days_ago: int):
    """The household arrived long ago and left the region `days_ago` days ago."""
    now = timezone.now()
    placement = placement_arrive(user=user, placement=placement, at=now - dt.timedelta(days=days_ago + 60))
    return placement_depart(user=user, placement=placement, on=timezone.localdate(now) - days_ago * DAY,
                            reason="own_housing")


def backdate(*, entries=(), referrals=(), days_ago: int):
    past = timezone.now() - days_ago * DAY
    CaseEntry.objects.filter(pk__in=[e.pk for e in entries]).update(created_at=past)
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(created_at=past)


@pytest.fixture
def departed(cw, personas):
    """A special case of the Noord household, which left the region 7 months ago (rule: 6)."""
    case = open_case(user=cw.special, household=cw.household, code="psychisch_trauma", owner=cw.special,
                     subject=cw.child)
    special = entry_add(user=cw.special, case=case, kind="huisbezoek", text=SPECIAL)
    entry_edit(user=cw.special, entry=special, text=SPECIAL_V2, now=special.locks_at + DAY)  # version 2
    plain = entry_add(user=cw.special, case=case, kind="notitie", text=PLAIN, special_category=False)
    referral = referral_create(user=cw.special, case=case, to_kind="huisarts_ggz", to_organisation="GGZ Noord-Test",
                               note=REFERRAL_NOTE)
    leave(personas.coordinator, cw.placement, days_ago=7 * 31)
    backdate(entries=[special, plain], referrals=[referral], days_ago=7 * 31 + 5)
    return case, special, plain, referral


def test_months_before_keeps_to_the_calendar():
    moment = dt.datetime(2026, 3, 31, 2, 30, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 2, 30, tzinfo=dt.UTC)
    assert months_before(moment, 13) == dt.datetime(2025, 2, 28, 2, 30, tzinfo=dt.UTC)
    assert months_before(moment, 24) == dt.datetime(2024, 3, 31, 2, 30, tzinfo=dt.UTC)
    assert months_before(dt.datetime(2028, 3, 29, tzinfo=dt.UTC), 1) == dt.datetime(2028, 2, 29, tzinfo=dt.UTC)


def test_special_entries_of_a_household_that_left_are_pseudonymised_everywhere(cw, departed):
    case, special, plain, referral = departed
    closed = open_case(user=cw.special, household=cw.household, code="overlast", owner=cw.special)
    case_close(user=cw.special, case=closed, reason="vertrokken", note="Vertrokken na opname in kliniek")
    assert rows_containing("PTSS") and rows_containing("nachtmerries") and rows_containing("kliniek")

    report = retention_apply(now=timezone.now())

    special.refresh_from_db()
    assert special.pseudonymised_at is not None
    assert list(special.versions.order_by("number").values_list("number", "text")) == [
        (1, PSEUDONYMISED_MARKER), (2, PSEUDONYMISED_MARKER)]
    assert plain.versions.get().text == PLAIN  # not special: kept until the case is removed
    referral.refresh_from_db()
    assert referral.note == PSEUDONYMISED_MARKER
    closed.refresh_from_db()
    assert closed.closed_note == PSEUDONYMISED_MARKER
    assert (report.entries_pseudonymised, report.versions_pseudonymised, report.free_texts_pseudonymised) == (1, 2, 2)
    assert report.cases_deleted == 0
    # No copy anywhere: not in a history table, not in the read log, nowhere.
    assert rows_containing("PTSS") == {}
    assert rows_containing("angstklachten") == {}
    assert rows_containing("nachtmerries") == {}
    assert rows_containing("kliniek") == {}
    assert Case.objects.filter(pk=case.pk).exists()


def test_special_entries_are_kept_while_the_household_stays_or_left_recently(cw, personas):
    # Zuid household: still placed.
    staying = open_case(user=cw.coordinator_zuid, household=cw.household_zuid, code="zorg")
    kept_staying = CaseEntryFactory(case=staying, special_category=True, text="Diabetes, insuline dagelijks")
    # Noord household: left two months ago (rule: six).
    recent = open_case(user=cw.special, household=cw.household, code="zorg", owner=cw.special)
    kept_recent = entry_add(user=cw.special, case=recent, kind="notitie", text="Rolstoel nodig na operatie")
    leave(personas.coordinator, cw.placement, days_ago=2 * 31)
    backdate(entries=[kept_staying, kept_recent], days_ago=400)

    report = retention_apply(now=timezone.now())

    assert report.entries_pseudonymised == 0
    assert kept_staying.versions.get().text == "Diabetes, insuline dagelijks"
    assert kept_recent.versions.get().text == "Rolstoel nodig na operatie"
    assert not CaseEntry.objects.filter(pseudonymised_at__isnull=False).exists()


def test_a_household_transferred_within_the_region_has_not_left(cw, personas, world):
    """A transfer ends the old placement (departed) and starts a new one: the household is still here."""
    from placements.models import Placement
    from placements.services import placement_transfer

    case = open_case(user=cw.special, household=cw.household, code="zorg", owner=cw.special)
    entry = entry_add(user=cw.special, case=case, kind="notitie", text="Rolstoel nodig na operatie")
    old = placement_arrive(user=personas.coordinator, placement=cw.placement, at=timezone.now() - 400 * DAY)
    placement_transfer(user=personas.coordinator, placement=old, allocation=[(world.rooms_b[1].pk, 3)],
                       reason="Dichter bij school")
    Placement.objects.filter(pk=old.pk).update(departed_on=timezone.localdate() - 300 * DAY)
    backdate(entries=[entry], days_ago=400)

    report = retention_apply(now=timezone.now())

    assert report.entries_pseudonymised == 0
    assert entry.versions.get().text == "Rolstoel nodig na operatie"


def test_an_entry_added_after_the_departure_is_kept_for_the_full_period(cw, departed):
    case, special, _plain, _referral = departed
    late = CaseEntryFactory(case=case, special_category=True, text="Nagekomen bericht van de GGZ")

    retention_apply(now=timezone.now())

    assert late.versions.get().text == "Nagekomen bericht van de GGZ"
    late.refresh_from_db()
    assert late.pseudonymised_at is None


def test_pseudonymised_entry_can_no_longer_be_edited(cw, departed):
    from rcvs.errors import ApplicationError

    _case, special, _plain, _referral = departed
    retention_apply(now=timezone.now())
    with pytest.raises(ApplicationError) as exc:
        entry_edit(user=cw.special, entry=special, text="Poging tot herstel")
    assert exc.value.code in {"pseudonymised", "case_closed"}
    assert not CaseEntryVersion.objects.filter(text="Poging tot herstel").exists()


@pytest.fixture
def closed_long_ago(cw, personas):
    """A case with everything hanging from it, closed 25 months ago (rule: 24)."""
    now = timezone.now()
    case = open_case(user=cw.special, household=cw.household, code="middelengebruik", owner=cw.special)
    Case.objects.filter(pk=case.pk).update(summary="Retentie-oud-7Q2")
    case.refresh_from_db()
    entry = entry_add(user=cw.special, case=case, kind="overleg", text="Alcoholgebruik besproken, 7Q2-tekst")
    referral = referral_create(user=cw.special, case=case, to_kind="huisarts_ggz", to_organisation="GGZ Noord-Test",
                               note="Verslavingszorg 7Q2")
    referral_reject(user=cw.special, referral=referral, reason="Wachtlijst 7Q2")
    share = share_create(user=cw.special, case=case, to_user=personas.gemeente_a, purpose="Schuldhulp 7Q2",
                         until=timezone.localdate() + 10 * DAY)
    signal = signal_share_create(user=cw.special, case=case, text="Huishouden 18-64, middelen, 7Q2-signaal")
    read = case_log_read(user=cw.special, case=case, part="case", channel="page")
    case_close(user=cw.special, case=case, reason="opgelost", note="Afgerond 7Q2", now=now - 25 * 31 * DAY)
    return case, entry, referral, share, signal, read


def test_closed_cases_are_removed_with_everything_and_their_history(cw, closed_long_ago):
    case, entry, referral, share, signal, read = closed_long_ago
    # Recently closed and open cases stay.
    recent = open_case(user=cw.special, household=cw.household, owner=cw.special)
    case_close(user=cw.special, case=recent, reason="opgelost", now=timezone.now() - 3 * 31 * DAY)
    still_open = open_case(user=cw.special, household=cw.household, owner=cw.special)
    history = {m: m.objects.count() for m in historical_models()}
    assert history and all(history.values())
    assert rows_containing("7Q2")

    report = retention_apply(now=timezone.now())

    assert not Case.objects.filter(pk=case.pk).exists()
    assert not CaseEntry.objects.filter(pk=entry.pk).exists()
    assert not CaseEntryVersion.objects.filter(entry_id=entry.pk).exists()
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert not CaseShare.objects.filter(pk=share.pk).exists()
    assert not SignalShare.objects.filter(pk=signal.pk).exists()
    # Every history table of casework: no row of a removed object, not even the "deleted" row.
    from casework.models import HistoricalCase, HistoricalCaseShare, HistoricalReferral

    assert {m.__name__ for m in historical_models()} >= {"HistoricalCase", "HistoricalReferral",
                                                         "HistoricalCaseShare"}
    assert not HistoricalCase.objects.filter(id=case.pk).exists()
    assert not HistoricalReferral.objects.filter(id=referral.pk).exists()
    assert not HistoricalCaseShare.objects.filter(id=share.pk).exists()
    with connection.cursor() as cursor:  # and in the raw tables, past any manager
        for model, pk in ((HistoricalCase, case.pk), (HistoricalReferral, referral.pk),
                          (HistoricalCaseShare, share.pk)):
            cursor.execute(sql.SQL("SELECT count(*) FROM {} WHERE id = %s").format(
                sql.Identifier(model._meta.db_table)), [pk])
            assert cursor.fetchone()[0] == 0, model.__name__
    assert rows_containing("7Q2") == {}  # summary, texts, purpose, signal: nowhere any more
    # The read log outlives the case (its own period).
    assert CaseAccess.objects.filter(pk=read.pk, case_id=case.pk).exists()
    # The others are untouched, history included.
    assert Case.objects.filter(pk__in=[recent.pk, still_open.pk]).count() == 2
    assert HistoricalCase.objects.filter(id=recent.pk).exists()
    assert (report.cases_deleted, report.entries_deleted, report.versions_deleted, report.referrals_deleted,
            report.shares_deleted, report.signal_shares_deleted) == (1, 1, 1, 1, 1, 1)
    # Case: opened, referred, closed; referral: sent, rejected; share: shared — all removed (and
    # the "deleted" rows the removal itself wrote, which the report does not count as kept data).
    assert report.history_rows_deleted == sum(history.values()) - sum(
        m.objects.count() for m in historical_models())
    assert report.history_rows_deleted == 3 + 2 + 1


def test_read_log_rows_older_than_their_period_are_purged_and_younger_kept(cw):
    now = timezone.now()
    keep = settings.CASEWORK_READ_LOG_KEEP_MONTHS
    case = open_case(user=cw.special, household=cw.household, owner=cw.special)
    old = case_log_read(user=cw.special, case=case, part="case", channel="page",
                        now=months_before(now, keep) - DAY)
    young = case_log_read(user=cw.special, case=case, part="case", channel="page",
                          now=months_before(now, keep) + DAY)
    fresh = case_log_read(user=cw.special, case=case, part="entries", channel="api")

    report = retention_apply(now=now)

    assert report.read_log_rows_deleted == 1
    assert not CaseAccess.objects.filter(pk=old.pk).exists()
    assert set(CaseAccess.objects.values_list("pk", flat=True)) == {young.pk, fresh.pk}


def test_the_trigger_still_refuses_younger_rows_whatever_the_job_does(cw):
    """The job deletes only through read_log_purge; the database refuses a younger row even with
    the cutoff set, so a bug in the job cannot empty the log."""
    now = timezone.now()
    case = open_case(user=cw.special, household=cw.household, owner=cw.special)
    young = case_log_read(user=cw.special, case=case, part="case", channel="page", now=now - DAY)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)",
                       [months_before(now, settings.CASEWORK_READ_LOG_KEEP_MONTHS).isoformat()])
        cursor.execute("DELETE FROM casework_caseaccess")
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseAccess.objects.filter(pk=young.pk).delete()  # no cutoff at all
    assert CaseAccess.objects.filter(pk=young.pk).exists()


def test_a_second_run_does_nothing(cw, closed_long_ago, departed):
    now = timezone.now()
    first = retention_apply(now=now)
    assert first.entries_pseudonymised == 1 and first.cases_deleted == 1
    counts = {m: m.objects.count() for m in (Case, CaseEntry, CaseEntryVersion, Referral, CaseAccess,
                                             *historical_models())}
    versions = list(CaseEntryVersion.objects.order_by("pk").values_list("pk", "text", "updated_at"))

    second = retention_apply(now=now + dt.timedelta(minutes=5))

    assert second.as_dict() == {key: 0 for key in second.as_dict()}
    assert counts == {m: m.objects.count() for m in counts}
    assert versions == list(CaseEntryVersion.objects.order_by("pk").values_list("pk", "text", "updated_at"))


def test_nightly_task_records_and_logs_counts_only(cw, closed_long_ago, departed, caplog):
    from casework.tasks import apply_retention

    with caplog.at_level(logging.INFO, logger="casework.tasks"):
        result = apply_retention.delay().get()

    run = RetentionRun.objects.get()
    assert (run.entries_pseudonymised, run.versions_pseudonymised, run.cases_deleted) == (1, 2, 1)
    assert run.finished_at >= run.ran_at
    assert result["cases_deleted"] == 1 and result["entries_pseudonymised"] == 1
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "casework.tasks")
    assert "cases_deleted=1" in logged and "entries_pseudonymised=1" in logged
    for personal in ("Bondarenko", "Sofiia", "PTSS", "7Q2", "1234567890", cw.special.username):
        assert personal not in caplog.text


def test_beat_runs_the_job_nightly_with_time_limits():
    from casework.tasks import apply_retention

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "casework.tasks.apply_retention"]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab) and schedule.hour == {2} and schedule.minute == {30}
    assert apply_retention.name == "casework.tasks.apply_retention"
    assert 0 < apply_retention.soft_time_limit < apply_retention.time_limit


def test_retention_runs_are_read_only_for_a_superuser_in_the_admin(cw, client):
    run = RetentionRun.objects.create(cases_deleted=3, read_log_rows_deleted=11)
    client.force_login(cw.superuser)
    assert client.get("/admin/casework/retentionrun/").status_code == 200
    page = client.get(f"/admin/casework/retentionrun/{run.pk}/change/")
    assert page.status_code == 200 and 'name="cases_deleted"' not in page.text
    assert client.post(f"/admin/casework/retentionrun/{run.pk}/change/", {"cases_deleted": "0"}).status_code == 403
    assert client.get("/admin/casework/retentionrun/add/").status_code == 403
    assert client.post(f"/admin/casework/retentionrun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    run.refresh_from_db()
    assert run.cases_deleted == 3


@pytest.mark.django_db(transaction=True)
def test_a_version_written_while_the_job_runs_is_pseudonymised_too(cw, personas):
    """An edit in progress holds the case and the entry (as entry_edit does). The job waits for
    those locks and re-reads under them, so the version the edit adds does not escape."""
    import threading

    case = open_case(user=cw.special, household=cw.household, code="psychisch_trauma", owner=cw.special)
    entry = entry_add(user=cw.special, case=case, kind="huisbezoek", text=SPECIAL)
    leave(personas.coordinator, cw.placement, days_ago=7 * 31)
    backdate(entries=[entry], days_ago=7 * 31 + 5)
    locked, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def edit_in_progress() -> None:
        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                CaseEntry.objects.select_for_update().get(pk=entry.pk)
                locked.set()
                # Wait (at most 10 s) until the job is blocked on our locks, then add a version.
                with connection.cursor() as cursor:
                    for _attempt in range(200):
                        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND datname = current_database()")
                        if cursor.fetchone()[0]:
                            break
                        done.wait(0.05)
                CaseEntryVersion.objects.create(entry_id=entry.pk, number=2, text=SPECIAL_V2, author=cw.special)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    editor = threading.Thread(target=edit_in_progress)
    editor.start()
    assert locked.wait(10)
    report = retention_apply(now=timezone.now())
    editor.join(30)

    assert not errors, errors
    assert report.versions_pseudonymised == 2
    assert list(CaseEntryVersion.objects.filter(entry_id=entry.pk).values_list("text", flat=True)) == [
        PSEUDONYMISED_MARKER, PSEUDONYMISED_MARKER]


@pytest.mark.django_db(transaction=True)
def test_the_nightly_task_rewrites_the_tables_so_old_row_versions_leave_the_disk(cw, departed):
    from casework.tasks import apply_retention

    table = CaseEntryVersion._meta.db_table

    def filenode() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT relfilenode FROM pg_class WHERE relname = %s", [table])
            return cursor.fetchone()[0]

    before = filenode()
    counts = apply_retention.apply().get()
    assert counts["versions_pseudonymised"] >= 1
    assert filenode() != before  # VACUUM FULL wrote a new file; the old one, with the texts, is gone
    unchanged = filenode()
    assert apply_retention.apply().get()["versions_pseudonymised"] == 0
    assert filenode() == unchanged  # nothing changed, nothing rewritten
