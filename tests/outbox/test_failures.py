"""The receiver fails: a real SMTP connection to a closed local port. Every attempt is recorded and
the next one waits longer; after the last, the message is failed with its error, and the beheerder
of its region — not the beheerder of another region — sees it in the admin and can retry it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from placements.models import PlacementEvent
from placements.services import placement_confirm
from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.selectors import outbox_due_qs
from rcvs.outbox.services import outbox_deliver, outbox_dispatch_due

from .conftest import closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_down(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2}}}
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600


@pytest.fixture
def waiting_mail(reserved_with_contact, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)
    return OutboxMessage.objects.get()


def due_ids(now):
    return list(outbox_due_qs(now=now, lease_seconds=300).values_list("pk", flat=True))


@pytest.fixture
def failed_mail(waiting_mail, smtp_down):
    t0 = timezone.now()
    history = []
    for when in (t0, t0 + dt.timedelta(seconds=60), t0 + dt.timedelta(seconds=180)):
        history.append(outbox_deliver(message_id=waiting_mail.pk, now=when))
    assert history == ["retry", "retry", "failed"]
    return OutboxMessage.objects.get(pk=waiting_mail.pk)


def test_each_failed_attempt_is_recorded_and_the_next_waits_twice_as_long(waiting_mail, smtp_down, mailoutbox):
    t0 = timezone.now()
    assert outbox_deliver(message_id=waiting_mail.pk, now=t0) == "retry"
    message = OutboxMessage.objects.get(pk=waiting_mail.pk)
    assert (message.status, message.attempts, message.last_attempt_at) == (OutboxStatus.PENDING, 1, t0)
    assert message.next_attempt_at == t0 + dt.timedelta(seconds=60)
    assert message.last_error.startswith("ConnectionRefusedError: ")
    assert (message.claimed_until, message.claim_token, message.dispatched_at) == (None, None, None)

    # Not due yet: neither the dispatcher nor a stray task makes an attempt before its time.
    early = t0 + dt.timedelta(seconds=30)
    assert due_ids(early) == []
    assert outbox_deliver(message_id=waiting_mail.pk, now=early) == "skipped"
    assert OutboxMessage.objects.get(pk=waiting_mail.pk).attempts == 1

    t1 = t0 + dt.timedelta(seconds=60)
    assert due_ids(t1) == [waiting_mail.pk]
    assert outbox_deliver(message_id=waiting_mail.pk, now=t1) == "retry"
    message.refresh_from_db()
    assert (message.attempts, message.next_attempt_at) == (2, t1 + dt.timedelta(seconds=120))

    t2 = t1 + dt.timedelta(seconds=120)
    assert outbox_deliver(message_id=waiting_mail.pk, now=t2) == "failed"  # OUTBOX_MAX_ATTEMPTS = 3
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_attempt_at) == (OutboxStatus.FAILED, 3, t2)
    assert message.last_error.startswith("ConnectionRefusedError: ")
    assert message.delivered_at is None

    # Failed is final: no more attempts, no mail, no "sent" event.
    assert due_ids(t2 + dt.timedelta(days=1)) == []
    assert outbox_deliver(message_id=waiting_mail.pk, now=t2 + dt.timedelta(days=1)) == "skipped"
    assert mailoutbox == []
    assert not PlacementEvent.objects.filter(kind=PlacementEvent.Kind.MAIL_SENT).exists()


def test_the_backoff_is_capped(waiting_mail, smtp_down, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 20
    settings.OUTBOX_RETRY_MAX_SECONDS = 300
    now = timezone.now()
    for _ in range(5):
        assert outbox_deliver(message_id=waiting_mail.pk, now=now) == "retry"
        now = OutboxMessage.objects.get(pk=waiting_mail.pk).next_attempt_at
    message = OutboxMessage.objects.get(pk=waiting_mail.pk)
    assert message.next_attempt_at - message.last_attempt_at == dt.timedelta(seconds=300)  # not 960


@pytest.fixture
def staff(personas):
    for user in (personas.beheerder, personas.outsider):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return personas


def test_the_beheerder_of_the_region_sees_the_failure_and_the_outsider_does_not(failed_mail, staff, login,
                                                                                 client):
    changelist = reverse("admin:outbox_outboxmessage_changelist")
    change = reverse("admin:outbox_outboxmessage_change", args=[failed_mail.pk])

    client = login(staff.beheerder)
    page = client.get(changelist, {"status": "failed"})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [failed_mail]
    detail = client.get(change)
    assert detail.status_code == 200
    assert "ConnectionRefusedError" in detail.text and "placement.location_mail" in detail.text

    client = login(staff.outsider)
    page = client.get(changelist)
    assert page.status_code == 200 and list(page.context["cl"].result_list) == []
    assert client.get(change).status_code == 404
    assert client.get(reverse("admin:outbox_outboxmessage_history", args=[failed_mail.pk])).status_code == 404


def test_roles_without_admin_rights_do_not_get_in(failed_mail, personas, login):
    client = login(personas.belteam)  # not staff
    assert client.get(reverse("admin:outbox_outboxmessage_changelist")).status_code == 302  # to the login
    gemeente = personas.gemeente_a
    gemeente.is_staff = True
    gemeente.save(update_fields=["is_staff"])
    response = login(gemeente).get(reverse("admin:outbox_outboxmessage_change", args=[failed_mail.pk]))
    assert response.status_code == 403


def test_retry_now_puts_a_failed_message_back_and_it_is_delivered(failed_mail, staff, login, settings,
                                                                  mailoutbox, django_capture_on_commit_callbacks):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}  # receiver back
    changelist = reverse("admin:outbox_outboxmessage_changelist")
    action = {"action": "retry_now", ACTION_CHECKBOX_NAME: [str(failed_mail.pk)]}

    # The outsider cannot reach it, not even through the action.
    login(staff.outsider).post(changelist, action)
    assert OutboxMessage.objects.get(pk=failed_mail.pk).status == OutboxStatus.FAILED

    with django_capture_on_commit_callbacks(execute=False) as pushes:
        response = login(staff.beheerder).post(changelist, action)
    assert response.status_code == 302
    message = OutboxMessage.objects.get(pk=failed_mail.pk)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert message.last_error.startswith("ConnectionRefusedError")  # kept until an attempt succeeds
    assert len(pushes) == 1

    pushes[0]()  # after commit: handed to the (eager, in tests) worker
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DELIVERED, 1, "")
    assert len(mailoutbox) == 1


def test_the_dispatcher_hands_out_what_is_due_once_per_lease(waiting_mail, smtp_down, settings):
    settings.OUTBOX_DISPATCH_LEASE_SECONDS = 300
    OutboxMessage.objects.filter(pk=waiting_mail.pk).update(dispatched_at=None)
    handed_out = outbox_dispatch_due()  # eager in tests: the attempt runs at once, and fails
    assert handed_out == [waiting_mail.pk]
    message = OutboxMessage.objects.get(pk=waiting_mail.pk)
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert outbox_dispatch_due(now=message.next_attempt_at - dt.timedelta(seconds=1)) == []
    assert outbox_dispatch_due(now=message.next_attempt_at) == [waiting_mail.pk]


def test_a_message_waiting_in_the_queue_is_not_handed_out_again_within_the_lease(world, settings):
    from tests.factories import OutboxMessageFactory

    t0 = timezone.now()
    queued = OutboxMessageFactory(region=world.noord, next_attempt_at=t0, dispatched_at=t0)
    assert list(outbox_due_qs(now=t0 + dt.timedelta(seconds=299), lease_seconds=300)) == []
    assert list(outbox_due_qs(now=t0 + dt.timedelta(seconds=301), lease_seconds=300)) == [queued]
