"""Factories for synthetic registry data. Only invented names and addresses, never real people."""

from __future__ import annotations

import factory

from locations.models import ContactPerson, Location, LocationStatus, Municipality, Region, Room
from rcvs.accounts.models import Role, User


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"regio-{n}")
    name = factory.Sequence(lambda n: f"Regio {n}")


class MunicipalityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Municipality

    region = factory.SubFactory(RegionFactory)
    # GM1000–GM8999, wrapping: long runs (hypothesis) must stay within the 6-character code, and the
    # fixed codes GM9001–GM9003 of the conftest world are never produced.
    cbs_code = factory.Sequence(lambda n: f"GM{1000 + n % 8000:04d}")
    name = factory.Sequence(lambda n: f"Gemeente {n}")
    population = 50_000
    population_year = 2026
    land_area_km2 = 120


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"LOC-{n:04d}")
    name = factory.Sequence(lambda n: f"Opvanglocatie {n}")
    street = "Stationsstraat 1"
    postcode = "9401 AB"
    place = "Teststad"
    status = LocationStatus.OPEN


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    number = factory.Sequence(lambda n: f"K{n:03d}")
    beds = 4


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPerson

    location = factory.SubFactory(LocationFactory)
    name = "Jansen (locatiemanager)"
    phone = "0592 123 456"
    email = "locatie@example.org"
    is_primary = True


def room_set_occupants(*, room: Room, occupants: int) -> Room:
    """Put persons in a room without a household, for registry tests that only need the numbers.
    Real occupancy comes from placements (placements/services.py); the database still refuses
    more occupants than beds or anyone in a blocked room."""
    Room.objects.filter(pk=room.pk).update(occupants=occupants)
    room.refresh_from_db()
    return room


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Gebruiker {n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.BELTEAM
    password = factory.django.Password("demo-wachtwoord-123")

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)

    @factory.post_generation
    def municipalities(self, create, extracted, **kwargs):
        if create and extracted:
            self.municipalities.set(extracted)


# --- placements -------------------------------------------------------------------------------

def make_request(*, region, members=None, user=None, arrival=None, **data):
    """A placement request through the service, with a synthetic household (default: one adult woman)."""
    import datetime as dt

    from django.utils import timezone

    from placements.services import request_create

    arrival = arrival or (timezone.now() + dt.timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)
    members = members or [{"first_name": "Olena", "last_name": "Testenko", "date_of_birth": dt.date(1990, 4, 1),
                           "sex": "f", "relation": "main"}]
    return request_create(user=user, region=region, data={"expected_arrival": arrival, **data}, members=members)


def family_of_four_with_infant(last_name: str = "Kovalenko-Test"):
    """Synthetic: two parents, a child and a baby of a few months."""
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return [
        {"first_name": "Iryna", "last_name": last_name, "date_of_birth": dt.date(1991, 3, 14), "sex": "f",
         "relation": "main"},
        {"first_name": "Taras", "last_name": last_name, "date_of_birth": dt.date(1989, 7, 2), "sex": "m",
         "relation": "partner"},
        {"first_name": "Sofiia", "last_name": last_name, "date_of_birth": dt.date(2018, 9, 30), "sex": "f",
         "relation": "child"},
        {"first_name": "Marko", "last_name": last_name, "date_of_birth": today - dt.timedelta(days=120),
         "sex": "m", "relation": "child"},
    ]


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """An outbox message of a region, as placement_confirm writes one (ids only in the payload)."""

    class Meta:
        model = "outbox.OutboxMessage"

    kind = "placement.location_mail"
    channel = "mail"
    payload = factory.Sequence(lambda n: {"placement_id": n})
    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    region = factory.SubFactory(RegionFactory)
    next_attempt_at = factory.LazyFunction(lambda: _now())


def _now():
    from django.utils import timezone

    return timezone.now()


# --- casework ---------------------------------------------------------------------------------
# Synthetic only. Cases are normally made through casework.services.case_create; these factories
# build rows directly for tests that need many or odd ones (the services' checks are not applied).

def _case_household(case):
    return make_request(region=RegionFactory(), members=None)


def ensure_case_categories():
    """The categories are seeded by a data migration (casework 0003); a transactional test's flush
    (TRUNCATE) empties the table for every test after it, so tests put them back with this."""
    import importlib

    from django.apps import apps

    seed = importlib.import_module("casework.migrations.0003_seed_categories").seed
    seed(apps, None)


def _case_category():
    from casework.models import CaseCategory

    ensure_case_categories()
    return CaseCategory.objects.get(code="overlast")


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.Case"

    household = factory.LazyAttribute(_case_household)
    region = factory.LazyAttribute(lambda case: case.household.region)
    number = factory.Sequence(lambda n: f"2026-{n + 1:04d}")
    category = factory.LazyFunction(_case_category)
    summary = "Afspraken over de huisregels"


class LegalBasisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.LegalBasis"

    region = factory.SubFactory(RegionFactory)
    description = "Mandaat gemeenten o.g.v. art. 6 en 7 Tw Oek"
    reference = factory.Sequence(lambda n: f"Besluit-{n:04d}")
    valid_from = factory.LazyFunction(lambda: _now().date().replace(month=1, day=1))


def _one_hour_after(moment):
    import datetime as dt

    return moment + dt.timedelta(hours=1)


class CaseEntryFactory(factory.django.DjangoModelFactory):
    """An entry with its first version (text) — `text` is passed on to the version."""

    class Meta:
        model = "casework.CaseEntry"
        skip_postgeneration_save = True

    case = factory.SubFactory(CaseFactory)
    kind = "notitie"
    occurred_at = factory.LazyFunction(lambda: _now())
    locks_at = factory.LazyAttribute(lambda e: _one_hour_after(e.occurred_at))

    @factory.post_generation
    def text(self, create, extracted, **kwargs):
        if create:
            self.versions.create(number=1, text=extracted or "Gesprek gevoerd over de huisregels.",
                                 author=self.author)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.Referral"

    case = factory.SubFactory(CaseFactory)
    to_kind = "wijkteam"
    to_organisation = "Wijkteam Aadorp-Test"
    sent_at = factory.LazyFunction(lambda: _now())
