"""An import locks its locations without blocking rows that merely reference them.

A reservation inserts placement rows that point at a location (PostgreSQL takes a KEY SHARE lock
on the location for that foreign key). If the import held the location FOR UPDATE while waiting
for a room that the reservation holds, the two would deadlock; FOR NO KEY UPDATE lets the
reservation through. The contact person below stands in for any row that references a location.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from locations.importing import build_plan, export_xlsx
from locations.models import ContactPerson


@pytest.mark.django_db(transaction=True)
def test_an_import_holding_its_locks_does_not_block_rows_that_reference_a_location(world, personas):
    content = export_xlsx(user=personas.beheerder)
    locked, release, done = threading.Event(), threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def importer() -> None:
        try:
            with transaction.atomic():
                build_plan(user=personas.beheerder, content=content, filename="locaties.xlsx", lock=True)
                locked.set()
                release.wait(10)
        except BaseException as exc:  # reported to the main thread
            failure.append(exc)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert locked.wait(20), failure
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            try:
                ContactPerson.objects.create(location=world.loc_a, name="Test Contact", phone="0592 123456")
            except OperationalError as exc:  # lock timeout: the import's lock blocked the reference
                pytest.fail(f"a row referencing a location waited for the import's lock: {exc}")
    finally:
        release.set()
        done.wait(20)
        thread.join(20)
    assert not failure, failure
    assert ContactPerson.objects.filter(location=world.loc_a, name="Test Contact").exists()
