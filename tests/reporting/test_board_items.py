"""The B/K/A list's numbering: per region and kind, never twice, also when people add at once."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from rcvs.errors import ApplicationError
from reporting.board_items import board_item_create, board_item_update
from reporting.models import BoardItem, BoardItemEvent


@pytest.mark.django_db
def test_numbers_count_per_region_and_kind(world, personas):
    made = [board_item_create(user=personas.coordinator, region=world.noord, kind=kind, title=f"Punt {n}")
            for n, kind in enumerate("BBKAB")]
    other = board_item_create(user=None, region=world.zuid, kind="B", title="Zuid")
    assert [i.label for i in made] == ["B-1", "B-2", "K-1", "A-1", "B-3"]
    assert other.label == "B-1"


@pytest.mark.django_db
def test_the_database_refuses_a_number_twice(world):
    BoardItem.objects.create(region=world.noord, kind="B", number=1, title="Eerste")
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardItem.objects.create(region=world.noord, kind="B", number=1, title="Tweede")
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardItem.objects.create(region=world.noord, kind="X", number=2, title="Onbekende soort")


@pytest.mark.django_db
@pytest.mark.parametrize(("values", "field"), [
    ({"kind": "X", "title": "Iets"}, "kind"), ({"kind": "B", "title": "  "}, "title"),
    ({"kind": "B", "title": "Iets", "status": "weg"}, "status"),
])
def test_bad_input_is_refused_and_writes_nothing(world, personas, values, field):
    with pytest.raises(ApplicationError) as error:
        board_item_create(user=personas.coordinator, region=world.noord, **values)
    assert field in error.value.extra["fields"]
    assert not BoardItem.objects.exists() and not BoardItemEvent.objects.exists()


@pytest.mark.django_db
def test_kind_and_number_cannot_be_changed(world, personas):
    item = board_item_create(user=personas.coordinator, region=world.noord, kind="B", title="Besluit")
    with pytest.raises(ApplicationError):
        board_item_update(user=personas.coordinator, item=item, number=7)
    with pytest.raises(ApplicationError):
        board_item_update(user=personas.coordinator, item=item, kind="A")
    item.refresh_from_db()
    assert item.label == "B-1"


@pytest.mark.django_db
def test_an_update_without_changes_writes_no_event(world, personas):
    item = board_item_create(user=personas.coordinator, region=world.noord, kind="K", title="Knelpunt")
    board_item_update(user=personas.coordinator, item=item, title="Knelpunt")
    assert list(BoardItemEvent.objects.filter(item=item).values_list("kind", flat=True)) == ["created"]


@pytest.mark.django_db(transaction=True)
def test_people_adding_at_the_same_moment_get_consecutive_numbers(world, personas):
    """Eight threads add a B at once: B-1 … B-8, none refused. Without the region lock two of
    them read the same highest number and the second fails on the unique constraint."""
    barrier = threading.Barrier(8)
    results, errors = [], []

    def add(n):
        try:
            barrier.wait(timeout=10)
            item = board_item_create(user=None, region=world.noord, kind="B", title=f"Gelijktijdig {n}")
            results.append(item.number)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == list(range(1, 9))
    assert sorted(BoardItem.objects.filter(region=world.noord, kind="B").values_list("number", flat=True)) == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_requests_for_the_same_month_at_once_make_one_report(world, personas, monkeypatch):
    """Four people ask for October at the same moment: one report, the same for all, no error.
    Without the region lock the partial unique index refuses the later inserts instead."""
    import datetime as dt

    from reporting import board
    from reporting.models import BoardReport

    monkeypatch.setattr(board, "_enqueue", lambda report_id: None)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def ask():
        try:
            barrier.wait(timeout=10)
            report, _created = board.board_report_request(region=world.noord, period=dt.date(2026, 10, 1),
                                                          user=personas.bestuur)
            results.append(report.pk)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert BoardReport.objects.count() == 1
