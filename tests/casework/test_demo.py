"""The casework demo: about 60 invented cases in Drenthe over every category, with timelines,
referrals in every status, shares, SIGNAL shares, two transfer requests from cases, a recorded
mandate and read-log rows; the same on every run, kept by --keep-existing, and a demo reset
works although the database refuses to delete read-log rows outside the retention rule.

Seeded once for the module (rolled back at the end); each test runs in its own savepoint."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from casework.demo import DEMO_CASES, LEGAL_BASIS_REFERENCE
from casework.models import (
    AccessPart,
    Case,
    CaseAccess,
    CaseCategory,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    CaseStatus,
    CaseTransfer,
    Referral,
    ReferralKind,
    ReferralStatus,
    SignalShare,
)
from casework.selectors import legal_basis_for
from casework.services import case_log_read
from casework.signal import scrub
from locations.models import Region
from placements.demo import DEMO_PREFIX
from placements.models import HouseholdMember, Placement, PlacementStatus, TransferRequest
from placements.services import transfer_request_create
from rcvs.accounts.models import User

AS_OF = dt.date(2026, 3, 2)


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", as_of=options.pop("as_of", AS_OF), stdout=out, **options)
    return out.getvalue()


def casework_dump() -> list[tuple]:
    """The casework demo without ids, uuids and timestamps of the run."""
    rows: list[tuple] = []
    for case in Case.objects.order_by("number").select_related("category", "subject", "owner", "household"):
        rows.append(("case", case.number, case.household.external_reference, case.category.code, case.urgency,
                     case.status, case.closed_reason, case.summary, case.follow_up_on,
                     case.subject and (case.subject.first_name, case.subject.date_of_birth),
                     case.owner and case.owner.username, case.created_at))
        for entry in case.entries.order_by("occurred_at", "pk"):
            rows.append(("entry", case.number, entry.kind, entry.special_category, entry.occurred_at,
                         [(v.number, v.text) for v in entry.versions.order_by("number")]))
        for referral in case.referrals.order_by("sent_at", "pk"):
            rows.append(("referral", case.number, referral.to_kind, referral.status, referral.to_organisation,
                         referral.rejection_reason))
        for share in case.shares.order_by("pk"):
            rows.append(("share", case.number, share.user.username, share.until))
        for signal in case.signal_shares.order_by("pk"):
            rows.append(("signal", case.number, signal.text))
        for link in case.transfers.select_related("transfer_request"):
            rows.append(("transfer", case.number, link.transfer_request.kind, link.transfer_request.reason_category))
    rows.extend(("read", a.case_id is not None, a.part, a.channel, a.break_glass, a.at)
                for a in CaseAccess.objects.order_by("at", "part", "channel", "break_glass"))
    return rows


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield SimpleNamespace(output=output, region=Region.objects.get(code="drenthe"), dump=casework_dump())
        transaction.set_rollback(True)


@pytest.fixture
def drenthe(demo, db):
    return demo.region


def test_about_sixty_cases_over_every_category(drenthe, demo):
    cases = Case.objects.filter(region=drenthe)
    assert cases.count() == DEMO_CASES
    assert set(cases.values_list("category__code", flat=True)) == set(
        CaseCategory.objects.filter(active=True).values_list("code", flat=True))
    assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
    assert cases.filter(owner__isnull=True).exists() and cases.filter(owner__username="mentalcoach").exists()
    assert cases.filter(subject__isnull=True).exists() and cases.filter(subject__isnull=False).exists()
    # Only the demo's own invented households.
    assert not cases.exclude(household__external_reference__startswith=DEMO_PREFIX).exists()
    assert "casussen: 60 over 8 categorieën" in demo.output


def test_every_case_has_a_timeline_some_special_some_edited(drenthe):
    entries = CaseEntry.objects.filter(case__region=drenthe)
    assert not Case.objects.filter(region=drenthe, entries__isnull=True).exists()
    assert entries.filter(special_category=True).exists() and entries.filter(special_category=False).exists()
    edited = CaseEntryVersion.objects.filter(entry__case__region=drenthe, number=2).select_related("entry")
    assert edited.count() >= 3
    # A second version only exists because the edit came after the entry locked.
    assert all(v.entry.locks_at <= v.entry.occurred_at + dt.timedelta(hours=2) for v in edited)
    # The mental coach's contacts with residents are entries of the case.
    assert entries.filter(author__username="mentalcoach").exists()


def test_referrals_in_every_status_also_to_the_demo_mental_coach(drenthe):
    referrals = Referral.objects.filter(case__region=drenthe)
    assert set(referrals.values_list("status", flat=True)) == set(ReferralStatus.values)
    coach = User.objects.get(username="mentalcoach")
    to_coach = referrals.filter(to_kind=ReferralKind.MENTAL_COACH)
    assert to_coach.exists() and set(to_coach.values_list("to_user", flat=True)) == {coach.pk}
    assert referrals.exclude(to_kind=ReferralKind.MENTAL_COACH).exclude(to_organisation="").exists()
    assert not referrals.filter(status=ReferralStatus.REJECTED, rejection_reason="").exists()


def test_the_mandate_of_drenthe_is_recorded(drenthe):
    basis = legal_basis_for(drenthe, AS_OF)
    assert basis is not None and basis.reference == LEGAL_BASIS_REFERENCE
    assert "art. 6 en 7 Tw Oek" in basis.description


def test_two_transfer_requests_from_cases_for_the_belteam(drenthe):
    links = CaseTransfer.objects.filter(case__region=drenthe).select_related("transfer_request", "case__category")
    assert len(links) == 2
    assert {link.transfer_request.kind for link in links} == {"transfer", "swap"}
    for link in links:
        request = link.transfer_request
        assert request.origin == "case" and request.status == "open"
        assert request.placement.request_id == link.case.household_id
        assert re.fullmatch(r"[a-z0-9_]+", request.reason_category)  # a code, no content


def test_shares_signal_shares_and_read_log(drenthe):
    assert CaseShare.objects.filter(case__region=drenthe, user__role="gemeente").exists()
    signals = SignalShare.objects.filter(case__region=drenthe)
    assert signals.exists()
    for signal in signals:
        assert not scrub(signal.text, case=signal.case)[1], signal.text
        assert "Drenthe" in signal.text
    reads = CaseAccess.objects.filter(region_id=drenthe.pk)
    assert reads.count() >= 20
    assert reads.filter(break_glass=True).exclude(reason="").exists()
    assert reads.filter(part=AccessPart.SPECIAL).exists() or reads.filter(channel="api").exists()


def _elfproef(digits: str) -> bool:
    return len(digits) == 9 and sum(int(d) * w for d, w in zip(digits, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0


def test_no_real_looking_bsn_or_v_number_anywhere(drenthe):
    members = HouseholdMember.objects.filter(request__region=drenthe)
    assert not any(_elfproef(b) for b in members.exclude(bsn="").values_list("bsn", flat=True))
    texts = [*CaseEntryVersion.objects.filter(entry__case__region=drenthe).values_list("text", flat=True),
             *Referral.objects.filter(case__region=drenthe).values_list("note", flat=True),
             *Referral.objects.filter(case__region=drenthe).values_list("rejection_reason", flat=True),
             *SignalShare.objects.filter(case__region=drenthe).values_list("text", flat=True),
             *Case.objects.filter(region=drenthe).values_list("summary", flat=True)]
    assert texts and not [t for t in texts if re.search(r"\d{7,}", t)]


def test_keep_existing_leaves_the_cases_alone(drenthe, demo):
    before = casework_dump()
    pks = sorted(Case.objects.values_list("pk", flat=True))
    seed(keep_existing=True, quiet=True)
    assert sorted(Case.objects.values_list("pk", flat=True)) == pks
    assert casework_dump() == before


def test_keep_existing_adds_the_cases_to_an_older_demo_database(drenthe):
    from casework.demo import clear_demo_cases

    clear_demo_cases(["drenthe"])
    assert not Case.objects.exists() and not CaseAccess.objects.exists()
    seed(keep_existing=True, quiet=True)
    assert Case.objects.filter(region=drenthe).count() == DEMO_CASES


def test_demo_reset_works_with_read_log_rows_and_gives_the_same_data(drenthe, demo):
    case = Case.objects.filter(region=drenthe).first()
    coordinator = User.objects.get(username="coordinator")
    case_log_read(user=coordinator, case=case, part=AccessPart.CASE, channel="page")  # a read "today"
    # A transfer request asked outside casework (PROTECT on its placement) does not block the reset.
    placement = Placement.objects.filter(request__region=drenthe, status=PlacementStatus.ARRIVED,
                                         transfer_requests__isnull=True).first()
    transfer_request_create(user=coordinator, placement=placement, kind="transfer", reason_category="overig")
    seed(quiet=True)
    assert Case.objects.filter(region=drenthe).count() == DEMO_CASES
    assert casework_dump() == demo.dump  # deterministic, and the extra read is gone
    assert TransferRequest.objects.count() == 2


def test_the_read_log_still_refuses_a_plain_delete_after_the_demo(drenthe):
    """The reset gets its way through read_log_purge only; the guard itself stays in force."""
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseAccess.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(current_setting('rcvs.retention_cutoff', true), '')")
        assert cursor.fetchone()[0] == ""
