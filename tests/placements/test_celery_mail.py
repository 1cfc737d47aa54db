"""The mail to the location, the real way: the confirmation writes an outbox message in its
transaction, transaction.on_commit hands the delivery task to Redis, a Celery worker thread picks it up, the mail lands in the (locmem) outbox and
the MAIL_SENT event is written. Nothing is patched; the worker runs in this process, so Django's
locmem outbox is shared with the test.

The worker consumes from a queue of its own, so that a worker of another test run on the same
Redis database cannot take this task (and could not find the placement in its database).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import pytest
from celery.signals import task_prerun

from placements.models import PlacementEvent
from placements.services import placement_confirm, placement_reserve
from rcvs.celery import app as celery_app
from rcvs.outbox.models import OutboxMessage
from tests.factories import ContactPersonFactory, make_request

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
TASK = "outbox.tasks.deliver"


@pytest.fixture
def task_runs():
    """Which thread ran the mail task, and its id (signals, not patches)."""
    runs: list[dict] = []

    def before(sender=None, task_id=None, **_kwargs):
        if sender is not None and sender.name == TASK:
            runs.append({"task_id": task_id, "thread": threading.current_thread()})

    task_prerun.connect(before, weak=False)
    try:
        yield runs
    finally:
        task_prerun.disconnect(before)


def wait_for(condition, timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_location_mail_travels_through_redis_to_a_worker_after_commit(world, personas, redis_worker, task_runs,
                                                                      mailoutbox, settings):
    assert settings.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"
    assert not celery_app.conf.task_always_eager
    ContactPersonFactory(location=world.loc_a, name="Zwaantje Locatiemanager", email="manager@example.org",
                         is_primary=True)
    request = make_request(region=world.noord, user=personas.belteam, care_need=True, notes="Zorgdetail-Test",
                           members=[{"first_name": "Mariia", "last_name": "Wachtrij-Test", "sex": "f",
                                     "date_of_birth": dt.date(1988, 6, 1), "relation": "main"}])
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[0].pk, 1)])

    placement_confirm(user=personas.belteam, placement=placement, notify_location=True)

    event = wait_for(lambda: PlacementEvent.objects.filter(placement=placement, kind="mail_sent").first())
    assert event is not None, "no MAIL_SENT event within 20 s: the worker did not run the task"
    assert (event.reason, event.data) == ("Bericht verstuurd aan manager@example.org", {"sent": True})

    # It really went through the broker: a worker thread ran it, and the outbox says delivered.
    assert len(task_runs) == 1
    assert task_runs[0]["thread"] is not threading.main_thread()
    delivered = wait_for(lambda: OutboxMessage.objects.filter(status="delivered").first())
    assert (delivered.kind, delivered.payload, delivered.attempts) == ("placement.location_mail",
                                                                       {"placement_id": placement.pk}, 1)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["manager@example.org"]
    assert message.subject.startswith("Plaatsing: 1 persoon/personen, aankomst ")
    assert "Mariia Wachtrij-Test" in message.body
    assert "Zorgdetail-Test" not in message.body
    assert message.extra_headers["Message-ID"] == f"<outbox.{delivered.uuid}@localhost>"
