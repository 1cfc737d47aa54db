"""Casework fixtures on top of the shared world and personas: mental coaches, a coordinator with
the special-category right, a placed household in Aadorp (Noord) and one in Zuid, and a legal
basis for Noord (none for Zuid)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from casework.models import CaseCategory
from casework.services import case_create
from placements.services import placement_confirm, placement_reserve
from rcvs.accounts.models import Role
from tests.factories import LegalBasisFactory, UserFactory, ensure_case_categories, make_request

FAMILY = [
    {"first_name": "Iryna", "last_name": "Bondarenko-Test", "date_of_birth": dt.date(1988, 5, 17), "sex": "f",
     "relation": "main", "v_number": "1234567890"},
    {"first_name": "Taras", "last_name": "Bondarenko-Test", "date_of_birth": dt.date(1986, 2, 3), "sex": "m",
     "relation": "partner"},
    {"first_name": "Sofiia", "last_name": "Bondarenko-Test", "date_of_birth": dt.date(2015, 9, 30), "sex": "f",
     "relation": "child"},
]


def place(*, user, region, room, members=None):
    request = make_request(region=region, user=user, members=members)
    placement = placement_reserve(user=user, request=request, allocation=[(room.pk, request.members.count())])
    return request, placement_confirm(user=user, placement=placement)


@pytest.fixture
def cw(world, personas):
    ensure_case_categories()  # a transactional test before this one may have flushed the seeded rows
    make = UserFactory
    coach = make(username="coach", role=Role.MENTAL_COACH, regions=[world.noord])
    coach_zuid = make(username="coach_zuid", role=Role.MENTAL_COACH, regions=[world.zuid])
    special = make(username="coordinator_special", role=Role.COORDINATOR, regions=[world.noord],
                   special_category_access=True)
    coordinator_zuid = make(username="coordinator_zuid", role=Role.COORDINATOR, regions=[world.zuid])
    colleague = make(username="colleague", role=Role.COORDINATOR, regions=[world.noord])
    superuser = make(username="root", role=Role.BEHEERDER, regions=[world.noord], is_superuser=True, is_staff=True)
    household, placement = place(user=personas.coordinator, region=world.noord, room=world.rooms_a[3],
                                 members=FAMILY)
    household_zuid, placement_zuid = place(user=coordinator_zuid, region=world.zuid, room=world.rooms_c[0])
    basis = LegalBasisFactory(region=world.noord, valid_from=timezone.localdate() - dt.timedelta(days=30),
                              recorded_by=personas.beheerder)
    return SimpleNamespace(
        coach=coach, coach_zuid=coach_zuid, special=special, coordinator_zuid=coordinator_zuid,
        colleague=colleague, superuser=superuser, household=household, placement=placement,
        household_zuid=household_zuid, placement_zuid=placement_zuid, basis=basis,
        child=household.members.get(first_name="Sofiia"),
    )


def category(code: str) -> CaseCategory:
    ensure_case_categories()
    return CaseCategory.objects.get(code=code)


def open_case(*, user, household, code="overlast", owner=None, subject=None, **kwargs):
    return case_create(user=user, household=household, category=category(code), summary="Afspraken huisregels",
                       owner=owner, subject=subject, **kwargs)
