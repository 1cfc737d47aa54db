"""The read log is append-only in the database itself (casework/migrations/0002)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from casework.models import CaseAccess

pytestmark = pytest.mark.django_db


def _row(**kwargs) -> CaseAccess:
    data = {"user_id": 1, "username": "coordinator", "case_id": 1, "part": "case", "channel": "page"}
    return CaseAccess.objects.create(**{**data, **kwargs})


def _raw(sql: str, params=()) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def test_database_refuses_update_by_raw_sql():
    row = _row()
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        _raw("UPDATE casework_caseaccess SET username = 'someone else' WHERE id = %s", [row.pk])
    row.refresh_from_db()
    assert row.username == "coordinator"


def test_database_refuses_update_through_the_orm():
    row = _row()
    with pytest.raises(DatabaseError):
        with transaction.atomic():
            CaseAccess.objects.filter(pk=row.pk).update(reason="rewritten")
    assert CaseAccess.objects.get(pk=row.pk).reason == ""


def test_database_refuses_delete_without_retention_cutoff():
    row = _row(at=timezone.now() - dt.timedelta(days=4000))
    with pytest.raises(DatabaseError, match="DELETE refused outside the retention rule"):
        _raw("DELETE FROM casework_caseaccess WHERE id = %s", [row.pk])
    assert CaseAccess.objects.filter(pk=row.pk).exists()


def test_delete_allowed_only_for_rows_older_than_the_cutoff():
    now = timezone.now()
    old = _row(at=now - dt.timedelta(days=4000))
    young = _row(at=now - dt.timedelta(days=10))
    cutoff = (now - dt.timedelta(days=365)).isoformat()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)", [cutoff])
        cursor.execute("DELETE FROM casework_caseaccess WHERE id = %s", [old.pk])
        assert cursor.rowcount == 1
    assert not CaseAccess.objects.filter(pk=old.pk).exists()
    # The younger row stays, even with the cutoff set.
    with pytest.raises(DatabaseError, match="younger than the retention cutoff"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)", [cutoff])
            cursor.execute("DELETE FROM casework_caseaccess WHERE id = %s", [young.pk])
    assert CaseAccess.objects.filter(pk=young.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_cutoff_is_local_to_the_retention_transaction():
    """Real transactions (not savepoints of the test's): SET LOCAL ends with the commit. This
    test also shows that Django's flush (TRUNCATE) still works for transactional tests."""
    row = _row(at=timezone.now() - dt.timedelta(days=4000))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)", [timezone.now().isoformat()])
    with pytest.raises(DatabaseError, match="DELETE refused"):
        _raw("DELETE FROM casework_caseaccess WHERE id = %s", [row.pk])
    assert CaseAccess.objects.filter(pk=row.pk).exists()


def test_database_refuses_truncate():
    _row()
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        with transaction.atomic(), connection.cursor() as cursor:
            # Test sessions may truncate (for Django's flush); switch that off as production has it.
            cursor.execute("SELECT set_config('rcvs.allow_truncate', 'off', true)")
            cursor.execute("TRUNCATE casework_caseaccess")
    assert CaseAccess.objects.count() == 1


def test_read_log_purge_deletes_only_older_rows_and_clears_the_cutoff():
    from casework.services import read_log_purge

    now = timezone.now()
    old = _row(at=now - dt.timedelta(days=4000))
    young = _row(at=now - dt.timedelta(days=10))
    assert read_log_purge(before=now - dt.timedelta(days=365)) == 1
    assert list(CaseAccess.objects.values_list("pk", flat=True)) == [young.pk]
    assert not CaseAccess.objects.filter(pk=old.pk).exists()
    # Same (test) transaction: the cutoff no longer applies to what follows.
    with pytest.raises(DatabaseError, match="DELETE refused outside the retention rule"):
        _raw("DELETE FROM casework_caseaccess WHERE id = %s", [young.pk])
