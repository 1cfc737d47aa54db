"""Who sees which case and which entries; dashboard, search, location and aggregates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import selectors, services
from casework.models import Case, CaseShare
from placements.services import placement_transfer
from tests.casework.conftest import open_case, place
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _visible(user, case) -> bool:
    return selectors.case_qs_for(user).filter(pk=case.pk).exists()


def _share(personas, case, *, by=None, user=None, days=10, include_special=False):
    return services.share_create(user=by or personas.coordinator, case=case, to_user=user or personas.gemeente_a,
                                 purpose="Afstemming schoolgang", until=timezone.localdate() + dt.timedelta(days=days),
                                 include_special=include_special)


@pytest.fixture
def case(personas, cw):
    return open_case(user=personas.coordinator, household=cw.household, code="psychisch_trauma",
                     owner=personas.coordinator)


# --- scoping per role ---------------------------------------------------------------------------

def test_casework_roles_of_the_region_see_the_case(personas, cw, case):
    for user in (personas.coordinator, cw.special, cw.coach, cw.colleague):
        assert _visible(user, case), user.username


@pytest.mark.parametrize("persona", ["belteam", "bestuur", "beheerder", "gemeente_a", "gemeente_b", "outsider"])
def test_other_roles_see_no_case(personas, cw, case, persona):
    assert not _visible(getattr(personas, persona), case)
    assert not selectors.case_qs_for(getattr(personas, persona)).exists()


def test_coordinator_of_the_other_region_sees_nothing(cw, case):
    assert not _visible(cw.coordinator_zuid, case)
    assert not _visible(cw.coach_zuid, case)


def test_superuser_needs_a_casework_role_and_then_only_their_regions(world, cw, case):
    assert not _visible(cw.superuser, case)
    super_coordinator = UserFactory(username="super_coord", role="coordinator", regions=[world.zuid],
                                    is_superuser=True)
    assert not _visible(super_coordinator, case)  # superuser status does not cross regions here
    super_coordinator.regions.add(world.noord)
    assert _visible(super_coordinator, case)


def test_inactive_user_sees_nothing(personas, case):
    personas.coordinator.is_active = False
    personas.coordinator.save()
    assert not _visible(personas.coordinator, case)


def test_gemeente_sees_a_case_only_through_an_active_share(personas, cw, case):
    assert not _visible(personas.gemeente_a, case)
    share = _share(personas, case)
    assert _visible(personas.gemeente_a, case)
    assert not _visible(personas.gemeente_b, case)
    # Expired: a share until yesterday opens nothing.
    CaseShare.objects.filter(pk=share.pk).update(until=timezone.localdate() - dt.timedelta(days=1))
    assert not _visible(personas.gemeente_a, case)
    CaseShare.objects.filter(pk=share.pk).update(until=timezone.localdate())
    assert _visible(personas.gemeente_a, case)
    services.share_revoke(user=personas.coordinator, share=share)
    assert not _visible(personas.gemeente_a, case)


def test_share_with_a_user_of_another_municipality_opens_nothing(personas, case):
    """Even written behind the service's back: the household does not stay in gemeente B."""
    CaseShare.objects.create(case=case, user=personas.gemeente_b, purpose="Afstemming",
                             until=timezone.localdate() + dt.timedelta(days=5))
    assert not _visible(personas.gemeente_b, case)


def test_share_with_a_belteam_user_opens_nothing(world, personas, case):
    """Shares are for gemeente users: not even a belteam user tied to the municipality gets in."""
    personas.belteam.municipalities.set([world.mun_a])
    CaseShare.objects.create(case=case, user=personas.belteam, purpose="Afstemming",
                             until=timezone.localdate() + dt.timedelta(days=5))
    assert not _visible(personas.belteam, case)


# --- special-category entries -------------------------------------------------------------------

def _timeline(cw, personas, case):
    special = services.entry_add(user=cw.coach, case=case, kind="huisbezoek", text="Nachtmerries, slaapt slecht")
    plain = services.entry_add(user=personas.coordinator, case=case, kind="telefoongesprek",
                               text="Afspraak gemaakt", special_category=False)
    return special, plain


def test_special_entries_only_with_the_right(personas, cw, case):
    special, plain = _timeline(cw, personas, case)
    assert list(selectors.entries_visible_to(personas.coordinator, case)) == [plain]
    assert list(selectors.entries_visible_to(cw.colleague, case)) == [plain]
    for user in (cw.coach, cw.special):
        assert set(selectors.entries_visible_to(user, case)) == {special, plain}
    for user in (personas.belteam, personas.bestuur, personas.beheerder, cw.coordinator_zuid, cw.superuser):
        assert not selectors.entries_visible_to(user, case).exists()


def test_gemeente_sees_special_entries_only_when_the_share_includes_them(personas, cw, case):
    special, plain = _timeline(cw, personas, case)
    assert not selectors.entries_visible_to(personas.gemeente_a, case).exists()
    share = _share(personas, case)
    assert list(selectors.entries_visible_to(personas.gemeente_a, case)) == [plain]
    services.share_revoke(user=personas.coordinator, share=share)
    _share(personas, case, by=cw.special, include_special=True)
    assert set(selectors.entries_visible_to(personas.gemeente_a, case)) == {special, plain}


def test_gemeente_sees_health_referrals_only_when_the_share_includes_special(personas, cw, case):
    coach_referral = services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach",
                                              to_user=cw.coach)
    ggz = services.referral_create(user=personas.coordinator, case=case, to_kind="huisarts_ggz",
                                   to_organisation="GGZ Noord-Test")
    team = services.referral_create(user=personas.coordinator, case=case, to_kind="wijkteam",
                                    to_organisation="Wijkteam Aadorp-Test")
    assert set(selectors.referrals_of(personas.coordinator, case)) == {coach_referral, ggz, team}
    assert not selectors.referrals_of(personas.gemeente_a, case).exists()  # no share yet
    share = _share(personas, case)
    assert list(selectors.referrals_of(personas.gemeente_a, case)) == [team]
    services.share_revoke(user=personas.coordinator, share=share)
    _share(personas, case, by=cw.special, include_special=True)
    assert set(selectors.referrals_of(personas.gemeente_a, case)) == {coach_referral, ggz, team}
    assert not selectors.referrals_of(personas.belteam, case).exists()


def test_case_get_is_404_outside_scope_and_for_nonsense(personas, cw, case):
    from rcvs.errors import NotFound

    assert selectors.case_get(user=personas.coordinator, uuid=case.uuid) == case
    for user, uuid in ((personas.belteam, case.uuid), (cw.coordinator_zuid, case.uuid),
                       (personas.coordinator, "geen-uuid"), (personas.coordinator, "00000000-0000-0000-0000-000000000000")):
        with pytest.raises(NotFound):
            selectors.case_get(user=user, uuid=uuid)
    assert selectors.can_see_read_log(personas.coordinator, case)
    _share(personas, case)
    assert not selectors.can_see_read_log(personas.gemeente_a, case)
    assert not selectors.can_see_read_log(cw.coordinator_zuid, case)


# --- location follows the household -------------------------------------------------------------

def test_case_location_follows_a_transfer(world, personas, cw, case):
    located = selectors.case_qs_for(personas.coordinator).get(pk=case.pk)
    assert (located.current_location_name, located.current_municipality_id) == ("Het Anker", world.mun_a.pk)
    _share(personas, case)
    placement_transfer(user=personas.coordinator, placement=cw.placement,
                       allocation=[(world.rooms_b[1].pk, 3)], reason="Overlast")
    located = selectors.case_qs_for(personas.coordinator).get(pk=case.pk)
    assert (located.current_location_name, located.current_municipality_name) == ("De Beuk", "Beekdal")
    assert list(selectors.case_list(user=personas.coordinator,
                                    filters=selectors.CaseFilters(municipality_id=world.mun_b.pk))) == [located]
    assert not selectors.case_list(user=personas.coordinator,
                                   filters=selectors.CaseFilters(location_id=world.loc_a.pk)).exists()
    # Gemeente A's share ends with the stay in Aadorp; gemeente B has no share yet.
    assert not _visible(personas.gemeente_a, case)
    assert not _visible(personas.gemeente_b, case)
    services.share_create(user=personas.coordinator, case=case, to_user=personas.gemeente_b, purpose="Overdracht",
                          until=timezone.localdate() + dt.timedelta(days=3))
    assert _visible(personas.gemeente_b, case)


# --- dashboard ----------------------------------------------------------------------------------

def _dashboard_queries(user, now):
    with CaptureQueriesContext(connection) as ctx:
        board = selectors.case_dashboard(user=user, now=now)
        shown = [(c.region.name, c.category.name, c.owner and c.owner.username, c.current_location_name)
                 for c in board.my_cases + board.unowned + board.follow_ups_due + board.follow_ups_overdue]
    assert all(row[0] for row in shown)
    return board, len(ctx.captured_queries)


def test_dashboard_lists_and_constant_queries(personas, cw, settings):
    settings.CASEWORK_UNOWNED_HOURS = 24
    now = timezone.now()
    today = timezone.localdate(now)
    coordinator = personas.coordinator
    mine = open_case(user=coordinator, household=cw.household, owner=coordinator, follow_up_on=today)
    co = open_case(user=coordinator, household=cw.household, owner=cw.colleague, follow_up_on=today)
    services.case_assign(user=coordinator, case=co, owner=cw.colleague, co_workers=[coordinator])
    Case.objects.filter(pk=co.pk).update(follow_up_on=today - dt.timedelta(days=2))  # overdue
    fresh_unowned = open_case(user=coordinator, household=cw.household)
    old_unowned = open_case(user=coordinator, household=cw.household)
    Case.objects.filter(pk=old_unowned.pk).update(created_at=now - dt.timedelta(hours=25))
    closed = open_case(user=coordinator, household=cw.household, owner=coordinator)
    services.case_close(user=coordinator, case=closed, reason="opgelost")
    open_case(user=cw.coordinator_zuid, household=cw.household_zuid)  # other region, old and unowned
    Case.objects.filter(region=cw.household_zuid.region).update(created_at=now - dt.timedelta(days=3))
    services.case_open_for_read(user=cw.colleague, case=mine, part="case", channel="page", reason="Dienst")

    board, queries = _dashboard_queries(coordinator, now)
    assert [c.pk for c in board.my_cases] == [co.pk, mine.pk]
    assert [c.pk for c in board.follow_ups_due] == [mine.pk]
    assert [c.pk for c in board.follow_ups_overdue] == [co.pk]
    assert [c.pk for c in board.unowned] == [old_unowned.pk]
    assert fresh_unowned.pk not in [c.pk for c in board.unowned]
    assert [(r.username, r.reason) for r in board.break_glass] == [("colleague", "Dienst")]

    for _ in range(5):
        extra = open_case(user=coordinator, household=cw.household, owner=coordinator,
                          follow_up_on=today)
        Case.objects.filter(pk=extra.pk).update(follow_up_on=today - dt.timedelta(days=1))
        Case.objects.filter(pk=open_case(user=coordinator, household=cw.household).pk).update(
            created_at=now - dt.timedelta(hours=30))
    bigger, more_queries = _dashboard_queries(coordinator, now)
    assert len(bigger.my_cases) == 7 and len(bigger.unowned) == 6
    assert more_queries == queries


def test_mental_coach_dashboard_lists_cases_referred_to_them(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    other = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    assert selectors.case_dashboard(user=cw.coach, now=timezone.now()).my_cases == []
    referral = services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach",
                                        to_user=cw.coach)
    assert [c.pk for c in selectors.case_dashboard(user=cw.coach, now=timezone.now()).my_cases] == [case.pk]
    services.referral_reject(user=cw.coach, referral=referral, reason="Past niet bij mijn taak")
    assert selectors.case_dashboard(user=cw.coach, now=timezone.now()).my_cases == []
    assert other.pk not in [c.pk for c in selectors.case_dashboard(user=cw.coach, now=timezone.now()).my_cases]


def test_dashboard_is_empty_for_roles_without_casework(personas, cw, case):
    for user in (personas.belteam, personas.bestuur, personas.gemeente_a, cw.superuser):
        board = selectors.case_dashboard(user=user, now=timezone.now())
        assert not (board.my_cases or board.unowned or board.follow_ups_due or board.break_glass)


# --- search -------------------------------------------------------------------------------------

def test_search_by_name_date_of_birth_and_v_number(world, personas, cw):
    coordinator = personas.coordinator
    about_child = open_case(user=coordinator, household=cw.household, subject=cw.child)
    about_household = open_case(user=coordinator, household=cw.household)
    other_request, _placement = place(user=coordinator, region=cw.household.region, room=world.rooms_a[2])
    other = open_case(user=coordinator, household=other_request)  # Olena Testenko

    def found(**kwargs):
        return set(selectors.case_search(user=coordinator, search=selectors.CaseSearch(**kwargs)))

    assert found(name="sofiia bondarenko") == {about_child, about_household}
    assert found(name="Iryna") == {about_household}  # the case about Sofiia is not about Iryna
    assert found(v_number="1234567890") == {about_household}
    assert found(name="Bondarenko", date_of_birth=dt.date(2015, 9, 30)) == {about_child, about_household}
    assert found(name="Testenko") == {other}
    assert found(name="Testenko", date_of_birth=dt.date(2015, 9, 30)) == set()
    assert found() == set()
    # Outside the scope nothing is found, whatever is typed.
    for user in (personas.belteam, cw.coordinator_zuid, personas.gemeente_a):
        assert not selectors.case_search(user=user, search=selectors.CaseSearch(name="Bondarenko")).exists()


def test_search_queries_do_not_grow_with_the_results(personas, cw):
    coordinator = personas.coordinator

    def run():
        with CaptureQueriesContext(connection) as ctx:
            results = list(selectors.case_search(user=coordinator, search=selectors.CaseSearch(name="Bondarenko")))
            shown = [(c.category.name, c.subject and c.subject.first_name, c.current_location_name, c.owner)
                     for c in results]
        assert all(row[2] == "Het Anker" for row in shown)
        return len(results), len(ctx.captured_queries)

    open_case(user=coordinator, household=cw.household, subject=cw.child)
    small = run()
    for _ in range(6):
        open_case(user=coordinator, household=cw.household, subject=cw.child, owner=cw.coach)
    big = run()
    assert (small[0], big[0]) == (1, 7)
    assert small[1] == big[1]


# --- caseload, legal basis, counts --------------------------------------------------------------

def test_in_caseload(personas, cw, case):
    assert selectors.in_caseload(personas.coordinator, case)
    assert not selectors.in_caseload(cw.colleague, case)
    case.co_workers.add(cw.colleague)
    assert selectors.in_caseload(cw.colleague, case)
    assert not selectors.in_caseload(cw.coach, case)
    referral = services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach",
                                        to_user=cw.coach)
    assert selectors.in_caseload(cw.coach, case)
    services.referral_reject(user=cw.coach, referral=referral, reason="Niet mijn werkgebied")
    assert not selectors.in_caseload(cw.coach, case)


def test_legal_basis_for_a_day(world, cw):
    today = timezone.localdate()
    assert selectors.legal_basis_for(world.noord, today) == cw.basis
    assert selectors.legal_basis_for(world.noord, today - dt.timedelta(days=31)) is None
    assert selectors.legal_basis_for(world.zuid, today) is None
    cw.basis.valid_until = today - dt.timedelta(days=1)
    cw.basis.save()
    assert selectors.legal_basis_for(world.noord, today) is None


def test_case_counts_hide_small_numbers(world, personas, cw):
    coordinator = personas.coordinator
    for _ in range(6):
        open_case(user=coordinator, household=cw.household, code="overlast")
    for _ in range(2):
        open_case(user=coordinator, household=cw.household, code="schoolverzuim")
    open_case(user=cw.coordinator_zuid, household=cw.household_zuid, code="overlast")
    today = timezone.localdate()
    rows = selectors.case_counts(region=world.noord, period_start=today.replace(day=1),
                                 period_end=today + dt.timedelta(days=1), by=("category", "municipality"))
    assert rows == [
        {"category": "Overlast", "municipality": "Aadorp", "count": 6, "display": "6"},
        {"category": "Schoolverzuim", "municipality": "Aadorp", "count": 2, "display": "<5"},
    ]
    # Where the household stayed when the case was opened: a later transfer does not rewrite it.
    placement_transfer(user=coordinator, placement=cw.placement, allocation=[(world.rooms_b[1].pk, 3)],
                       reason="Overlast")
    again = selectors.case_counts(region=world.noord, period_start=today.replace(day=1),
                                  period_end=today + dt.timedelta(days=1), by=("location",))
    assert again == [{"location": "Het Anker", "count": 8, "display": "8"}]
    assert selectors.small_count(0) == "0" and selectors.small_count(4) == "<5" and selectors.small_count(5) == "5"
    with pytest.raises(ValueError):
        selectors.case_counts(region=world.noord, period_start=today, period_end=today, by=("name",))
