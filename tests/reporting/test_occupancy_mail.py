"""The weekday occupancy mail: its content against figures worked out by hand, the change since
the previous mail, the days it goes out, switched-off contacts, reruns, and the outbox handler.

The world (tests/conftest.py) and what this module does to region Noord:

  Aadorp  AAD-001 Het Anker  A1 1 bed, 1 occupant          -> occupied 1
                             A2 2 beds, empty              -> available 2
                             A3 4 beds, household of 3     -> occupied 3, snijverlies 1
                             A4 6 beds, blocked            -> out of service 6
                                                  realised 13, occupied 4, available 2, snijverlies 1
          AAD-002 De Molen   M1 2 beds, empty              -> available 2
                             M2 3 beds, household of 1     -> occupied 1, snijverlies 2
                                                  realised 5, occupied 1, available 2, snijverlies 2
          Aadorp total:                           realised 18, occupied 5, available 4, snijverlies 3
  Beekdal BEE-001 De Beuk    B1 3 beds shared, 1 occupant  -> occupied 1, available 2
                             B2 4 beds, household of 4     -> occupied 4
                                                  realised 7, occupied 5, available 2, snijverlies 0

Mail days: Monday 30 November and Tuesday 1 December 2026; Saturday 5 December is none.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from locations.models import Location, LocationStatus, RoomOccupancy
from locations.services import room_block
from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.services import outbox_deliver
from reporting import occupancy_mail
from reporting.models import CapacitySnapshot, MailContact, MailContactEvent, OccupancyMailing, SwitchedOffVia
from reporting.occupancy_mail import (
    mail_contact_create,
    mail_contact_switch_off,
    occupancy_mail_content,
    occupancy_mails_send,
)
from reporting.tasks_mail import send_occupancy_mails
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 30)
TUESDAY = dt.date(2026, 12, 1)
SATURDAY = dt.date(2026, 12, 5)
SITE = "https://rcvs.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.OCCUPANCY_MAIL_SITE_URL = SITE
    settings.OCCUPANCY_MAIL_DAYS = "mon-fri"


@pytest.fixture
def today(monkeypatch):
    """Set "today" in Europe/Amsterdam (snapshots can only be taken of today)."""

    def set_day(day: dt.date) -> dt.date:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        return day

    return set_day


@pytest.fixture
def noord(world, personas):
    a1, a2, a3, a4 = world.rooms_a
    b1, b2 = world.rooms_b
    room_set_occupants(room=a1, occupants=1)
    room_set_occupants(room=a3, occupants=3)
    room_block(user=personas.beheerder, room=a4, reason="Waterschade")
    b1.occupancy = RoomOccupancy.SHARED
    b1.save()
    room_set_occupants(room=b1, occupants=1)
    room_set_occupants(room=b2, occupants=4)
    molen = LocationFactory(municipality=world.mun_a, code="AAD-002", name="De Molen")
    RoomFactory(location=molen, number="M1", beds=2)
    world.molen_m2 = RoomFactory(location=molen, number="M2", beds=3)
    room_set_occupants(room=world.molen_m2, occupants=1)
    world.molen = molen
    return world


@pytest.fixture
def contacts(noord, personas):
    def add(municipality, name, email):
        return mail_contact_create(user=personas.coordinator, municipality=municipality,
                                   data={"name": name, "email": email, "function": "beleidsadviseur"})

    aadorp_1 = add(noord.mun_a, "Anna Aadorp-Test", "anna@aadorp.example")
    aadorp_2 = add(noord.mun_a, "Bram Aadorp-Test", "bram@aadorp.example")
    aadorp_off = add(noord.mun_a, "Cor Uit-Test", "cor@aadorp.example")
    mail_contact_switch_off(contact=aadorp_off, user=personas.coordinator)
    beekdal = add(noord.mun_b, "Dirk Beekdal-Test", "dirk@beekdal.example")
    return {"aadorp_1": aadorp_1, "aadorp_2": aadorp_2, "aadorp_off": aadorp_off, "beekdal": beekdal}


def deliver_all() -> list[str]:
    return [outbox_deliver(message_id=pk) for pk in
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING).order_by("pk").values_list("pk", flat=True)]


def mail_to(mailoutbox, address):
    found = [m for m in mailoutbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in mailoutbox]
    return found[0]


def figures(row):
    return (row.code, row.realised, row.occupied, row.available, row.snijverlies)


# --- content against a hand calculation -------------------------------------------------------


def test_content_against_hand_computed_figures(contacts, today, mailoutbox):
    today(MONDAY)
    run = occupancy_mails_send(as_of=MONDAY)

    assert (run.mail_day, len(run.mailings), len(run.messages), run.created) == (True, 2, 3, 3)
    snapshot = CapacitySnapshot.objects.get(region__code="noord", as_of=MONDAY)  # the KCIO snapshot of the day
    aadorp = OccupancyMailing.objects.get(municipality__name="Aadorp", as_of=MONDAY)
    assert aadorp.snapshot == snapshot and aadorp.previous is None
    assert (aadorp.locations, aadorp.realised, aadorp.occupied, aadorp.available, aadorp.snijverlies) == (2, 18, 5, 4, 3)
    beekdal = OccupancyMailing.objects.get(municipality__name="Beekdal", as_of=MONDAY)
    assert (beekdal.locations, beekdal.realised, beekdal.occupied, beekdal.available, beekdal.snijverlies) == (
        1, 7, 5, 2, 0)

    content = occupancy_mail_content(aadorp)
    assert [figures(r) for r in content.rows] == [("AAD-002", 5, 1, 2, 2), ("AAD-001", 13, 4, 2, 1)]
    assert content.totals == {"realised": 18, "occupied": 5, "available": 4, "snijverlies": 3, "out_of_service": 6}
    assert [r.out_of_service for r in content.rows] == [0, 6]  # A4 is blocked
    assert (content.change, content.previous_as_of, content.gone) == (None, None, [])
    assert content.overview_url == f"{SITE}/locaties/?municipality={noord_pk(contacts)}"

    # The outbox holds ids only, one message per active contact, keyed per contact and day.
    messages = OutboxMessage.objects.order_by("pk")
    assert {m.idempotency_key for m in messages} == {
        f"occupancy-mail:{contacts[k].pk}:2026-11-30" for k in ("aadorp_1", "aadorp_2", "beekdal")}
    for message in messages:
        assert set(message.payload) == {"contact_id", "mailing_id"}
        assert (message.kind, message.channel, message.region.code) == ("reporting.occupancy_mail", "mail", "noord")

    assert deliver_all() == ["delivered"] * 3
    assert len(mailoutbox) == 3
    mail = mail_to(mailoutbox, "anna@aadorp.example")
    assert mail.subject == "Bezetting opvang Aadorp op 30-11-2026"
    body = mail.body
    assert "Bezetting van de opvang in Aadorp op 30-11-2026" in body
    assert re.search(r"De Molen \(AAD-002\)\n  gerealiseerd: 5\n  bezet: 1\n  beschikbaar: 2\n  snijverlies: 2\n",
                     body), body
    assert re.search(r"Het Anker \(AAD-001\)\n  gerealiseerd: 13\n  bezet: 4\n  beschikbaar: 2\n  snijverlies: 1\n",
                     body), body
    assert re.search(r"Totaal Aadorp\n  gerealiseerd: 18\n  bezet: 5\n  beschikbaar: 4\n  snijverlies: 3\n"
                     r"  buiten gebruik: 6\n", body), body
    assert "eerste bezettingsmail" in body
    assert "Beekdal" not in body and "De Beuk" not in body  # only its own municipality
    assert f"{SITE}/locaties/?municipality=" in body
    html, mimetype = mail.alternatives[0]
    assert mimetype == "text/html"
    assert '<td align="right">18</td>' in html and "De Molen (AAD-002)" in html
    delivered = OutboxMessage.objects.get(idempotency_key=f"occupancy-mail:{contacts['aadorp_1'].pk}:2026-11-30")
    assert mail.extra_headers["Message-ID"] == f"<outbox.{delivered.uuid}@localhost>"
    unsubscribe = mail.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{SITE}/rapportage/bezettingsmail/afmelden/") and unsubscribe in body
    assert "anna" not in unsubscribe.lower() and "aadorp" not in unsubscribe.lower()  # only the signed id
    beek = mail_to(mailoutbox, "dirk@beekdal.example")
    assert re.search(r"Totaal Beekdal\n  gerealiseerd: 7\n  bezet: 5\n  beschikbaar: 2\n  snijverlies: 0\n", beek.body)


def noord_pk(contacts):
    return contacts["aadorp_1"].municipality_id


def test_the_mail_agrees_with_the_kcio_snapshot_taken_before_it(contacts, today, mailoutbox):
    """The export took the day's snapshot at 06:00; a bed occupied before the mail at 08:00 is
    in neither: the mail reports the snapshot, not the registry of the moment."""
    from reporting.snapshots import snapshot_take

    today(MONDAY)
    snapshot = snapshot_take(region=contacts["aadorp_1"].municipality.region, as_of=MONDAY)
    room_set_occupants(room=noord_room(contacts, "A2"), occupants=2)
    occupancy_mails_send(as_of=MONDAY)
    mailing = OccupancyMailing.objects.get(municipality__name="Aadorp", as_of=MONDAY)
    assert mailing.snapshot == snapshot
    assert (mailing.occupied, mailing.available) == (5, 4)


def noord_room(contacts, number):
    from locations.models import Room

    return Room.objects.get(location__municipality=contacts["aadorp_1"].municipality, number=number)


# --- the change since the previous mail ----------------------------------------------------------


def test_change_since_the_previous_mail(contacts, noord, today, mailoutbox):
    today(MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    deliver_all()
    monday = OccupancyMailing.objects.get(municipality=noord.mun_a, as_of=MONDAY)
    # Overnight: a household of two in A2, De Molen closes, a new location opens with 4 beds.
    room_set_occupants(room=noord.rooms_a[1], occupants=2)
    Location.objects.filter(pk=noord.molen.pk).update(status=LocationStatus.CLOSED)
    nieuw = LocationFactory(municipality=noord.mun_a, code="AAD-003", name="Zonnehof")
    RoomFactory(location=nieuw, number="Z1", beds=4)
    mailoutbox.clear()

    today(TUESDAY)
    occupancy_mails_send(as_of=TUESDAY)
    tuesday = OccupancyMailing.objects.get(municipality=noord.mun_a, as_of=TUESDAY)
    assert tuesday.previous == monday
    content = occupancy_mail_content(tuesday)
    # Het Anker: 13 realised, 6 occupied, 0 available, 1 snijverlies; Zonnehof 4, 0, 4, 0.
    assert [figures(r) for r in content.rows] == [("AAD-001", 13, 6, 0, 1), ("AAD-003", 4, 0, 4, 0)]
    assert content.rows[0].change == {"realised": 0, "occupied": 2, "available": -2, "snijverlies": 0,
                                      "out_of_service": 0}
    assert content.rows[1].change is None  # new since the previous mail
    assert content.gone == [("AAD-002", "De Molen")]
    assert content.totals == {"realised": 17, "occupied": 6, "available": 4, "snijverlies": 1, "out_of_service": 6}
    # against Monday's 18 / 5 / 4 / 3 / 6
    assert content.change == {"realised": -1, "occupied": 1, "available": 0, "snijverlies": -2, "out_of_service": 0}
    assert content.previous_as_of == MONDAY

    assert deliver_all() == ["delivered"] * 3
    body = mail_to(mailoutbox, "anna@aadorp.example").body
    assert "de verandering sinds de vorige mail (30-11-2026)" in body
    assert re.search(r"Het Anker \(AAD-001\)\n  gerealiseerd: 13 \(0\)\n  bezet: 6 \(\+2\)\n  beschikbaar: 0 \(-2\)\n"
                     r"  snijverlies: 1 \(0\)\n", body), body
    assert "Zonnehof (AAD-003) - nieuw sinds de vorige mail" in body
    assert re.search(r"Totaal Aadorp\n  gerealiseerd: 17 \(-1\)\n  bezet: 6 \(\+1\)\n  beschikbaar: 4 \(0\)\n"
                     r"  snijverlies: 1 \(-2\)\n", body), body
    assert "Niet meer in deze mail" in body and "  De Molen (AAD-002)" in body


def test_the_change_is_counted_from_the_last_mail_sent_not_from_yesterday(contacts, noord, today):
    """A municipality that had no mail yesterday (its only contact was off) compares with the last
    mail it did get; a day without a mail is skipped, not counted as zero."""
    today(MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    monday = OccupancyMailing.objects.get(municipality=noord.mun_b, as_of=MONDAY)
    mail_contact_switch_off(contact=contacts["beekdal"], user=None, via=SwitchedOffVia.LINK)
    today(TUESDAY)
    occupancy_mails_send(as_of=TUESDAY)
    assert not OccupancyMailing.objects.filter(municipality=noord.mun_b, as_of=TUESDAY).exists()
    occupancy_mail.mail_contact_switch_on(contact=contacts["beekdal"], user=None)
    wednesday = today(dt.date(2026, 12, 2))
    occupancy_mails_send(as_of=wednesday)
    assert OccupancyMailing.objects.get(municipality=noord.mun_b, as_of=wednesday).previous == monday


def test_a_retry_renders_the_very_same_mail(contacts, noord, today, mailoutbox):
    """What a mailing says is fixed when it is made: a change in the registry afterwards (or a
    later mailing) does not alter a retry of that day's mail."""
    today(MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    mailing = OccupancyMailing.objects.get(municipality=noord.mun_a, as_of=MONDAY)
    first = occupancy_mail_content(mailing)
    room_set_occupants(room=noord.rooms_a[1], occupants=2)
    today(TUESDAY)
    occupancy_mails_send(as_of=TUESDAY)
    assert occupancy_mail_content(mailing) == first


# --- which days, who, how often --------------------------------------------------------------------


def test_weekend_sends_nothing(contacts, today, mailoutbox):
    today(SATURDAY)
    run = occupancy_mails_send(as_of=SATURDAY)
    assert (run.mail_day, run.mailings, run.messages) == (False, [], [])
    assert not OutboxMessage.objects.exists()
    assert not OccupancyMailing.objects.exists()
    assert not CapacitySnapshot.objects.exists()  # not even a snapshot taken for it
    assert send_occupancy_mails.apply().get() == {"as_of": "2026-12-05", "mail_day": False, "mailings": 0,
                                                  "messages": 0, "new": 0}
    assert not OutboxMessage.objects.exists()


def test_the_mail_days_are_configurable(contacts, today, settings):
    settings.OCCUPANCY_MAIL_DAYS = "mon-sat"
    today(SATURDAY)
    assert occupancy_mails_send(as_of=SATURDAY).created == 3
    settings.OCCUPANCY_MAIL_DAYS = "tue,thu"
    assert occupancy_mail.is_mail_day(TUESDAY) and not occupancy_mail.is_mail_day(MONDAY)


def test_beat_runs_on_weekdays_at_the_mail_hour():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["occupancy-mail"]
    assert entry["task"] == "reporting.tasks_mail.send_occupancy_mails"
    schedule = entry["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1, 2, 3, 4, 5}, {8}, {0})
    assert settings.OCCUPANCY_MAIL_HOUR > settings.KCIO_EXPORT_HOUR  # after the snapshot by default
    from reporting.tasks import send_occupancy_mails as exported  # the worker finds it

    assert exported.name == entry["task"]


def test_a_switched_off_contact_gets_nothing(contacts, today, mailoutbox):
    today(MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    off = contacts["aadorp_off"]
    assert not OutboxMessage.objects.filter(idempotency_key__startswith=f"occupancy-mail:{off.pk}:").exists()
    # Switched off after the message was written and before it went out: it does not go out.
    mail_contact_switch_off(contact=contacts["aadorp_2"], user=None, via=SwitchedOffVia.LINK)
    results = deliver_all()
    assert sorted(results) == ["delivered", "delivered", "failed"]
    assert {m.to[0] for m in mailoutbox} == {"anna@aadorp.example", "dirk@beekdal.example"}
    failed = OutboxMessage.objects.get(status=OutboxStatus.FAILED)
    assert failed.payload["contact_id"] == contacts["aadorp_2"].pk and failed.attempts == 1
    assert "afgemeld of verwijderd" in failed.last_error


def test_a_removed_contact_gets_nothing(contacts, today, mailoutbox, personas):
    today(MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    occupancy_mail.mail_contact_delete(user=personas.coordinator, contact=contacts["beekdal"])
    assert sorted(deliver_all()) == ["delivered", "delivered", "failed"]
    assert "dirk@beekdal.example" not in {m.to[0] for m in mailoutbox}


def test_a_rerun_sends_nothing_twice(contacts, noord, today, mailoutbox, personas):
    today(MONDAY)
    first = occupancy_mails_send(as_of=MONDAY)
    second = occupancy_mails_send(as_of=MONDAY)
    assert second.messages == first.messages and second.created == 0
    assert OutboxMessage.objects.count() == 3 and OccupancyMailing.objects.count() == 2
    assert deliver_all() == ["delivered"] * 3
    # The beat job again (a retry, a second beat) after the mails went out: nothing new, nothing sent.
    assert send_occupancy_mails.apply().get()["new"] == 0
    assert deliver_all() == []
    assert [outbox_deliver(message_id=pk) for pk in first.messages] == ["skipped"] * 3
    assert len(mailoutbox) == 3
    # A contact added later that day gets that day's mail, once, from the same mailing.
    late = mail_contact_create(user=personas.coordinator, municipality=noord.mun_b,
                               data={"name": "Laat-Test", "email": "laat@beekdal.example", "function": ""})
    run = occupancy_mails_send(as_of=MONDAY)
    assert run.created == 1 and OccupancyMailing.objects.count() == 2
    assert deliver_all() == ["delivered"]
    assert mail_to(mailoutbox, "laat@beekdal.example").subject == "Bezetting opvang Beekdal op 30-11-2026"
    assert OutboxMessage.objects.filter(idempotency_key=f"occupancy-mail:{late.pk}:2026-11-30").count() == 1


def test_a_region_without_active_contacts_is_left_alone(world, today):
    today(MONDAY)
    run = occupancy_mails_send(as_of=MONDAY)
    assert run.messages == [] and not CapacitySnapshot.objects.exists()


def test_a_past_day_without_a_snapshot_is_skipped_not_guessed(contacts, today, caplog):
    today(TUESDAY)
    run = occupancy_mails_send(as_of=MONDAY)
    assert run.messages == [] and not OccupancyMailing.objects.exists()
    assert "snapshot_date_not_today" in caplog.text


def test_the_job_uses_few_queries_per_contact(contacts, noord, today, django_assert_max_num_queries, personas):
    for n in range(20):
        mail_contact_create(user=personas.coordinator, municipality=noord.mun_a if n % 2 else noord.mun_b,
                            data={"name": f"Extra {n}", "email": f"extra{n}@example.org", "function": ""})
    today(MONDAY)
    # 23 active contacts: the per-contact cost is the outbox's own get-or-create (select, savepoint,
    # insert, release); the rest (contacts, snapshot, lock, mailings, existing keys) is fixed.
    with django_assert_max_num_queries(20 + 23 * 4):
        occupancy_mails_send(as_of=MONDAY)


# --- contacts in the database ---------------------------------------------------------------------


def test_switching_off_records_who_and_when_and_the_database_insists(contacts, personas):
    off = MailContact.objects.get(pk=contacts["aadorp_off"].pk)
    assert (off.active, off.switched_off_by, off.switched_off_via) == (False, personas.coordinator, "staff")
    assert off.switched_off_at is not None
    event = MailContactEvent.objects.filter(contact=off).order_by("-pk").first()
    assert (event.kind, event.user, event.via) == ("switched_off", personas.coordinator, "staff")
    with pytest.raises(IntegrityError), transaction.atomic():
        MailContact.objects.filter(pk=contacts["aadorp_1"].pk).update(active=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        MailContact.objects.filter(pk=off.pk).update(switched_off_via="link")  # a link has no user
    with pytest.raises(IntegrityError), transaction.atomic():
        MailContact.objects.filter(pk=off.pk).update(active=True)


def test_an_address_once_per_municipality_whatever_its_case(contacts, noord, personas):
    from rcvs.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        mail_contact_create(user=personas.coordinator, municipality=noord.mun_a,
                            data={"name": "Dubbel", "email": "ANNA@aadorp.example", "function": ""})
    assert caught.value.message == "Dit e-mailadres staat al bij deze gemeente."
    assert MailContact.objects.filter(municipality=noord.mun_a).count() == 3
    # another municipality may have the same address
    mail_contact_create(user=personas.coordinator, municipality=noord.mun_b,
                        data={"name": "Anna", "email": "anna@aadorp.example", "function": ""})
