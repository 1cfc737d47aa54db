"""The database guards the casework invariants even when a service is bypassed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from casework.models import Case, CaseCategory, CaseEntryVersion, CaseShare, Referral
from tests.factories import CaseEntryFactory, CaseFactory, LegalBasisFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db


def _refused(fn):
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_seeded_categories_with_special_ones():
    special = set(CaseCategory.objects.filter(special_category=True).values_list("code", flat=True))
    assert set(CaseCategory.objects.values_list("code", flat=True)) == {
        "schoolverzuim", "geweldsincident", "lichamelijke_beperking", "psychisch_trauma", "middelengebruik",
        "overlast", "zorg", "overig"}
    assert special == {"lichamelijke_beperking", "psychisch_trauma", "middelengebruik", "zorg"}


def test_closed_case_needs_reason_and_moment(world):
    case = CaseFactory()
    _refused(lambda: Case.objects.filter(pk=case.pk).update(status="afgesloten"))
    _refused(lambda: Case.objects.filter(pk=case.pk).update(status="afgesloten", closed_reason="opgelost"))
    _refused(lambda: Case.objects.filter(pk=case.pk).update(closed_reason="opgelost"))  # open with a reason
    Case.objects.filter(pk=case.pk).update(status="afgesloten", closed_reason="opgelost", closed_at=timezone.now())
    assert Case.objects.get(pk=case.pk).is_closed


def test_case_choices_and_number_per_region(world):
    case = CaseFactory()
    _refused(lambda: Case.objects.filter(pk=case.pk).update(status="zomaar"))
    _refused(lambda: Case.objects.filter(pk=case.pk).update(urgency="heel_hoog"))
    _refused(lambda: Case.objects.filter(pk=case.pk).update(closed_reason="geen_zin"))
    _refused(lambda: Case.objects.filter(pk=case.pk).update(summary=""))
    _refused(lambda: CaseFactory(household=case.household, number=case.number))


def test_referral_needs_a_recipient_and_a_rejection_a_reason(world):
    coach = UserFactory(role="mental_coach")
    _refused(lambda: ReferralFactory(to_kind="wijkteam", to_organisation=""))
    _refused(lambda: ReferralFactory(to_kind="mental_coach", to_organisation="", to_user=None))
    _refused(lambda: ReferralFactory(to_kind="wijkteam", to_user=coach))  # not to a person and an organisation
    _refused(lambda: ReferralFactory(to_kind="onbekend"))
    referral = ReferralFactory(to_kind="mental_coach", to_organisation="", to_user=coach)
    _refused(lambda: Referral.objects.filter(pk=referral.pk).update(status="afgewezen", answered_at=timezone.now()))
    _refused(lambda: Referral.objects.filter(pk=referral.pk).update(status="geaccepteerd"))
    _refused(lambda: Referral.objects.filter(pk=referral.pk).update(status="afgerond"))
    Referral.objects.filter(pk=referral.pk).update(status="afgewezen", answered_at=timezone.now(),
                                                   rejection_reason="Geen plek")
    assert Referral.objects.get(pk=referral.pk).status == "afgewezen"


def test_share_needs_a_purpose(world):
    case = CaseFactory()
    user = UserFactory(role="gemeente")
    _refused(lambda: CaseShare.objects.create(case=case, user=user, purpose="", until=timezone.localdate()))
    _refused(lambda: CaseShare.objects.create(case=case, user=user, purpose="Afstemming", until=None))


def test_one_version_number_per_entry(world):
    entry = CaseEntryFactory()
    _refused(lambda: CaseEntryVersion.objects.create(entry=entry, number=1, text="nog een keer"))
    _refused(lambda: CaseEntryVersion.objects.create(entry=entry, number=0, text="nul"))


def test_legal_basis_period_and_reference(world):
    _refused(lambda: LegalBasisFactory(valid_from=dt.date(2026, 5, 1), valid_until=dt.date(2026, 4, 30)))
    _refused(lambda: LegalBasisFactory(reference=""))


def test_history_tables_hold_no_special_free_text():
    """Entries and their versions have no history; the historised models leave free text out."""
    from django.apps import apps

    assert not hasattr(apps.get_model("casework", "CaseEntry"), "history")
    assert not hasattr(apps.get_model("casework", "CaseEntryVersion"), "history")
    historical_referral = {f.name for f in Referral.history.model._meta.fields}
    assert "note" not in historical_referral and "rejection_reason" not in historical_referral
    assert "closed_note" not in {f.name for f in Case.history.model._meta.fields}
