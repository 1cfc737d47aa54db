"""Messages about a placement: the confirmation text the belteam reads out or sends, and the
mail to the location's contact. Only what the receiver needs: names, composition, arrival."""

from __future__ import annotations

from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from rcvs.outbox import registry
from rcvs.outbox.models import OutboxMessage
from rcvs.outbox.services import outbox_enqueue

from .models import Placement, PlacementEvent

LOCATION_MAIL = "placement.location_mail"


def _context(placement: Placement) -> dict:
    request = placement.request
    members = list(request.members.order_by("position", "pk"))
    arrival_day = timezone.localtime(request.expected_arrival).date()
    return {
        "placement": placement,
        "request": request,
        "location": placement.location,
        "rooms": list(placement.rooms.filter(active=True).select_related("room")),
        "members": [(m, m.age_on(arrival_day)) for m in members],
        "contact": placement.location.primary_contact(),
    }


def confirmation_text(placement: Placement) -> str:
    """Plain text the belteam can read out or paste into a message to the household's contact."""
    return render_to_string("placements/confirmation.txt", _context(placement)).strip()


def location_mail_key(placement: Placement) -> str:
    """One mail per confirmation of a placement (a placement is confirmed once; the time makes the
    key unique even if that ever changed)."""
    return f"{LOCATION_MAIL}:{placement.pk}:{placement.confirmed_at.isoformat()}"


def location_mail_enqueue(*, placement: Placement, region_id: int | None = None) -> OutboxMessage:
    """Within the confirming transaction: the mail to the location, as an outbox message that holds
    only the placement's id (the mail is rendered when it is sent)."""
    return outbox_enqueue(kind=LOCATION_MAIL, payload={"placement_id": placement.pk},
                          idempotency_key=location_mail_key(placement),
                          region=region_id if region_id is not None else placement.request.region_id)


@registry.register(LOCATION_MAIL, channel="mail")
def _deliver_location_mail(message: OutboxMessage) -> None:
    location_mail_send(placement_id=message.payload["placement_id"], message_id=_message_id(message))


def _message_id(message: OutboxMessage) -> str:
    """The same Message-ID on every attempt of one outbox message, so that mail software can drop
    the copy in the rare case that a mail is sent twice (see rcvs/outbox/services.py)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "rcvs.localhost"
    return f"<outbox.{message.uuid}@{domain}>"


def location_mail_send(*, placement_id: int, message_id: str | None = None) -> bool:
    placement = Placement.objects.select_related("location", "request").get(pk=placement_id)
    context = _context(placement)
    contact = context["contact"]
    if contact is None or not contact.email:
        PlacementEvent.objects.create(
            request=placement.request, placement=placement, kind=PlacementEvent.Kind.MAIL_SENT,
            at=timezone.now(), reason=_("Geen e-mailadres van de locatie bekend; niet verstuurd."),
            data={"sent": False})
        return False
    subject = _("Plaatsing: %(n)s persoon/personen, aankomst %(when)s") % {
        "n": placement.persons, "when": timezone.localtime(placement.request.expected_arrival).strftime("%d-%m-%Y %H:%M")}
    body = render_to_string("placements/location_mail.txt", context)
    headers = {"Message-ID": message_id} if message_id else None
    mail.mailers.default.send_messages([mail.EmailMessage(subject=subject, body=body, to=[contact.email],
                                                          headers=headers)])
    PlacementEvent.objects.create(
        request=placement.request, placement=placement, kind=PlacementEvent.Kind.MAIL_SENT, at=timezone.now(),
        reason=_("Bericht verstuurd aan %(email)s") % {"email": contact.email}, data={"sent": True})
    return True
