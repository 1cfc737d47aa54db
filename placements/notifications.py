"""Messages about a placement: the confirmation text the belteam reads out or sends, and the
mail to the location's contact. Only what the receiver needs: names, composition, arrival."""

from __future__ import annotations

from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Placement, PlacementEvent


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


def location_mail_send(*, placement_id: int) -> bool:
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
    mail.mailers.default.send_messages([mail.EmailMessage(subject=subject, body=body, to=[contact.email])])
    PlacementEvent.objects.create(
        request=placement.request, placement=placement, kind=PlacementEvent.Kind.MAIL_SENT, at=timezone.now(),
        reason=_("Bericht verstuurd aan %(email)s") % {"email": contact.email}, data={"sent": True})
    return True
