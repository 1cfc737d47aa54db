"""Writes for the outbox: enqueue in the caller's transaction, deliver in the worker, dispatch what
is due, retry what failed.

Delivery guarantee: at least once, and once in every case but one. A message is sent by a worker
that first *claims* it (status 'sending', a lease `claimed_until` and a token, committed), then
performs the side effect outside any transaction, then marks it delivered if its token still holds.
So a second task for the same message — the after-commit push and the dispatcher both handed it
out, or the broker redelivered an acks_late task after a worker lost its connection — finds it
delivered, or leased by a live worker, and does nothing: one mail. The one window left: a worker
that dies (killed, machine gone) after the receiver accepted the mail and before its "delivered"
commits. Its lease runs out, the dispatcher hands the message out again, and the receiver gets it
twice. Closing that window would need the receiver to take part (SMTP cannot); a duplicate mail
is far better than a lost one, so we accept it, keep the window small (the commit follows the send
at once) and give every attempt the same Message-ID header so that mail software can drop the copy.
The lease is longer than the delivery task's hard time limit, so a live worker's lease never runs
out under it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import registry
from .models import OutboxMessage, OutboxStatus
from .selectors import outbox_due_qs

if TYPE_CHECKING:
    from locations.models import Region
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

# Time limits of the delivery task (tasks.deliver). The SMTP timeout (EMAIL_TIMEOUT, 20 s) fits
# well within the soft limit; the hard limit kills a handler that ignores the soft one.
DELIVER_SOFT_TIME_LIMIT = 60
DELIVER_TIME_LIMIT = 90
# A sender's lease: longer than the hard limit, so it cannot run out while its worker still runs.
CLAIM_SECONDS = 2 * DELIVER_TIME_LIMIT
DISPATCH_BATCH = 500
ERROR_MAX_LENGTH = 2000


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after the `attempts`-th failed attempt: base, 2×base, 4×base, … capped."""
    base = _setting("OUTBOX_RETRY_BASE_SECONDS", 60)
    cap = _setting("OUTBOX_RETRY_MAX_SECONDS", 3600)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def outbox_enqueue(*, kind: str, payload: dict, idempotency_key: str, region: Region | int | None = None,
                   now: dt.datetime | None = None) -> OutboxMessage:
    """Write a message in the caller's transaction; it exists exactly when the caller's change does.

    The same idempotency key twice gives the one existing message (the database enforces it, also
    between two concurrent transactions). After commit the message is pushed to the broker at once;
    when that fails (broker down) nothing is lost: the dispatcher delivers it once the broker is back."""
    handler = registry.get(kind)  # an unknown kind is a programming error: fail before writing
    now = now or timezone.now()
    region_id = region if isinstance(region, int) or region is None else region.pk
    message, created = OutboxMessage.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={"kind": kind, "channel": handler.channel, "payload": payload, "region_id": region_id,
                  "next_attempt_at": now, "dispatched_at": now},
    )
    if not created:
        if message.kind != kind:
            raise ValueError(f"Idempotency key {idempotency_key!r} already belongs to kind {message.kind!r}.")
        return message
    transaction.on_commit(partial(outbox_push, message.pk), robust=True)
    return message


def outbox_push(message_id: int) -> bool:
    """Hand one message to the broker, failing fast: called after commit from the web process, it
    must never hold up or break the answer. On failure the message is left for the dispatcher."""
    from .tasks import deliver

    try:
        # retry=False and the broker transport options (max_retries 0, short connect timeout; see
        # settings) make this fail in well under a second when Redis is unreachable; ignore_result
        # keeps the result backend (the same Redis) out of it.
        deliver.apply_async((message_id,), retry=False, ignore_result=True)
    except Exception as exc:
        logger.warning("Outbox message %s not handed to the broker (%s: %s); the dispatcher will deliver it.",
                       message_id, type(exc).__name__, exc)
        OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING).update(dispatched_at=None)
        return False
    return True


def _claim(message_id: int, now: dt.datetime) -> tuple[OutboxMessage | None, uuid.UUID | None]:
    token = uuid.uuid4()
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or not message.may_be_claimed(now):
            return message, None
        if message.status == OutboxStatus.SENDING:
            logger.warning("Outbox message %s: the lease of an earlier attempt ran out; trying again "
                           "(the receiver may get it twice).", message.pk)
        message.status, message.claim_token = OutboxStatus.SENDING, token
        message.claimed_until = now + dt.timedelta(seconds=CLAIM_SECONDS)
        message.attempts += 1
        message.last_attempt_at = now
        message.save(update_fields=["status", "claim_token", "claimed_until", "attempts", "last_attempt_at",
                                    "updated_at"])
    return message, token


def outbox_deliver(*, message_id: int, now: dt.datetime | None = None) -> str:
    """One attempt to deliver one message. Returns what happened: delivered, retry, failed, skipped
    (delivered already, not due, or another worker holds it) or missing."""
    now = now or timezone.now()
    message, token = _claim(message_id, now)
    if message is None:
        return "missing"
    if token is None:
        return "skipped"
    try:
        registry.get(message.kind).deliver(message)  # outside any transaction: slow I/O
    except Exception as exc:
        return _record_failure(message, token, exc, now)
    with transaction.atomic():
        marked = OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(
            status=OutboxStatus.DELIVERED, delivered_at=timezone.now(), claimed_until=None, claim_token=None,
            last_error="", updated_at=timezone.now())
    if not marked:
        logger.warning("Outbox message %s was delivered after its lease ran out.", message.pk)
    logger.info("Outbox message %s (%s) delivered on attempt %d.", message.pk, message.kind, message.attempts)
    return "delivered"


def _record_failure(message: OutboxMessage, token: uuid.UUID, exc: Exception, now: dt.datetime) -> str:
    error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
    permanent = isinstance(exc, registry.PermanentError | LookupError)
    final = permanent or message.attempts >= _setting("OUTBOX_MAX_ATTEMPTS", 8)
    changes = {"claimed_until": None, "claim_token": None, "last_error": error, "updated_at": timezone.now()}
    if final:
        changes["status"] = OutboxStatus.FAILED
    else:
        changes.update(status=OutboxStatus.PENDING, next_attempt_at=now + retry_delay(message.attempts),
                       dispatched_at=None)
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk, claim_token=token).update(**changes)
    if final:
        logger.error("Outbox message %s (%s) failed after %d attempt(s): %s", message.pk, message.kind,
                     message.attempts, type(exc).__name__)
        return "failed"
    logger.warning("Outbox message %s (%s) attempt %d failed (%s); next attempt at %s.", message.pk,
                   message.kind, message.attempts, type(exc).__name__, changes["next_attempt_at"].isoformat())
    return "retry"


def outbox_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Every minute (beat): hand every due message to the broker. Rows are taken with SKIP LOCKED,
    so two dispatchers never hand out the same message, and marked as handed out so that the next
    run leaves them alone while they wait in the queue."""
    from .tasks import deliver

    now = now or timezone.now()
    lease = _setting("OUTBOX_DISPATCH_LEASE_SECONDS", 300)
    with transaction.atomic():
        ids = list(outbox_due_qs(now=now, lease_seconds=lease).select_for_update(skip_locked=True, of=("self",))
                   .values_list("pk", flat=True)[:DISPATCH_BATCH])
        OutboxMessage.objects.filter(pk__in=ids).update(dispatched_at=now)
    for index, message_id in enumerate(ids):
        try:
            deliver.apply_async((message_id,), ignore_result=True)
        except Exception as exc:
            # Broker gone mid-run: give the rest back to the next run instead of waiting a lease.
            OutboxMessage.objects.filter(pk__in=ids[index:]).update(dispatched_at=None)
            logger.warning("Outbox dispatch stopped after %d of %d message(s): %s", index, len(ids),
                           type(exc).__name__)
            return ids[:index]
    return ids


def outbox_retry(*, user: User, messages: QuerySet[OutboxMessage], now: dt.datetime | None = None) -> list[int]:
    """A beheerder's "retry now" for failed messages: a fresh series of attempts, starting at once.
    The caller passes the messages already scoped to the user (selectors.outbox_message_qs_for)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(messages.filter(status=OutboxStatus.FAILED).select_for_update(of=("self",))
                   .order_by("pk").values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, dispatched_at=now, updated_at=now)
        for message_id in ids:
            transaction.on_commit(partial(outbox_push, message_id), robust=True)
    logger.info("User %s put %d failed outbox message(s) back for delivery: %s", user.pk, len(ids), ids)
    return ids
