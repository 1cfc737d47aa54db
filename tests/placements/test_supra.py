"""Bovenregionaal verzoek: only what the receiving side needs, names only on purpose, status tracked."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from pypdf import PdfReader

from placements.models import (
    PlacementEvent,
    PlacementRequest,
    RequestStatus,
    SupraRegionalRequest,
    SupraRegionalStatus,
)
from placements.services import InvalidTransition, placement_reserve, request_cancel
from placements.supra import (
    supra_as_json,
    supra_as_pdf,
    supra_as_text,
    supra_request_create,
    supra_request_set_status,
)
from rcvs.errors import ApplicationError, Conflict
from tests.factories import make_request

pytestmark = pytest.mark.django_db

CONTACT = {"contact_name": "Petra Belteam-Test", "contact_phone": "0592 111 222",
           "contact_email": "belteam@example.org"}
CARE_DETAIL = "Insulinepomp-Testdetail"


def arrival_at() -> dt.datetime:
    local = timezone.localtime() + dt.timedelta(days=3)
    return local.replace(hour=14, minute=0, second=0, microsecond=0)


def born(day: dt.date, years: int, days: int = 0) -> dt.date:
    """The date someone was born who turns `years` on `day`, shifted by `days` (later = younger)."""
    try:
        birthday = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        birthday = day.replace(year=day.year - years, day=28)
    return birthday + dt.timedelta(days=days)


def member(first: str, dob: dt.date, relation: str = "child", sex: str = "f") -> dict:
    return {"first_name": first, "last_name": "Supranenko", "date_of_birth": dob, "sex": sex, "relation": relation}


@pytest.fixture
def family(world, personas):
    """Seven synthetic persons spread over the bands, most of them on a boundary at the arrival day."""
    arrival = arrival_at()
    day = arrival.date()
    members = [
        member("Halyna", born(day, 40), relation="main"),
        member("Bohdan", born(day, 18), relation="sibling", sex="m"),  # 18 on the arrival day → 18-64
        member("Oksana", born(day, 18, days=1)),  # turns 18 the day after → 12-17
        member("Ivan", born(day, 4), sex="m"),  # 4 on the arrival day → 4-11
        member("Lesia", born(day, 2, days=1)),  # turns 2 the day after → 0-1
        member("Nina", born(day, 65), relation="parent"),  # 65 on the arrival day → 65+
        member("Petro", born(day, 65, days=1), relation="parent", sex="m"),  # 64 → 18-64
    ]
    return make_request(region=world.noord, user=personas.belteam, members=members, arrival=arrival,
                        pets_count=2, pets_kind="kat", reduced_mobility=True, care_need=True,
                        notes=CARE_DETAIL)


NAMES = ("Halyna", "Bohdan", "Oksana", "Ivan", "Lesia", "Nina", "Petro", "Supranenko")


def test_forwarding_sends_only_what_the_receiver_needs_and_closes_the_request(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, note="Geen passende kamer in de regio",
                                 **CONTACT)

    data = supra_as_json(supra)
    assert data == {
        "id": str(supra.uuid),
        "direction": "outgoing",
        "counterpart": "KCIO",
        "status": "sent",
        "region": {"code": "noord", "name": "Regio Noord"},
        "household_size": 7,
        "composition": {"0-1": 1, "2-3": 0, "4-11": 1, "12-17": 1, "18-64": 3, "65+": 1},
        "needs": {"pets": {"count": 2, "kind": "kat"}, "wheelchair": False, "reduced_mobility": True,
                  "care_need": True, "own_transport": False},
        "earliest_date": family.expected_arrival.date().isoformat(),
        "contact": {"name": "Petra Belteam-Test", "phone": "0592 111 222", "email": "belteam@example.org"},
        "note": "Geen passende kamer in de regio",
    }
    dumped = json.dumps(data, ensure_ascii=False)
    assert not [name for name in NAMES if name in dumped]
    assert CARE_DETAIL not in dumped  # care travels as a flag, never as a description

    stored = SupraRegionalRequest.objects.get()
    assert (stored.request, stored.region, stored.created_by, stored.names) == (
        family, family.region, personas.belteam, "")

    family.refresh_from_db()
    assert family.status == RequestStatus.FORWARDED
    event = PlacementEvent.objects.get(request=family, kind=PlacementEvent.Kind.FORWARDED)
    assert (event.actor, event.from_status, event.to_status) == (personas.belteam, "new", "forwarded")
    assert event.reason == "Bovenregionaal verzoek aan KCIO"
    assert event.data == {"supra": str(supra.uuid), "supra_status": "sent", "names_included": False}


def test_names_travel_only_when_added_on_purpose(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, include_names=True, **CONTACT)

    names = supra_as_json(supra)["names"]
    assert names[0] == "Halyna Supranenko (40)"
    assert names[4] == "Lesia Supranenko (1)"
    assert len(names) == 7
    assert "Namen (bewust toegevoegd):" in supra_as_text(supra)
    assert PlacementEvent.objects.get(kind="forwarded").data["names_included"] is True


def test_age_bands_are_counted_on_the_arrival_date_not_today(world, personas):
    arrival = arrival_at() + dt.timedelta(days=30)
    day = arrival.date()
    request = make_request(region=world.noord, user=personas.belteam, arrival=arrival, members=[
        member("Anna", born(day, 30), relation="main"),
        # 17 today, 18 by the arrival: counts as an adult for the receiving side.
        member("Bo", born(day, 18, days=-10)),
        # 3 today, 4 by the arrival.
        member("Cleo", born(day, 4, days=-5)),
        member("Dana", born(day, 12)),
        member("Eva", born(day, 12, days=1)),  # still 11 on the arrival day
        member("Fien", born(day, 3, days=1)),  # still 2
    ])
    supra = supra_request_create(user=personas.belteam, request=request, **CONTACT)
    assert supra.composition == {"0-1": 0, "2-3": 1, "4-11": 2, "12-17": 1, "18-64": 2, "65+": 0}
    assert sum(supra.composition.values()) == supra.household_size == 6
    assert supra.earliest_date == day


def test_text_is_dutch_and_has_size_needs_and_contact(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)

    text = supra_as_text(supra)
    for expected in ("Bovenregionaal plaatsingsverzoek", "Van: Regio Noord (RCVS)", "Aan: KCIO",
                     "Huishouden: 7 persoon/personen", "0–1 jaar (zuigeling): 1", "18–64 jaar: 3",
                     "65 jaar en ouder: 1", "Huisdieren: 2 (kat)", "Beperkt mobiel",
                     "Zorgbehoefte: ja", "Contactpersoon: Petra Belteam-Test", "Telefoon: 0592 111 222",
                     "E-mail: belteam@example.org", "Status: Verzonden"):
        assert expected in text, expected
    assert "2–3 jaar" not in text  # empty bands are left out of the text
    assert "Vroegste datum van plaatsing: " + str(supra.earliest_date.day) in text
    assert not [name for name in NAMES if name in text]
    assert CARE_DETAIL not in text


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader sees it, in layout order, with runs of spaces made one."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def test_pdf_is_a_real_pdf_with_size_and_contact_and_no_names(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)

    pdf = supra_as_pdf(supra)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Bovenregionaal plaatsingsverzoek" in text
    assert "7 personen" in text
    assert "Petra Belteam-Test" in text and "0592 111 222" in text
    assert "Huisdieren: 2 (kat)" in text
    assert not [name for name in NAMES if name in text]
    assert CARE_DETAIL not in text


def test_pdf_shows_names_when_added(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, include_names=True, **CONTACT)
    assert "Halyna Supranenko (40)" in _pdf_text(supra_as_pdf(supra))


def _nothing_forwarded(request: PlacementRequest, status: str) -> None:
    request.refresh_from_db()
    assert request.status == status
    assert not SupraRegionalRequest.objects.exists()
    assert not PlacementEvent.objects.filter(request=request, kind=PlacementEvent.Kind.FORWARDED).exists()


def test_a_request_with_beds_in_the_region_is_not_forwarded(world, personas):
    request = make_request(region=world.noord, user=personas.belteam)
    placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[0].pk, 1)])

    with pytest.raises(Conflict) as excinfo:
        supra_request_create(user=personas.belteam, request=request, **CONTACT)
    assert excinfo.value.code == "has_placement"
    _nothing_forwarded(request, RequestStatus.RESERVED)


def test_a_closed_request_is_not_forwarded(world, personas):
    request = make_request(region=world.noord, user=personas.belteam)
    request_cancel(user=personas.belteam, request=request, reason="Elders onderdak gevonden")

    with pytest.raises(InvalidTransition):
        supra_request_create(user=personas.belteam, request=request, **CONTACT)
    _nothing_forwarded(request, RequestStatus.CANCELLED)


def test_forwarding_twice_is_refused(family, personas):
    supra_request_create(user=personas.belteam, request=family, **CONTACT)
    with pytest.raises(InvalidTransition):
        supra_request_create(user=personas.belteam, request=family, **CONTACT)
    assert SupraRegionalRequest.objects.count() == 1


def test_missing_contact_is_refused_and_nothing_written(family, personas):
    with pytest.raises(ApplicationError) as excinfo:
        supra_request_create(user=personas.belteam, request=family, contact_name=" ", contact_phone="",
                             contact_email="geen-adres")
    assert excinfo.value.code == "invalid"
    assert set(excinfo.value.extra["fields"]) == {"contact_name", "contact_phone", "contact_email"}
    _nothing_forwarded(family, RequestStatus.NEW)


@pytest.mark.parametrize("status", ["accepted", "placed_elsewhere"])
def test_answer_of_the_coordination_is_recorded(family, personas, status):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)

    supra_request_set_status(user=personas.coordinator, supra=supra, status=status, note="Per telefoon")

    supra.refresh_from_db()
    assert supra.status == status
    event = PlacementEvent.objects.filter(request=family, kind="forwarded").last()
    assert (event.actor, event.from_status, event.to_status, event.reason) == (
        personas.coordinator, "sent", status, "Per telefoon")
    family.refresh_from_db()
    assert family.status == RequestStatus.FORWARDED
    assert supra_as_json(supra)["status"] == status


def test_a_rejection_puts_the_household_back_in_the_regions_queue(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)

    supra_request_set_status(user=personas.coordinator, supra=supra, status=SupraRegionalStatus.REJECTED)

    family.refresh_from_db()
    assert family.status == RequestStatus.IN_PROGRESS
    back = PlacementEvent.objects.get(request=family, kind=PlacementEvent.Kind.REQUEST_STATUS)
    assert (back.from_status, back.to_status, back.reason) == ("forwarded", "in_progress",
                                                               "Bovenregionaal verzoek afgewezen")


@pytest.mark.parametrize(("first", "then"), [
    ("accepted", "rejected"), ("rejected", "accepted"), ("placed_elsewhere", "sent"), ("accepted", "accepted"),
])
def test_only_an_open_request_changes_status(family, personas, first, then):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)
    supra_request_set_status(user=personas.coordinator, supra=supra, status=first)
    events = PlacementEvent.objects.count()

    with pytest.raises(InvalidTransition):
        supra_request_set_status(user=personas.coordinator, supra=supra, status=then)

    supra.refresh_from_db()
    assert supra.status == first
    assert PlacementEvent.objects.count() == events


def test_an_unknown_status_is_refused(family, personas):
    supra = supra_request_create(user=personas.belteam, request=family, **CONTACT)
    with pytest.raises(InvalidTransition):
        supra_request_set_status(user=personas.coordinator, supra=supra, status="lost")
    supra.refresh_from_db()
    assert supra.status == SupraRegionalStatus.SENT
