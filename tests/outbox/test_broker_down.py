"""With the broker down, confirming a placement that mails the location answers at once, saves the
placement and keeps the mail in the outbox for the dispatcher. Real sockets, nothing patched."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from placements.models import Placement, PlacementEvent, PlacementStatus
from placements.services import placement_confirm
from rcvs.outbox.models import OutboxMessage, OutboxStatus


def assert_waiting_for_dispatcher(placement: Placement) -> OutboxMessage:
    message = OutboxMessage.objects.get()
    assert (message.kind, message.payload, message.region_id) == (
        "placement.location_mail", {"placement_id": placement.pk}, placement.request.region_id)
    assert message.status == OutboxStatus.PENDING and message.attempts == 0
    # The push failed, so the message is given back to the dispatcher at once (not after a lease).
    assert message.dispatched_at is None
    return message


@pytest.mark.django_db(transaction=True)
def test_confirm_through_the_page_with_redis_down_saves_the_placement_and_keeps_the_mail(
        reserved_with_contact, personas, login, broker_refusing, mailoutbox, caplog):
    client = login(personas.belteam)
    with caplog.at_level(logging.WARNING, logger="rcvs.outbox.services"):
        response = client.post(reverse("placements:placement_confirm", args=[reserved_with_contact.uuid]),
                               {"notify_location": "on"})

    # The on_commit push ran inside this request (real commit) and did not turn it into a 500.
    assert response.status_code == 302
    placement = Placement.objects.get(pk=reserved_with_contact.pk)
    assert placement.status == PlacementStatus.CONFIRMED
    message = assert_waiting_for_dispatcher(placement)
    assert mailoutbox == []
    assert not PlacementEvent.objects.filter(kind=PlacementEvent.Kind.MAIL_SENT).exists()
    assert [r.getMessage() for r in caplog.records if "not handed to the broker" in r.getMessage()] == [
        f"Outbox message {message.pk} not handed to the broker (OperationalError: Error 111 connecting to "
        f"127.0.0.1:{broker_refusing}. Connection refused.); the dispatcher will deliver it."]


@pytest.mark.django_db(transaction=True)
def test_the_push_knocks_on_the_broker_once_and_gives_up(reserved_with_contact, personas, broker_dropping,
                                                         mailoutbox):
    """What keeps the web from hanging, counted instead of timed: one connection attempt, no
    reconnect loop of the producer (retry=False, transport max_retries 0) and none of the result
    backend (ignore_result). Without them: 2, 4 and 22 attempts (the last took ~19 s)."""
    placement_confirm(user=personas.belteam, placement=reserved_with_contact, notify_location=True)

    assert broker_dropping.connections == 1
    assert Placement.objects.get(pk=reserved_with_contact.pk).status == PlacementStatus.CONFIRMED
    assert_waiting_for_dispatcher(reserved_with_contact)
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_confirm_through_the_api_with_redis_down_answers_200(reserved_with_contact, personas, api_for,
                                                             broker_refusing, mailoutbox):
    response = api_for(personas.belteam).post(
        f"/api/v1/placements/{reserved_with_contact.uuid}/confirm/", {"notify_location": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert_waiting_for_dispatcher(reserved_with_contact)
    assert mailoutbox == []
