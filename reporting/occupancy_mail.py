"""The weekday occupancy mail to the municipalities' contacts, through the outbox.

Every mail day (OCCUPANCY_MAIL_DAYS, at OCCUPANCY_MAIL_HOUR, Europe/Amsterdam) each municipality
with active contacts gets one mail per contact with its locations' realised, occupied, available
(free) places and snijverlies, the totals, the change since the previous mail to that municipality
and a link to the overview. The figures are those of the region's KCIO snapshot of the day (taken
here when the export has not taken it yet), so the mail and the export never disagree.

What a municipality was told is kept (OccupancyMailing: the snapshot and its totals, and the
mailing before it), so a retry renders the very same mail, and the next day's change is counted
from what was actually sent, not from whatever the registry says now. One outbox message per
contact per day (key `occupancy-mail:<contact id>:<date>`): running the job again sends nothing
twice, and a contact added later that day still gets that day's mail.

A contact switches itself off through a link in the mail that needs no login: a signed, expiring
token (django.core.signing) carrying only the contact's id.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery.schedules import crontab_parser
from django.conf import settings
from django.core import mail, signing
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from locations.models import Municipality, Region
from locations.selectors import municipality_qs_for
from rcvs.errors import ApplicationError
from rcvs.outbox import registry
from rcvs.outbox.models import OutboxMessage
from rcvs.outbox.services import outbox_enqueue

from .models import (
    CapacitySnapshot,
    LocationSnapshot,
    MailContact,
    MailContactEvent,
    OccupancyMailing,
    SwitchedOffVia,
)
from .snapshots import snapshot_take

if TYPE_CHECKING:
    from rcvs.accounts.models import User

logger = logging.getLogger(__name__)

KIND = "reporting.occupancy_mail"
UNSUBSCRIBE_SALT = "reporting.occupancy_mail.unsubscribe"
FIGURES = ("realised", "occupied", "available", "snijverlies")
# Also shown, so the reader can see the figures add up: realised = occupied + available +
# snijverlies + out of service (blocked rooms). A mailing's total is derived from that identity,
# which the database holds for every snapshot line.
SHOWN = (*FIGURES, "out_of_service")
CONTACT_FIELDS = ("name", "email", "function")


# --- contacts: selectors and services -------------------------------------------------------------

def mail_contact_qs_for(user: User) -> QuerySet[MailContact]:
    """The contacts this user may see and manage: those of the municipalities in the user's scope
    (staff: every municipality of their regions; a gemeente: its own)."""
    return MailContact.objects.filter(municipality__in=municipality_qs_for(user)).select_related(
        "municipality", "municipality__region", "switched_off_by")


@dataclass
class MunicipalityContacts:
    municipality: Municipality
    contacts: list[MailContact] = field(default_factory=list)
    last_mailing: dt.date | None = None


def mail_contacts_by_municipality(user: User) -> list[MunicipalityContacts]:
    """Every municipality in the user's scope with its contacts and the day of its last mailing:
    three queries, whatever the number of municipalities."""
    municipalities = list(municipality_qs_for(user).annotate(last_mailing=Max("occupancy_mailings__as_of"))
                          .order_by("region__name", "name"))
    groups = {m.pk: MunicipalityContacts(municipality=m, last_mailing=m.last_mailing) for m in municipalities}
    for contact in mail_contact_qs_for(user).order_by("name", "pk"):
        groups[contact.municipality_id].contacts.append(contact)
    return list(groups.values())


def _event(contact: MailContact, kind: str, *, user: User | None, via: str = "",
           at: dt.datetime | None = None) -> MailContactEvent:
    return MailContactEvent.objects.create(contact=contact if kind != MailContactEvent.Kind.DELETED else None,
                                           contact_ref=contact.pk, municipality_id=contact.municipality_id,
                                           kind=kind, via=via, user=user, at=at or timezone.now())


def _duplicate_email() -> ApplicationError:
    return ApplicationError(_("Dit e-mailadres staat al bij deze gemeente."), code="mail_contact_duplicate",
                            extra={"fields": {"email": [_("Dit e-mailadres staat al bij deze gemeente.")]}})


def mail_contact_create(*, user: User | None, municipality: Municipality, data: dict[str, Any]) -> MailContact:
    """Add a contact (active) to a municipality the caller has already scoped to the user (no
    user: the demo data)."""
    try:
        with transaction.atomic():
            contact = MailContact.objects.create(municipality=municipality,
                                                 **{name: data.get(name, "") for name in CONTACT_FIELDS})
            _event(contact, MailContactEvent.Kind.CREATED, user=user)
    except IntegrityError as exc:
        raise _duplicate_email() from exc
    logger.info("Occupancy-mail contact %s added to municipality %s by user %s", contact.pk, municipality.pk,
                getattr(user, "pk", None))
    return contact


def mail_contact_update(*, user: User, contact: MailContact, data: dict[str, Any]) -> MailContact:
    try:
        with transaction.atomic():
            contact = MailContact.objects.select_for_update().get(pk=contact.pk)
            for name in CONTACT_FIELDS:
                setattr(contact, name, data.get(name, ""))
            contact.save(update_fields=[*CONTACT_FIELDS, "updated_at"])
            _event(contact, MailContactEvent.Kind.CHANGED, user=user)
    except IntegrityError as exc:
        raise _duplicate_email() from exc
    return contact


def mail_contact_switch_off(*, contact: MailContact, user: User | None, via: str = SwitchedOffVia.STAFF,
                            now: dt.datetime | None = None) -> MailContact:
    """Stop the mail to this contact. Idempotent: an already switched-off contact keeps who and
    when it was switched off first. Through the link (`via=link`) there is no user."""
    now = now or timezone.now()
    with transaction.atomic():
        contact = MailContact.objects.select_for_update().get(pk=contact.pk)
        if not contact.active:
            return contact
        contact.active = False
        contact.switched_off_at = now
        contact.switched_off_by = user if via == SwitchedOffVia.STAFF else None
        contact.switched_off_via = via
        contact.save(update_fields=["active", "switched_off_at", "switched_off_by", "switched_off_via", "updated_at"])
        _event(contact, MailContactEvent.Kind.SWITCHED_OFF, user=contact.switched_off_by, via=via, at=now)
    logger.info("Occupancy-mail contact %s switched off (%s)", contact.pk, via)
    return contact


def mail_contact_switch_on(*, contact: MailContact, user: User) -> MailContact:
    with transaction.atomic():
        contact = MailContact.objects.select_for_update().get(pk=contact.pk)
        if contact.active:
            return contact
        contact.active = True
        contact.switched_off_at = contact.switched_off_by = None
        contact.switched_off_via = ""
        contact.save(update_fields=["active", "switched_off_at", "switched_off_by", "switched_off_via", "updated_at"])
        _event(contact, MailContactEvent.Kind.SWITCHED_ON, user=user)
    return contact


def mail_contact_delete(*, user: User, contact: MailContact) -> None:
    """Remove the contact; its history (without name or address) stays."""
    contact_id = contact.pk
    with transaction.atomic():
        contact = MailContact.objects.select_for_update().get(pk=contact_id)
        _event(contact, MailContactEvent.Kind.DELETED, user=user)
        contact.delete()
    logger.info("Occupancy-mail contact %s removed by user %s", contact_id, user.pk)


# --- the unsubscribe link -------------------------------------------------------------------------

def _address_tag(contact: MailContact) -> str:
    """Binds a token to the address it was mailed to, without the address: a keyed hash (the
    token's payload is readable base64, so never the plain address or an unkeyed hash of it)."""
    return salted_hmac(UNSUBSCRIBE_SALT, contact.email.strip().lower()).hexdigest()[:16]


def unsubscribe_token(contact: MailContact) -> str:
    """A signed token that names the contact (its id), the address it was mailed to (a keyed tag)
    and the time it was made. After the contact's address changes, older links stop working."""
    return signing.dumps([contact.pk, _address_tag(contact)], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(contact: MailContact) -> str:
    return settings.OCCUPANCY_MAIL_SITE_URL + reverse("reporting:mail_unsubscribe",
                                                      kwargs={"token": unsubscribe_token(contact)})


def unsubscribe_contact(token: str) -> MailContact | None:
    """The contact a token was made for (None when it has been removed since). A token that was
    altered, or is older than OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS, is refused with a Dutch message."""
    max_age = dt.timedelta(days=settings.OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS)
    try:
        contact_id = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ApplicationError(
            _("Deze afmeldlink is verlopen. Gebruik de link in een recentere bezettingsmail, of vraag de regio "
              "om u af te melden."), code="unsubscribe_expired") from exc
    except signing.BadSignature as exc:
        raise ApplicationError(
            _("Deze afmeldlink is ongeldig. Controleer of u de volledige link uit de mail hebt geopend."),
            code="unsubscribe_invalid") from exc
    if not (isinstance(contact_id, list) and len(contact_id) == 2 and isinstance(contact_id[0], int)):
        raise ApplicationError(_("Deze afmeldlink is ongeldig. Controleer of u de volledige link uit de mail "
                                 "hebt geopend."), code="unsubscribe_invalid")
    contact_id, tag = contact_id
    contact = MailContact.objects.select_related("municipality").filter(pk=contact_id).first()
    if contact is not None and not constant_time_compare(tag, _address_tag(contact)):
        raise ApplicationError(_("Deze afmeldlink hoort bij een e-mailadres dat sindsdien is gewijzigd. Gebruik de "
                                 "link in een recentere bezettingsmail."), code="unsubscribe_address_changed")
    return contact


# --- which days ---------------------------------------------------------------------------------

def mail_days() -> set[int]:
    """The mail days as crontab numbers (0 = Sunday … 6 = Saturday), from OCCUPANCY_MAIL_DAYS."""
    return crontab_parser(7).parse(settings.OCCUPANCY_MAIL_DAYS)


def is_mail_day(day: dt.date) -> bool:
    return day.isoweekday() % 7 in mail_days()


# --- the day's mailings ---------------------------------------------------------------------------

@dataclass
class MailRun:
    as_of: dt.date
    mail_day: bool
    mailings: list[int] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)  # outbox messages of this run (new and existing)
    created: int = 0  # outbox messages new in this run


def _totals(lines: list[LocationSnapshot]) -> dict[str, int]:
    return {name: sum(getattr(line, name) for line in lines) for name in FIGURES}


def occupancy_mails_enqueue(*, region: Region, as_of: dt.date, run: MailRun | None = None) -> MailRun:
    """The region's mailings of `as_of` and one outbox message per active contact, in one
    transaction. Idempotent: the mailing of a municipality and day is made once (what it told
    stays as it was), and a contact's message of the day is made once (its idempotency key).
    Raises ApplicationError when `as_of` has no snapshot and is not today (snapshot_take)."""
    run = run or MailRun(as_of=as_of, mail_day=True)
    contacts = list(MailContact.objects.filter(municipality__region=region, active=True)
                    .select_related("municipality").order_by("municipality__name", "pk"))
    if not contacts:
        return run
    snapshot = snapshot_take(region=region, as_of=as_of)
    with transaction.atomic():
        # One run per region at a time: a second (beat and a person, or a retry) waits, then finds
        # the mailings and messages the first made.
        Region.objects.select_for_update().filter(pk=region.pk).get()
        municipality_ids = sorted({c.municipality_id for c in contacts})
        mailings = {m.municipality_id: m for m in OccupancyMailing.objects.filter(
            municipality_id__in=municipality_ids, as_of=as_of)}
        missing = [c.municipality for c in contacts if c.municipality_id not in mailings]
        if missing:
            _create_mailings(snapshot, {m.pk: m for m in missing}, mailings)
        keys = {contact.pk: occupancy_mail_key(contact, as_of) for contact in contacts}
        existing = set(OutboxMessage.objects.filter(idempotency_key__in=keys.values())
                       .values_list("idempotency_key", flat=True))
        for contact in contacts:
            mailing = mailings[contact.municipality_id]
            message = outbox_enqueue(kind=KIND, payload={"contact_id": contact.pk, "mailing_id": mailing.pk},
                                     idempotency_key=keys[contact.pk], region=region)
            run.messages.append(message.pk)
            run.created += 0 if keys[contact.pk] in existing else 1
        run.mailings.extend(m.pk for m in mailings.values())
    return run


def _create_mailings(snapshot: CapacitySnapshot, municipalities: dict[int, Municipality],
                     mailings: dict[int, OccupancyMailing]) -> None:
    codes = {m.cbs_code: m for m in municipalities.values()}
    lines: dict[str, list[LocationSnapshot]] = {code: [] for code in codes}
    for line in LocationSnapshot.objects.filter(snapshot=snapshot, municipality_cbs_code__in=codes):
        lines[line.municipality_cbs_code].append(line)
    # The mail before this one, per municipality: the latest earlier mailing.
    previous = {}
    for mailing in (OccupancyMailing.objects.filter(municipality_id__in=municipalities, as_of__lt=snapshot.as_of)
                    .order_by("municipality_id", "-as_of").distinct("municipality_id")):
        previous[mailing.municipality_id] = mailing
    for code, municipality in codes.items():
        mailing = OccupancyMailing.objects.create(
            municipality=municipality, as_of=snapshot.as_of, snapshot=snapshot, municipality_cbs_code=code,
            previous=previous.get(municipality.pk), locations=len(lines[code]), **_totals(lines[code]))
        mailings[municipality.pk] = mailing


def occupancy_mail_key(contact: MailContact, as_of: dt.date) -> str:
    return f"occupancy-mail:{contact.pk}:{as_of.isoformat()}"


def occupancy_mails_send(*, as_of: dt.date) -> MailRun:
    """The job of a mail day: every region's mailings and messages (the outbox sends them after
    commit). On a day that is not a mail day nothing happens, whoever starts it. A region whose
    snapshot cannot be had (a past day without one) is logged and skipped; the others go on."""
    run = MailRun(as_of=as_of, mail_day=is_mail_day(as_of))
    if not run.mail_day:
        logger.info("Occupancy mail: %s is not a mail day (%s); nothing sent.", as_of, settings.OCCUPANCY_MAIL_DAYS)
        return run
    for region in Region.objects.filter(municipalities__mail_contacts__active=True).distinct().order_by("code"):
        try:
            occupancy_mails_enqueue(region=region, as_of=as_of, run=run)
        except ApplicationError as error:
            logger.warning("Occupancy mail for region %s on %s not made: %s", region.code, as_of, error.code)
    logger.info("Occupancy mail %s: %d mailing(s), %d message(s), %d new", as_of, len(run.mailings),
                len(run.messages), run.created)
    return run


# --- the mail's content -----------------------------------------------------------------------------

@dataclass
class MailRow:
    code: str
    name: str
    realised: int
    occupied: int
    available: int
    snijverlies: int
    out_of_service: int
    change: dict[str, int] | None  # None: not in the previous mail (new)

    @property
    def change_signed(self) -> dict[str, str] | None:
        return {name: signed(value) for name, value in self.change.items()} if self.change is not None else None


@dataclass
class MailContent:
    municipality_name: str
    as_of: dt.date
    rows: list[MailRow]
    totals: dict[str, int]
    previous_as_of: dt.date | None
    change: dict[str, int] | None  # totals minus those of the previous mail; None: the first mail
    gone: list[tuple[str, str]]  # (code, name) of locations in the previous mail and not in this one
    overview_url: str

    @property
    def change_signed(self) -> dict[str, str] | None:
        return {name: signed(value) for name, value in self.change.items()} if self.change is not None else None


def _shown_totals(mailing: OccupancyMailing) -> dict[str, int]:
    totals = {name: getattr(mailing, name) for name in FIGURES}
    totals["out_of_service"] = mailing.realised - mailing.occupied - mailing.available - mailing.snijverlies
    return totals


def signed(number: int) -> str:
    return f"+{number}" if number > 0 else str(number)


def occupancy_mail_content(mailing: OccupancyMailing) -> MailContent:
    """What the mail of this mailing says; the same every time (snapshots are immutable, the
    previous mailing was fixed when the mailing was made). Two or three queries."""
    lines = list(LocationSnapshot.objects.filter(snapshot_id=mailing.snapshot_id,
                                                 municipality_cbs_code=mailing.municipality_cbs_code)
                 .order_by("location_name", "location_code"))
    previous = mailing.previous
    before: dict[str, LocationSnapshot] = {}
    if previous is not None:
        before = {line.location_code: line for line in LocationSnapshot.objects.filter(
            snapshot_id=previous.snapshot_id, municipality_cbs_code=previous.municipality_cbs_code)}
    rows = []
    for line in lines:
        old = before.get(line.location_code)
        change = {name: getattr(line, name) - getattr(old, name) for name in SHOWN} if old else None
        rows.append(MailRow(code=line.location_code, name=line.location_name, change=change,
                            **{name: getattr(line, name) for name in SHOWN}))
    codes = {line.location_code for line in lines}
    gone = sorted(((code, old.location_name) for code, old in before.items() if code not in codes),
                  key=lambda pair: (pair[1], pair[0]))
    totals = _shown_totals(mailing)
    change = None
    if previous is not None:
        before_totals = _shown_totals(previous)
        change = {name: totals[name] - before_totals[name] for name in SHOWN}
    overview = reverse("locations:overview") + f"?municipality={mailing.municipality_id}"
    return MailContent(municipality_name=mailing.municipality.name, as_of=mailing.as_of, rows=rows, totals=totals,
                       previous_as_of=previous.as_of if previous else None, change=change, gone=gone,
                       overview_url=settings.OCCUPANCY_MAIL_SITE_URL + overview)


def occupancy_mail_message(*, contact: MailContact, mailing: OccupancyMailing,
                           message_id: str | None = None) -> mail.EmailMultiAlternatives:
    """The mail for one contact: plain text with an HTML alternative, in Dutch."""
    content = occupancy_mail_content(mailing)
    link = unsubscribe_url(contact)
    context = {"content": content, "contact": contact, "unsubscribe_url": link, "signed": signed,
               "figures": FIGURES}
    subject = _("Bezetting opvang %(municipality)s op %(day)s") % {
        "municipality": content.municipality_name, "day": content.as_of.strftime("%d-%m-%Y")}
    headers = {"List-Unsubscribe": f"<{link}>"}
    if message_id:
        headers["Message-ID"] = message_id
    message = mail.EmailMultiAlternatives(subject=subject, body=render_to_string("reporting/occupancy_mail.txt", context),
                                          to=[contact.email], headers=headers)
    message.attach_alternative(render_to_string("reporting/occupancy_mail.html", context), "text/html")
    return message


def _message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt of one outbox message (see rcvs/outbox/services.py)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "rcvs.localhost"
    return f"<outbox.{message.uuid}@{domain}>"


@registry.register(KIND, channel="mail")
def _deliver_occupancy_mail(message: OutboxMessage) -> None:
    """Send one contact's mail of one day. A contact switched off or removed after the message was
    written gets nothing: the message fails at once (no retry can help) with that reason."""
    contact = MailContact.objects.select_related("municipality").filter(pk=message.payload["contact_id"]).first()
    if contact is None or not contact.active:
        raise registry.PermanentError(_("Niet verstuurd: de ontvanger is afgemeld of verwijderd."))
    mailing = (OccupancyMailing.objects.select_related("municipality", "previous")
               .filter(pk=message.payload["mailing_id"], municipality_id=contact.municipality_id).first())
    if mailing is None:
        raise registry.PermanentError(_("Niet verstuurd: de bezettingsmail van deze dag bestaat niet meer."))
    mail.mailers.default.send_messages([occupancy_mail_message(contact=contact, mailing=mailing,
                                                               message_id=_message_id(message))])
    logger.info("Occupancy mail %s sent to contact %s", mailing.as_of, contact.pk)

