"""KCIO delivery: the daily export sent to the configured destination through the outbox.

How a day's file travels
- The daily job (reporting.tasks.take_daily_snapshots) takes each region's snapshot and, in the
  same transaction, writes its first send (`KcioDelivery`, sequence 1) and an outbox message that
  holds only the send's id. "Export now" does the same for today; whoever comes second finds the
  send there is, so one day is sent once however often the job runs or the button is pressed.
- The outbox worker renders the snapshot's file when it sends (the snapshot is immutable, so every
  attempt sends the same content) and either POSTs it (https) or mails it (mail). Retries,
  backoff and the final "mislukt" are the outbox's (rcvs/outbox/services.py).
- A resend is a new send (sequence 2, 3, ...) with a new outbox message, refused while the last
  one still waits.

What the receiver sees (https)
- POST of the file to KCIO_DELIVERY_URL, `Authorization: Bearer <KCIO_DELIVERY_TOKEN>`,
  `Idempotency-Key: kcio-<region code>-<yyyy-mm-dd>` — the same on every attempt and every
  resend of that day, so a receiver that honours it never counts a day twice — and the file's
  `Content-Type`. Redirects are not followed (they would carry the token elsewhere).
- 2xx: delivered. With KCIO_DELIVERY_EXPECT_ACK on, only a 2xx whose body is a JSON object with
  `"idempotency_key": "<the key sent>"` counts; any other 2xx body (a proxy's page, garbage) is a
  failed attempt and retried — safe, because the key makes the retry a no-op at the receiver.
- 5xx, 408, 429, a timeout, a refused or broken connection, an answer that is not HTTP: retried.
- Any other 4xx and a 3xx: failed at once (PermanentError): retrying cannot fix a wrong token, a
  wrong URL or a file the receiver refuses; the page shows the error and offers a resend.

Mail: one message to KCIO_DELIVERY_MAIL_TO with the file attached, a Message-ID that is the same
on every attempt of one send (mail software drops a copy), and the same Idempotency-Key header.

The token is read from the settings at send time only: it is not in the outbox payload, the
delivery row, an error text or a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from locations.models import Region
from locations.selectors import region_qs_for
from rcvs.errors import ApplicationError, Conflict
from rcvs.outbox import registry
from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.services import outbox_enqueue

from . import kcio
from .models import CapacitySnapshot, KcioDelivery, KcioDeliveryMethod, KcioDeliveryReason, LocationSnapshot
from .snapshots import COPIED_LOCATION_FIELDS, NUMBER_FIELDS, snapshot_take, snapshot_today

if TYPE_CHECKING:
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

KIND_HTTP = "reporting.kcio_delivery"
KIND_MAIL = "reporting.kcio_delivery_mail"
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
NOTE_MAX = 500


# --- configuration ----------------------------------------------------------------------------

def delivery_method() -> str:
    """"https", "mail" or "off" (settings.KCIO_DELIVERY_METHOD), read at call time."""
    return getattr(settings, "KCIO_DELIVERY_METHOD", "off")


def _allow_plain_local() -> bool:
    return bool(settings.DEBUG or getattr(settings, "TESTING", False))


def url_problem(url: str) -> str | None:
    """Why `url` may not receive the export (a Dutch sentence), or None. https only; plain http to
    127.0.0.1/localhost in development and tests (the test receiver). Checked again at send time:
    settings can change between enqueue and attempt."""
    parts = urlsplit(url or "")
    local = parts.hostname in {"127.0.0.1", "localhost"}
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and local
                                                                and _allow_plain_local())):
        return _("Het KCIO-adres (KCIO_DELIVERY_URL) moet een https-adres zijn.")
    if parts.username or parts.password:
        return _("Het KCIO-adres (KCIO_DELIVERY_URL) mag geen gebruikersnaam of wachtwoord bevatten.")
    return None


def public_destination(url: str) -> str:
    """The URL without query, fragment or user info: what may be shown and stored."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"[:300]


def receiver_key(snapshot: CapacitySnapshot) -> str:
    """The Idempotency-Key the receiver sees: one per region and day, the same for every attempt
    and every resend."""
    return f"kcio-{snapshot.region.code}-{snapshot.as_of.isoformat()}"


def outbox_key(snapshot: CapacitySnapshot, sequence: int) -> str:
    """The outbox's own key: one message per send (a resend is a new message)."""
    return f"kcio-delivery:{snapshot.region.code}:{snapshot.as_of.isoformat()}:{sequence}"


def filename(snapshot: CapacitySnapshot, fmt: str) -> str:
    return f"kcio-{snapshot.region.code}-{snapshot.as_of.isoformat()}.{fmt}"


def content_type(fmt: str) -> str:
    mime = kcio.FORMATS[fmt]
    return f"{mime}; charset=utf-8" if fmt in ("csv", "json") else mime


# --- services ---------------------------------------------------------------------------------

def _enqueue(*, snapshot: CapacitySnapshot, sequence: int, reason: str, user: User | None) -> KcioDelivery:
    method = delivery_method()
    message = outbox_enqueue(kind=KIND_HTTP if method == KcioDeliveryMethod.HTTPS else KIND_MAIL,
                             payload={"delivery_id": None}, idempotency_key=outbox_key(snapshot, sequence),
                             region=snapshot.region_id)
    delivery = KcioDelivery.objects.create(
        snapshot=snapshot, sequence=sequence, reason=reason, method=method,
        file_format=settings.KCIO_DELIVERY_FORMAT, hxl=settings.KCIO_DELIVERY_HXL and
        settings.KCIO_DELIVERY_FORMAT == "csv", outbox_message=message, requested_by=user)
    # The payload names the send (ids only); the message is pushed to the broker after commit, by
    # which time this update has committed with it.
    OutboxMessage.objects.filter(pk=message.pk).update(payload={"delivery_id": delivery.pk})
    return delivery


def _lock(snapshot: CapacitySnapshot) -> CapacitySnapshot:
    # Serialises the sends of one snapshot (the daily job, "export now", a resend): the second
    # waits and then sees the first's row. SELECT ... FOR UPDATE writes nothing, so the snapshot's
    # no-UPDATE trigger is not involved.
    return CapacitySnapshot.objects.select_for_update().select_related("region").get(pk=snapshot.pk)


def delivery_schedule(*, snapshot: CapacitySnapshot, reason: str = KcioDeliveryReason.SCHEDULED,
                      user: User | None = None) -> KcioDelivery | None:
    """The snapshot's first send: the existing one, or a new one (with its outbox message) when
    delivery is switched on. None when it is off and nothing was sent before. Call it in the
    transaction that took the snapshot, so the two exist together."""
    with transaction.atomic():
        snapshot = _lock(snapshot)
        existing = KcioDelivery.objects.filter(snapshot=snapshot, sequence=1).first()
        if existing is not None or delivery_method() == "off":
            return existing
        return _enqueue(snapshot=snapshot, sequence=1, reason=reason, user=user)


def delivery_resend(*, snapshot: CapacitySnapshot, user: User) -> KcioDelivery:
    """Send the day's file again (a new outbox message), with the same Idempotency-Key for the
    receiver. Refused when delivery is off, or while the last send still waits (it would race it)."""
    if delivery_method() == "off":
        raise ApplicationError(_("Levering aan het KCIO staat uit (KCIO_DELIVERY_METHOD=off); er is niets "
                                 "verstuurd."), code="kcio_delivery_off")
    with transaction.atomic():
        snapshot = _lock(snapshot)
        last = (KcioDelivery.objects.filter(snapshot=snapshot).select_related("outbox_message")
                .order_by("-sequence").first())
        if last is not None and last.outbox_message.status in WAITING:
            raise Conflict(_("De vorige verzending van %(day)s wacht nog op aflevering; opnieuw versturen kan "
                             "pas als die verzonden of mislukt is.") % {"day": snapshot.as_of.strftime("%d-%m-%Y")},
                           code="kcio_delivery_waiting")
        sequence = (last.sequence + 1) if last is not None else 1
        reason = KcioDeliveryReason.RESEND if sequence > 1 else KcioDeliveryReason.EXPORT_NOW
        delivery = _enqueue(snapshot=snapshot, sequence=sequence, reason=reason, user=user)
    logger.info("KCIO resend %s of region %s for %s requested by user %s.", sequence, snapshot.region.code,
                snapshot.as_of, user.pk)
    return delivery


@dataclass
class ExportNow:
    snapshot: CapacitySnapshot
    delivery: KcioDelivery | None
    snapshot_created: bool
    delivery_created: bool


def delivery_export_now(*, region: Region, user: User) -> ExportNow:
    """Today's snapshot (taken if missing) and its first send (written if missing), in one
    transaction. Pressed twice the same day it takes and sends nothing more."""
    as_of = snapshot_today()
    with transaction.atomic():
        had_snapshot = CapacitySnapshot.objects.filter(region=region, as_of=as_of).exists()
        snapshot = snapshot_take(region=region, as_of=as_of, user=user)
        had_delivery = KcioDelivery.objects.filter(snapshot=snapshot, sequence=1).exists()
        delivery = delivery_schedule(snapshot=snapshot, reason=KcioDeliveryReason.EXPORT_NOW, user=user)
    return ExportNow(snapshot=snapshot, delivery=delivery, snapshot_created=not had_snapshot,
                     delivery_created=delivery is not None and not had_delivery)


# --- the outbox handlers ----------------------------------------------------------------------

class DeliveryRetry(Exception):
    """An attempt that failed in a way another attempt may not (the outbox retries it)."""


def _load(message: OutboxMessage) -> KcioDelivery:
    delivery_id = (message.payload or {}).get("delivery_id")
    delivery = (KcioDelivery.objects.select_related("snapshot__region").filter(pk=delivery_id).first()
                if delivery_id else None)
    if delivery is None:
        raise registry.PermanentError(_("Deze KCIO-levering bestaat niet (meer)."))
    return delivery


def _render(delivery: KcioDelivery) -> bytes:
    # The file's column titles are Dutch whatever language the worker thread last used.
    with translation.override(settings.LANGUAGE_CODE):
        return kcio.render(delivery.snapshot, delivery.file_format, hxl=delivery.hxl)


def _note(text: str) -> str:
    """A receiver's answer, shortened to printable text for the page."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return cleaned.strip()[:NOTE_MAX]


def _check_ack(response: httpx.Response, key: str) -> str:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict) or body.get("idempotency_key") != key:
        raise DeliveryRetry(_("Het KCIO antwoordde met HTTP %(status)s, maar zonder geldige ontvangstbevestiging "
                              "(verwacht: JSON met de idempotentiesleutel). Nieuwe poging volgt.")
                            % {"status": response.status_code})
    return _note(str(body.get("reference") or body.get("id") or ""))


def delivery_send_https(delivery: KcioDelivery) -> None:
    url = settings.KCIO_DELIVERY_URL
    if problem := url_problem(url):
        raise registry.PermanentError(problem)
    token = settings.KCIO_DELIVERY_TOKEN
    if not token:
        raise registry.PermanentError(_("Er is geen KCIO-token ingesteld (KCIO_DELIVERY_TOKEN)."))
    snapshot = delivery.snapshot
    key = receiver_key(snapshot)
    destination = public_destination(url)
    body = _render(delivery)
    KcioDelivery.objects.filter(pk=delivery.pk).update(destination=destination)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
               "Content-Type": content_type(delivery.file_format), "Accept": "application/json",
               "User-Agent": "rcvs-kcio-delivery/1"}
    host = urlsplit(url).hostname
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.KCIO_DELIVERY_TIMEOUT,
                              follow_redirects=False)
    except httpx.TimeoutException:
        raise DeliveryRetry(_("Het KCIO (%(host)s) antwoordde niet binnen %(seconds)s seconden. Nieuwe poging "
                              "volgt.") % {"host": host, "seconds": settings.KCIO_DELIVERY_TIMEOUT}) from None
    except httpx.ConnectError:
        raise DeliveryRetry(_("Geen verbinding met het KCIO (%(host)s). Nieuwe poging volgt.")
                            % {"host": host}) from None
    except httpx.HTTPError as exc:
        # A broken connection or an answer that is not HTTP. Only the exception's type: its text
        # could quote the request.
        raise DeliveryRetry(_("Onbruikbaar antwoord van het KCIO (%(host)s, %(kind)s). Nieuwe poging volgt.")
                            % {"host": host, "kind": type(exc).__name__}) from None
    status = response.status_code
    KcioDelivery.objects.filter(pk=delivery.pk).update(response_status=status,
                                                       response_note=_note(response.text[:NOTE_MAX * 2]))
    if 200 <= status < 300:
        note = _check_ack(response, key) if settings.KCIO_DELIVERY_EXPECT_ACK else _note(response.text)
        KcioDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now(), response_note=note)
        logger.info("KCIO delivery %s (%s) accepted with HTTP %s.", delivery.pk, key, status)
        return
    if status >= 500 or status in (408, 429):
        raise DeliveryRetry(_("Het KCIO antwoordde met HTTP %(status)s. Nieuwe poging volgt.") % {"status": status})
    raise registry.PermanentError(
        _("Het KCIO weigerde de levering met HTTP %(status)s; opnieuw proberen helpt niet. Controleer het adres, "
          "het token en het bestand, en verstuur daarna opnieuw.") % {"status": status})


def _message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt of one send (see rcvs/outbox/services.py)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "rcvs.localhost"
    return f"<kcio.{message.uuid}@{domain}>"


def delivery_send_mail(delivery: KcioDelivery, message: OutboxMessage) -> None:
    to = list(settings.KCIO_DELIVERY_MAIL_TO)
    if not to:
        raise registry.PermanentError(_("Er is geen KCIO-mailadres ingesteld (KCIO_DELIVERY_MAIL_TO)."))
    snapshot = delivery.snapshot
    KcioDelivery.objects.filter(pk=delivery.pk).update(destination=", ".join(to)[:300])
    day = snapshot.as_of.strftime("%d-%m-%Y")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("KCIO-capaciteitsexport %(region)s, peildatum %(day)s") % {"region": snapshot.region.name,
                                                                               "day": day}
        text = _("Bijgevoegd: de capaciteitsexport van %(region)s met peildatum %(day)s (%(file)s).\n\n"
                 "Sleutel voor ontdubbelen: %(key)s. Een herhaalde verzending van dezelfde dag draagt dezelfde "
                 "sleutel.\n") % {"region": snapshot.region.name, "day": day,
                                  "file": filename(snapshot, delivery.file_format), "key": receiver_key(snapshot)}
    email = mail.EmailMessage(subject=subject, body=text, to=to,
                              headers={"Message-ID": _message_id(message), "Idempotency-Key": receiver_key(snapshot)})
    email.attach(filename(snapshot, delivery.file_format), _render(delivery), kcio.FORMATS[delivery.file_format])
    mail.mailers.default.send_messages([email])
    KcioDelivery.objects.filter(pk=delivery.pk).update(delivered_at=timezone.now())


@registry.register(KIND_HTTP, channel="http")
def _deliver_https(message: OutboxMessage) -> None:
    delivery_send_https(_load(message))


@registry.register(KIND_MAIL, channel="mail")
def _deliver_mail(message: OutboxMessage) -> None:
    delivery_send_mail(_load(message), message)


# --- selectors --------------------------------------------------------------------------------

def kcio_snapshot_qs_for(user: User) -> QuerySet[CapacitySnapshot]:
    """The snapshots of the user's regions, with their totals summed in the database and their
    sends (newest first, with the outbox message) prefetched: a constant number of queries."""
    sums = {name: Sum(f"locations__{name}") for name in NUMBER_FIELDS}
    return (CapacitySnapshot.objects.filter(region__in=region_qs_for(user)).select_related("region", "created_by")
            .annotate(location_count=Count("locations"), **sums)
            .prefetch_related(Prefetch("deliveries", queryset=KcioDelivery.objects
                                       .select_related("outbox_message", "requested_by").order_by("-sequence")))
            .order_by("region__name", "-as_of"))


def kcio_delivery_qs_for(user: User) -> QuerySet[KcioDelivery]:
    return KcioDelivery.objects.filter(snapshot__region__in=region_qs_for(user)).select_related(
        "snapshot__region", "outbox_message", "requested_by")


@dataclass
class Change:
    field: str
    label: str
    before: Any
    after: Any


@dataclass
class LineDiff:
    location_code: str
    location_name: str
    municipality_name: str
    line: LocationSnapshot | None = None
    changes: list[Change] = field(default_factory=list)


@dataclass
class SnapshotDiff:
    snapshot: CapacitySnapshot
    previous: CapacitySnapshot | None
    added: list[LineDiff]
    removed: list[LineDiff]
    changed: list[LineDiff]
    unchanged_count: int

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


DIFF_FIELDS = ("location_name", "municipality_cbs_code", "municipality_name", *COPIED_LOCATION_FIELDS,
               *NUMBER_FIELDS)


def previous_snapshot(snapshot: CapacitySnapshot) -> CapacitySnapshot | None:
    return (CapacitySnapshot.objects.filter(region_id=snapshot.region_id, as_of__lt=snapshot.as_of)
            .order_by("-as_of").first())


def _display(line: LocationSnapshot, name: str) -> Any:
    if name in ("kind", "status"):
        return getattr(line, f"get_{name}_display")()
    return getattr(line, name)


def snapshot_diff(snapshot: CapacitySnapshot) -> SnapshotDiff:
    """What changed since the region's previous snapshot, per location (by location code): added,
    removed, and each changed field with its value before and after. Two queries."""
    previous = previous_snapshot(snapshot)
    current = {line.location_code: line for line in snapshot.locations.all()}
    before = {line.location_code: line for line in previous.locations.all()} if previous else {}
    labels = {f.name: str(f.verbose_name) for f in LocationSnapshot._meta.fields}

    def entry(line: LocationSnapshot) -> LineDiff:
        return LineDiff(line.location_code, line.location_name, line.municipality_name, line)

    def order(items: list[LineDiff]) -> list[LineDiff]:
        return sorted(items, key=lambda d: (d.municipality_name, d.location_name, d.location_code))

    added = [entry(line) for code, line in current.items() if previous and code not in before]
    removed = [entry(line) for code, line in before.items() if code not in current]
    changed, unchanged = [], 0
    for code, line in current.items():
        old = before.get(code)
        if old is None:
            continue
        changes = [Change(name, labels[name], _display(old, name), _display(line, name)) for name in DIFF_FIELDS
                   if getattr(old, name) != getattr(line, name)]
        if changes:
            item = entry(line)
            item.changes = changes
            changed.append(item)
        else:
            unchanged += 1
    return SnapshotDiff(snapshot=snapshot, previous=previous, added=order(added), removed=order(removed),
                        changed=order(changed), unchanged_count=unchanged)
