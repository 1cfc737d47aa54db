"""Demo data: mail (reporting/demo/__init__.py) — synthetic occupancy-mail contacts for every
municipality of the region (invented names, example.org-style addresses that deliver nowhere),
one of them switched off, and the last mail day's mailings from the trends' snapshots, so the first
real mail already shows a change since "the previous mail". The mails themselves are made by the
scheduled job (reporting.tasks_mail.send_occupancy_mails), never here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from reporting.models import CapacitySnapshot, LocationSnapshot, MailContact, OccupancyMailing, SwitchedOffVia
from reporting.occupancy_mail import FIGURES, is_mail_day, mail_contact_create, mail_contact_switch_off

FUNCTIONS = ("beleidsadviseur opvang", "teamleider maatschappelijke opvang")


def _address(municipality: Any, number: int) -> str:
    return f"opvang{number}.{municipality.cbs_code.lower()}@gemeente.example"


def seed(region: Any, *, seed: int, as_of: dt.date) -> str | None:
    """Create the synthetic demo data of this capability for the region; return a one-line
    Dutch summary for seed_demo's output, or None. Idempotent: what exists is left alone."""
    contacts = mailings = 0
    with transaction.atomic():
        municipalities = list(region.municipalities.order_by("cbs_code"))
        existing = {(c.municipality_id, c.email) for c in MailContact.objects.filter(municipality__region=region)}
        for index, municipality in enumerate(municipalities):
            wanted = 2 if index % 3 == 0 else 1
            for number in range(1, wanted + 1):
                email = _address(municipality, number)
                if (municipality.pk, email) in existing:
                    continue
                contact = mail_contact_create(user=None, municipality=municipality, data={
                    "name": f"Contactpersoon {number} opvang {municipality.name}", "email": email,
                    "function": FUNCTIONS[(number - 1) % len(FUNCTIONS)]})
                contacts += 1
                if index == 1 and number == 1:  # one switched off through its link, to show the state
                    mail_contact_switch_off(contact=contact, user=None, via=SwitchedOffVia.LINK)
        mailings = _seed_last_mailings(region, municipalities, as_of)
    if not contacts and not mailings:
        return None
    return f"Bezettingsmail: {contacts} ontvanger(s), {mailings} eerdere mail(s) uit de momentopnamen"


def _seed_last_mailings(region: Any, municipalities: list, as_of: dt.date) -> int:
    """The mailings of the latest mail day before `as_of` that has a snapshot (from the trends' demo),
    for the municipalities that have none yet."""
    snapshot = next((s for s in CapacitySnapshot.objects.filter(region=region, as_of__lt=as_of).order_by("-as_of")[:14]
                     if is_mail_day(s.as_of)), None)
    if snapshot is None:
        return 0
    # Only for a municipality that has never had a mail: a later run adds no made-up history.
    done = set(OccupancyMailing.objects.filter(municipality__in=municipalities)
               .values_list("municipality_id", flat=True))
    lines: dict[str, list] = {}
    for line in LocationSnapshot.objects.filter(snapshot=snapshot):
        lines.setdefault(line.municipality_cbs_code, []).append(line)
    created = 0
    for municipality in municipalities:
        if municipality.pk in done:
            continue
        own = lines.get(municipality.cbs_code, [])
        OccupancyMailing.objects.create(
            municipality=municipality, as_of=snapshot.as_of, snapshot=snapshot,
            municipality_cbs_code=municipality.cbs_code, locations=len(own),
            **{name: sum(getattr(line, name) for line in own) for name in FIGURES})
        created += 1
    return created
