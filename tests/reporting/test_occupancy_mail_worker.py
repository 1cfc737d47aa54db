"""The occupancy mail the real way: the beat's task goes through Redis to a Celery worker thread,
which makes the day's mailings and outbox messages; after commit the outbox hands each message to
the worker again, and the mails land in the (locmem) outbox. Nothing is patched but "today".
And the demo data: synthetic contacts and a previous mailing, idempotent."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from rcvs.outbox.models import OutboxMessage, OutboxStatus
from reporting.demo import mail as demo_mail
from reporting.models import MailContact, MailContactEvent, OccupancyMailing
from reporting.occupancy_mail import mail_contact_create, occupancy_mail_content, occupancy_mails_send
from reporting.snapshots import snapshot_take
from reporting.tasks_mail import send_occupancy_mails

MONDAY = dt.date(2026, 11, 30)
FRIDAY = dt.date(2026, 11, 27)


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_through_redis_sends_each_contact_one_mail(world, personas, redis_worker, mailoutbox,
                                                                 monkeypatch, settings):
    assert settings.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MONDAY)
    for municipality, email in ((world.mun_a, "anna@aadorp.example"), (world.mun_b, "dirk@beekdal.example")):
        mail_contact_create(user=personas.coordinator, municipality=municipality,
                            data={"name": "Test", "email": email, "function": ""})

    result = send_occupancy_mails.delay().get(timeout=60)

    assert result == {"as_of": "2026-11-30", "mail_day": True, "mailings": 2, "messages": 2, "new": 2}
    delivered = wait_for(lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 2)
    assert delivered, list(OutboxMessage.objects.values_list("status", "last_error"))
    assert sorted(m.to[0] for m in mailoutbox) == ["anna@aadorp.example", "dirk@beekdal.example"]
    assert {m.subject for m in mailoutbox} == {"Bezetting opvang Aadorp op 30-11-2026",
                                               "Bezetting opvang Beekdal op 30-11-2026"}
    # The beat firing again (a retry) through the worker: nothing new, nothing sent twice.
    assert send_occupancy_mails.delay().get(timeout=60)["new"] == 0
    time.sleep(1)
    assert len(mailoutbox) == 2 and OutboxMessage.objects.count() == 2


@pytest.mark.django_db
def test_demo_seed_is_synthetic_idempotent_and_gives_the_first_mail_a_previous_one(world, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: FRIDAY)
    snapshot_take(region=world.noord, as_of=FRIDAY)  # as the trends' demo leaves a year of them
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MONDAY)

    line = demo_mail.seed(world.noord, seed=7, as_of=MONDAY)
    assert line == "Bezettingsmail: 3 ontvanger(s), 2 eerdere mail(s) uit de momentopnamen"
    contacts = MailContact.objects.filter(municipality__region=world.noord)
    assert contacts.count() == 3 and contacts.filter(active=False, switched_off_via="link").count() == 1
    assert all(c.email.endswith("@gemeente.example") for c in contacts)
    assert not MailContact.objects.filter(municipality__region=world.zuid).exists()
    counts = (MailContact.objects.count(), MailContactEvent.objects.count(), OccupancyMailing.objects.count())

    assert demo_mail.seed(world.noord, seed=7, as_of=MONDAY) is None  # a second run adds nothing
    assert (MailContact.objects.count(), MailContactEvent.objects.count(), OccupancyMailing.objects.count()) == counts
    assert not OutboxMessage.objects.exists()  # the demo sends nothing; the scheduled job does

    occupancy_mails_send(as_of=MONDAY)
    monday = OccupancyMailing.objects.get(municipality=world.mun_a, as_of=MONDAY)
    assert monday.previous.as_of == FRIDAY
    assert occupancy_mail_content(monday).change == {"realised": 0, "occupied": 0, "available": 0, "snijverlies": 0,
                                                     "out_of_service": 0}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_one_mailing_and_one_message_per_contact(world, personas, monkeypatch):
    """The beat and a person (or a redelivered task) at the same moment: both have read the
    contacts and the snapshot before either writes; the region lock makes the second wait and then
    find what the first made, instead of failing on the unique mailing per municipality and day."""
    import threading

    from django.db import connection

    from reporting import occupancy_mail

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MONDAY)
    for n, municipality in enumerate((world.mun_a, world.mun_a, world.mun_b)):
        mail_contact_create(user=None, municipality=municipality,
                            data={"name": f"C{n}", "email": f"c{n}@example.org", "function": ""})
    both_read = threading.Barrier(2, timeout=20)
    real_take = occupancy_mail.snapshot_take

    def take_then_wait(**kwargs):
        snapshot = real_take(**kwargs)
        both_read.wait()
        return snapshot

    monkeypatch.setattr(occupancy_mail, "snapshot_take", take_then_wait)
    results, errors = [], []

    def run():
        try:
            results.append(occupancy_mails_send(as_of=MONDAY))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r.created for r in results) == [0, 3]
    assert results[0].messages == results[1].messages
    assert OccupancyMailing.objects.count() == 2 and OutboxMessage.objects.count() == 3
