"""Casework writes: refuse with a Dutch message and a code before writing anything; history
rows carry who and why, never special-category free text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework import services
from casework.models import (
    Case,
    CaseAccess,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    LegalBasis,
    Referral,
)
from rcvs.errors import ApplicationError, NotFound, PermissionDenied
from tests.casework.conftest import open_case

pytestmark = pytest.mark.django_db


def _counts():
    return (Case.objects.count(), CaseEntry.objects.count(), CaseEntryVersion.objects.count(),
            Referral.objects.count(), CaseShare.objects.count(), Case.history.count(), Referral.history.count())


# --- cases ----------------------------------------------------------------------------------------

def test_case_create_numbers_per_region_and_records_who_and_why(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, subject=cw.child, owner=personas.coordinator)
    second = open_case(user=personas.coordinator, household=cw.household)
    year = timezone.localdate().year
    assert (case.number, second.number) == (f"{year}-0001", f"{year}-0002")
    assert case.region == cw.household.region and case.status == "open" and case.assigned_at is not None
    row = case.history.get()
    assert row.history_user == personas.coordinator and row.history_change_reason == "Casus geopend"


def test_subject_must_belong_to_the_household(personas, cw):
    other_member = cw.household_zuid.members.first()
    before = _counts()
    with pytest.raises(ApplicationError) as err:
        open_case(user=personas.coordinator, household=cw.household, subject=other_member)
    assert err.value.code == "subject_not_in_household"
    assert _counts() == before


def test_household_of_another_region_does_not_exist(personas, cw):
    with pytest.raises(NotFound):
        open_case(user=personas.coordinator, household=cw.household_zuid)
    assert Case.objects.count() == 0


@pytest.mark.parametrize("persona", ["belteam", "bestuur", "beheerder", "gemeente_a"])
def test_only_casework_roles_open_cases(personas, cw, persona):
    with pytest.raises(PermissionDenied):
        open_case(user=getattr(personas, persona), household=cw.household)
    assert Case.objects.count() == 0


def test_superuser_without_casework_role_opens_nothing(cw):
    with pytest.raises(PermissionDenied):
        open_case(user=cw.superuser, household=cw.household)


def test_follow_up_in_the_past_is_refused(personas, cw):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ApplicationError) as err:
        open_case(user=personas.coordinator, household=cw.household, follow_up_on=yesterday)
    assert err.value.code == "follow_up_in_past"
    assert err.value.message == "De opvolgdatum ligt in het verleden."
    assert Case.objects.count() == 0
    case = open_case(user=personas.coordinator, household=cw.household, follow_up_on=timezone.localdate())
    with pytest.raises(ApplicationError):
        services.case_update(user=personas.coordinator, case=case, data={"follow_up_on": yesterday})
    case.refresh_from_db()
    assert case.follow_up_on == timezone.localdate()


def test_owner_and_co_workers_are_casework_users_of_the_region(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    for wrong in (personas.belteam, cw.coordinator_zuid, personas.beheerder, cw.superuser):
        with pytest.raises(ApplicationError) as err:
            services.case_assign(user=personas.coordinator, case=case, owner=wrong)
        assert err.value.code == "not_casework_user"
    with pytest.raises(ApplicationError):
        services.case_assign(user=personas.coordinator, case=case, owner=cw.coach, co_workers=[personas.gemeente_a])
    case.refresh_from_db()
    assert case.owner is None and not case.co_workers.exists()
    services.case_assign(user=personas.coordinator, case=case, owner=cw.coach, co_workers=[cw.colleague])
    case.refresh_from_db()
    assert case.owner == cw.coach and list(case.co_workers.all()) == [cw.colleague]
    assert case.history.latest().history_change_reason == "Eigenaar gewijzigd"


def test_close_needs_a_reason_and_the_note_stays_out_of_history(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    with pytest.raises(ApplicationError) as err:
        services.case_close(user=personas.coordinator, case=case, reason="")
    assert err.value.code == "close_reason_required"
    assert Case.objects.get(pk=case.pk).status == "open"
    services.case_close(user=personas.coordinator, case=case, reason="opgelost",
                        note="Opgenomen in de kliniek voor een depressie")
    case.refresh_from_db()
    assert case.status == "afgesloten" and case.closed_at is not None
    latest = case.history.latest()
    assert latest.history_user == personas.coordinator
    assert latest.history_change_reason == "Afgesloten: Opgelost"
    for row in case.history.all():
        assert "kliniek" not in str(row.__dict__)
    with pytest.raises(ApplicationError) as err:
        services.entry_add(user=personas.coordinator, case=case, kind="notitie", text="na afsluiten")
    assert err.value.code == "case_closed"
    services.case_reopen(user=personas.coordinator, case=case)
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closed_at) == ("in_behandeling", "", None)


# --- entries ----------------------------------------------------------------------------------------

def test_special_entry_needs_the_right(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, code="psychisch_trauma")
    before = _counts()
    with pytest.raises(PermissionDenied) as err:
        services.entry_add(user=personas.coordinator, case=case, kind="notitie", text="Slaapt slecht, nachtmerries")
    assert err.value.code == "special_not_allowed"
    assert "nachtmerries" not in err.value.message
    assert _counts() == before
    # The coordinator may still log a neutral entry, saying so.
    entry = services.entry_add(user=personas.coordinator, case=case, kind="telefoongesprek",
                               text="Gebeld, geen gehoor", special_category=False)
    assert entry.special_category is False


def test_entries_in_a_special_category_default_to_special(personas, cw):
    case = open_case(user=cw.special, household=cw.household, code="zorg")
    entry = services.entry_add(user=cw.coach, case=case, kind="huisbezoek", text="Medicatie besproken")
    assert entry.special_category is True and entry.author == cw.coach
    assert entry.versions.get().text == "Medicatie besproken"
    plain = services.entry_add(user=cw.coach, case=open_case(user=cw.special, household=cw.household),
                               kind="notitie", text="Afspraak gemaakt")
    assert plain.special_category is False


def test_no_legal_basis_no_special_entry_nothing_written(personas, cw):
    case = open_case(user=cw.coordinator_zuid, household=cw.household_zuid, code="middelengebruik")
    before = _counts()
    with pytest.raises(ApplicationError) as err:
        services.entry_add(user=cw.coach_zuid, case=case, kind="notitie", text="Alcoholgebruik besproken")
    assert err.value.code == "no_legal_basis"
    assert err.value.message == services.NO_LEGAL_BASIS_MESSAGE
    assert _counts() == before
    # A basis that ended yesterday does not count either; one valid today does.
    today = timezone.localdate()
    LegalBasis.objects.create(region=cw.household_zuid.region, reference="Oud-besluit",
                              valid_from=today - dt.timedelta(days=400), valid_until=today - dt.timedelta(days=1))
    with pytest.raises(ApplicationError):
        services.entry_add(user=cw.coach_zuid, case=case, kind="notitie", text="Alcoholgebruik besproken")
    LegalBasis.objects.create(region=cw.household_zuid.region, reference="Besluit 2026/12", valid_from=today)
    entry = services.entry_add(user=cw.coach_zuid, case=case, kind="notitie", text="Alcoholgebruik besproken")
    assert entry.special_category


def test_entry_edit_rewrites_before_the_lock_and_versions_after(personas, cw, settings):
    settings.CASEWORK_ENTRY_LOCK_MINUTES = 60
    now = timezone.now()
    case = open_case(user=personas.coordinator, household=cw.household)
    entry = services.entry_add(user=personas.coordinator, case=case, kind="notitie", text="Eerst", now=now)
    assert entry.locks_at == now + dt.timedelta(minutes=60)
    services.entry_edit(user=personas.coordinator, entry=entry, text="Verbeterd", now=now + dt.timedelta(minutes=59))
    assert list(entry.versions.values_list("number", "text")) == [(1, "Verbeterd")]
    version = services.entry_edit(user=personas.coordinator, entry=entry, text="Later aangevuld",
                                  now=now + dt.timedelta(minutes=61))
    assert version.number == 2
    assert list(entry.versions.order_by("number").values_list("number", "text")) == [
        (1, "Verbeterd"), (2, "Later aangevuld")]
    with pytest.raises(PermissionDenied) as err:
        services.entry_edit(user=cw.colleague, entry=entry, text="Van een ander")
    assert err.value.code == "not_author"
    assert entry.versions.count() == 2


# --- referrals --------------------------------------------------------------------------------------

def test_referral_to_nobody_is_refused(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    before = _counts()
    for kwargs in ({"to_kind": "mental_coach"}, {"to_kind": "wijkteam", "to_organisation": "  "},
                   {"to_kind": ""}, {"to_kind": "mental_coach", "to_user": cw.coach_zuid},
                   {"to_kind": "mental_coach", "to_user": personas.coordinator}):
        with pytest.raises(ApplicationError) as err:
            services.referral_create(user=personas.coordinator, case=case, **kwargs)
        assert err.value.code == "no_recipient"
    assert _counts() == before
    assert Case.objects.get(pk=case.pk).status == "open"


def test_referral_lifecycle_and_history_without_free_text(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    referral = services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach",
                                        to_user=cw.coach, note="Vermoeden van PTSS")
    case.refresh_from_db()
    assert case.status == "doorverwezen"
    assert case.history.latest().history_change_reason == "Doorverwezen"
    with pytest.raises(ApplicationError) as err:
        services.referral_reject(user=cw.coach, referral=referral, reason=" ")
    assert err.value.code == "rejection_reason_required"
    assert Referral.objects.get(pk=referral.pk).status == "verstuurd"
    services.referral_accept(user=cw.coach, referral=referral)
    services.referral_complete(user=cw.coach, referral=referral)
    referral.refresh_from_db()
    assert referral.status == "afgerond" and referral.answered_at and referral.completed_at
    reasons = list(referral.history.order_by("history_id").values_list("history_change_reason", "history_user"))
    assert reasons == [("Verwijzing verstuurd", personas.coordinator.pk),
                       ("Verwijzing geaccepteerd", cw.coach.pk), ("Verwijzing afgerond", cw.coach.pk)]
    other = services.referral_create(user=personas.coordinator, case=case, to_kind="huisarts_ggz",
                                     to_organisation="GGZ Noord-Test")
    services.referral_reject(user=personas.coordinator, referral=other, reason="Wachtlijst, eerst huisarts")
    for row in Referral.history.all():
        text = str(row.__dict__)
        assert "PTSS" not in text and "Wachtlijst" not in text


def test_another_mental_coach_cannot_answer(personas, cw):
    from tests.factories import UserFactory

    other_coach = UserFactory(username="coach2", role="mental_coach", regions=[cw.household.region])
    case = open_case(user=personas.coordinator, household=cw.household)
    referral = services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach", to_user=cw.coach)
    with pytest.raises(PermissionDenied):
        services.referral_accept(user=other_coach, referral=referral)
    assert Referral.objects.get(pk=referral.pk).status == "verstuurd"


# --- shares -----------------------------------------------------------------------------------------

def test_share_needs_purpose_end_date_and_the_right_municipality(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    today = timezone.localdate()
    bad = [
        ({"purpose": "", "until": today + dt.timedelta(days=10)}, "purpose_required"),
        ({"purpose": "Afstemming schoolgang", "until": None}, "until_required"),
        ({"purpose": "Afstemming schoolgang", "until": today - dt.timedelta(days=1)}, "until_invalid"),
        ({"purpose": "Afstemming schoolgang", "until": today + dt.timedelta(days=91)}, "until_invalid"),
    ]
    for kwargs, code in bad:
        with pytest.raises(ApplicationError) as err:
            services.share_create(user=personas.coordinator, case=case, to_user=personas.gemeente_a, **kwargs)
        assert err.value.code == code
    for wrong in (personas.gemeente_b, personas.belteam, None):  # the household stays in Aadorp (gemeente A)
        with pytest.raises(ApplicationError) as err:
            services.share_create(user=personas.coordinator, case=case, to_user=wrong, purpose="Afstemming",
                                  until=today + dt.timedelta(days=10))
        assert err.value.code == "not_municipality_user"
    with pytest.raises(PermissionDenied):
        services.share_create(user=personas.coordinator, case=case, to_user=personas.gemeente_a,
                              purpose="Afstemming", until=today + dt.timedelta(days=10), include_special=True)
    assert CaseShare.objects.count() == 0
    share = services.share_create(user=personas.coordinator, case=case, to_user=personas.gemeente_a,
                                  purpose="Afstemming schoolgang", until=today + dt.timedelta(days=90))
    assert share.history.get().history_user == personas.coordinator
    services.share_revoke(user=personas.coordinator, share=share)
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == personas.coordinator


# --- reading ----------------------------------------------------------------------------------------

def test_break_glass_requires_a_reason(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    with pytest.raises(PermissionDenied) as err:
        services.case_open_for_read(user=cw.colleague, case=case, part="case", channel="page")
    assert err.value.code == "break_glass_required"
    assert CaseAccess.objects.count() == 0
    row = services.case_open_for_read(user=cw.colleague, case=case, part="case", channel="page",
                                      reason="Owner ziek, bewoner belt over huisbezoek")
    assert row.break_glass and row.reason.startswith("Owner ziek") and row.username == "colleague"
    # The reason covers the next hour, each read logged again; after that a new reason is needed.
    again = services.case_open_for_read(user=cw.colleague, case=case, part="entries", channel="api")
    assert again.break_glass and again.reason == row.reason and CaseAccess.objects.count() == 2
    with pytest.raises(PermissionDenied):
        services.case_open_for_read(user=cw.colleague, case=case, part="case", channel="page",
                                    now=timezone.now() + dt.timedelta(hours=2))
    own = services.case_open_for_read(user=personas.coordinator, case=case, part="case", channel="page")
    assert not own.break_glass and own.reason == ""


def test_break_glass_not_needed_in_the_caseload(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    services.case_assign(user=personas.coordinator, case=case, owner=personas.coordinator, co_workers=[cw.colleague])
    services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach", to_user=cw.coach)
    for user in (cw.colleague, cw.coach):
        assert not services.case_open_for_read(user=user, case=case, part="case", channel="page").break_glass


def test_reading_outside_scope_is_404_and_logs_nothing(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household)
    for user in (personas.belteam, personas.bestuur, personas.beheerder, personas.gemeente_a, personas.outsider,
                 cw.coordinator_zuid, cw.superuser):
        with pytest.raises(NotFound):
            services.case_open_for_read(user=user, case=case, part="case", channel="page", reason="toch kijken")
    assert CaseAccess.objects.count() == 0


def test_read_that_cannot_be_logged_is_refused(personas, cw, monkeypatch):
    from django.db import DatabaseError

    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)

    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(CaseAccess.objects, "create", broken)
    with pytest.raises(services.ReadNotLogged) as err:
        services.case_open_for_read(user=personas.coordinator, case=case, part="case", channel="page")
    assert err.value.code == "read_not_logged" and err.value.status_code == 503


def test_read_refused_when_the_database_cannot_write_the_log(personas, cw):
    """A real failure of the insert (the table gone for this transaction), not a mock."""
    from django.db import connection

    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE casework_caseaccess RENAME TO casework_caseaccess_away")
    try:
        with pytest.raises(services.ReadNotLogged):
            services.case_open_for_read(user=personas.coordinator, case=case, part="entries", channel="api")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE casework_caseaccess_away RENAME TO casework_caseaccess")
    assert CaseAccess.objects.count() == 0


def test_special_part_is_opened_only_for_those_who_may_see_it(personas, cw):
    case = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator,
                     code="zorg")
    with pytest.raises(PermissionDenied) as err:
        services.case_open_for_read(user=personas.coordinator, case=case, part="special", channel="page")
    assert err.value.code == "special_not_allowed"
    assert CaseAccess.objects.count() == 0
    services.case_assign(user=personas.coordinator, case=case, owner=personas.coordinator, co_workers=[cw.special])
    row = services.case_open_for_read(user=cw.special, case=case, part="special", channel="api")
    assert (row.part, row.channel, row.break_glass, row.username) == ("special", "api", False, "coordinator_special")


def test_case_without_household_or_category_is_a_clear_refusal(personas, cw):
    with pytest.raises(ApplicationError) as err:
        services.case_create(user=personas.coordinator, household=None, category=None, summary="Titel")
    assert err.value.extra["fields"].keys() == {"household"}
    with pytest.raises(ApplicationError) as err:
        services.case_create(user=personas.coordinator, household=cw.household, category=None, summary="Titel")
    assert err.value.extra["fields"].keys() == {"category"}
    assert Case.objects.count() == 0
