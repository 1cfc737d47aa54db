"""Cases opened at the same moment get different numbers (the region row is locked while the
next number is chosen; the unique constraint would otherwise refuse one of them)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casework.models import Case
from tests.casework.conftest import open_case

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_simultaneous_cases_get_distinct_numbers(personas, cw):
    barrier = threading.Barrier(THREADS, timeout=30)
    results: list[object] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            outcome: object = open_case(user=personas.coordinator, household=cw.household)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcome = exc
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(r, Case) for r in results), results
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert len(numbers) == THREADS and len(set(numbers)) == THREADS
    assert [int(n.split("-")[1]) for n in numbers] == list(range(1, THREADS + 1))
