"""A transfer or swap asked from a case (issue 7, point 3), the casework side: only the case's
own caseload asks, behind the second factor; the outsider gets a 404 and a non-casework user
nothing; the request lands in the belteam queue as a TransferRequest with the reason category;
and the case page and the placements pages link to each other."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from casework import services
from casework.models import CaseAccess, CaseTransfer
from placements.models import PlacementStatus, TransferRequest, TransferRequestStatus
from placements.services import placement_depart, placement_transfer
from rcvs.errors import Conflict, NotFound, PermissionDenied
from tests.casework.conftest import open_case
from tests.otp import verified_login

pytestmark = pytest.mark.django_db

QUEUE = reverse("placements:queue")


def _client(user) -> Client:
    return verified_login(Client(), user)


def _ask_url(case) -> str:
    return reverse("casework:transfer_request", args=[case.uuid])


def _detail(case) -> str:
    return reverse("casework:case_detail", args=[case.uuid])


@pytest.fixture
def case(cw, personas):
    return open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)


# --- the service --------------------------------------------------------------------------------

def test_from_a_case_the_owner_asks_and_the_request_is_linked(case, cw, personas):
    link = services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    tr = link.transfer_request
    assert (link.case, tr.placement, tr.kind, tr.origin, tr.reason_category, tr.status, tr.requested_by) == (
        case, cw.placement, "transfer", "case", "overlast", TransferRequestStatus.OPEN, personas.coordinator)


def test_a_mental_coach_with_a_referral_may_ask(case, cw, personas):
    services.referral_create(user=personas.coordinator, case=case, to_kind="mental_coach", to_user=cw.coach)
    link = services.case_request_transfer(user=cw.coach, case=case, kind="swap")
    assert link.transfer_request.kind == "swap"


@pytest.mark.parametrize("who, error, code", [
    ("colleague", PermissionDenied, "not_in_caseload"),  # casework user of the region, not in the caseload
    ("belteam", PermissionDenied, "not_casework"),
    ("beheerder", PermissionDenied, "not_casework"),
    ("coordinator_zuid", NotFound, "not_found"),
])
def test_who_is_refused_and_nothing_is_written(case, cw, personas, who, error, code):
    user = getattr(cw, who, None) or getattr(personas, who)
    with pytest.raises(error) as exc:
        services.case_request_transfer(user=user, case=case, kind="transfer")
    assert exc.value.code == code
    assert not TransferRequest.objects.exists() and not CaseTransfer.objects.exists()


def test_a_closed_case_or_a_household_without_placement_asks_nothing(case, cw, personas):
    services.case_close(user=personas.coordinator, case=case, reason="opgelost")
    with pytest.raises(Conflict):
        services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    services.case_reopen(user=personas.coordinator, case=case)
    placement_depart(user=personas.coordinator, placement=cw.placement, on=cw.placement.confirmed_at.date(),
                     reason="own_housing")
    with pytest.raises(Conflict) as exc:
        services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    assert exc.value.code == "no_placement"
    assert not TransferRequest.objects.exists() and not CaseTransfer.objects.exists()


def test_a_second_request_while_one_is_open_is_a_conflict(case, personas):
    services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    with pytest.raises(Conflict):
        services.case_request_transfer(user=personas.coordinator, case=case, kind="swap")
    assert CaseTransfer.objects.count() == 1


def test_cancel_from_the_case(case, personas, cw):
    link = services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    with pytest.raises(PermissionDenied):
        services.case_cancel_transfer(user=cw.colleague, case_transfer=link)
    services.case_cancel_transfer(user=personas.coordinator, case_transfer=link)
    link.transfer_request.refresh_from_db()
    assert link.transfer_request.status == TransferRequestStatus.CANCELLED


# --- the pages ------------------------------------------------------------------------------------

def test_the_owner_asks_on_the_case_page(case, personas):
    client = _client(personas.coordinator)
    page = client.get(_detail(case)).content.decode()
    assert "Overplaatsing aanvragen" in page and "Ruil aanvragen" in page
    response = client.post(_ask_url(case), {"kind": "swap"})
    assert response.status_code == 302 and response.url == _detail(case)
    tr = CaseTransfer.objects.get(case=case).transfer_request
    assert (tr.kind, tr.origin) == ("swap", "case")


def test_a_password_only_session_asks_nothing(case, personas, client):
    client.force_login(personas.coordinator)
    response = client.post(_ask_url(case), {"kind": "transfer"})
    assert response.status_code == 302 and "/accounts/2fa/" in response.url
    assert not TransferRequest.objects.exists()


def test_the_outsider_gets_a_404(case, cw, personas):
    for user in (cw.coordinator_zuid, personas.outsider):
        assert _client(user).post(_ask_url(case), {"kind": "transfer"}).status_code == 404
    assert not TransferRequest.objects.exists()


def test_a_non_casework_user_is_refused(case, personas):
    for user in (personas.belteam, personas.beheerder, personas.bestuur, personas.gemeente_a):
        assert _client(user).post(_ask_url(case), {"kind": "transfer"}).status_code == 404, user
    assert not TransferRequest.objects.exists()


def test_a_colleague_outside_the_caseload_is_refused(case, cw):
    response = _client(cw.colleague).post(_ask_url(case), {"kind": "transfer"})
    assert response.status_code == 403
    assert not TransferRequest.objects.exists()


def test_a_bad_kind_is_a_dutch_400(case, personas):
    response = _client(personas.coordinator).post(_ask_url(case), {"kind": "verhuizen"})
    assert response.status_code == 400 and "Kies overplaatsing of ruil." in response.content.decode()
    assert not TransferRequest.objects.exists()


def test_both_sides_link_to_each_other(case, cw, personas, login, world):
    client = _client(personas.coordinator)
    client.post(_ask_url(case), {"kind": "transfer"})
    tr = TransferRequest.objects.get()
    transfer_url = reverse("placements:placement_transfer", args=[cw.placement.uuid])
    # Case side: the request, its state and the link to the belteam's transfer page.
    page = client.get(_detail(case)).content.decode()
    assert f'id="transfer-{tr.uuid}"' in page and transfer_url in page and "Open" in page
    # Placements side, for the coordinator: the case number with a link to the case.
    queue = client.get(QUEUE).content.decode()
    assert f"Gevraagd vanuit casus {case.number}" in queue and _detail(case) in queue
    assert _detail(case) in client.get(transfer_url).content.decode()
    # For the belteam: the number, the category, no link (and no read of the case was logged).
    reads = CaseAccess.objects.filter(case_id=case.pk).count()
    belteam_queue = login(personas.belteam).get(QUEUE).content.decode()
    assert f"Gevraagd vanuit casus {case.number}" in belteam_queue and 'data-reason="overlast"' in belteam_queue
    assert _detail(case) not in belteam_queue and case.summary not in belteam_queue
    assert CaseAccess.objects.filter(case_id=case.pk).count() == reads


def test_after_the_belteam_moved_the_household_the_case_shows_it_done(case, cw, personas, world):
    services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    new = placement_transfer(user=personas.belteam, placement=cw.placement, allocation=[(world.rooms_b[0].pk, 3)],
                             reason="Gevraagd", require_transfer_request=True)
    page = _client(personas.coordinator).get(_detail(case)).content.decode()
    assert re.search(r'data-status="done"', page) and "De Beuk" in page
    assert reverse("placements:placement_detail", args=[new.uuid]) in page
    assert new.status == PlacementStatus.CONFIRMED
    # A new request may be asked for the new placement.
    assert "Overplaatsing aanvragen" in page


def test_cancel_on_the_case_page(case, personas):
    link = services.case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    url = reverse("casework:transfer_cancel", args=[case.uuid, link.transfer_request.uuid])
    assert _client(personas.belteam).post(url).status_code == 404
    response = _client(personas.coordinator).post(url)
    assert response.status_code == 302
    link.transfer_request.refresh_from_db()
    assert link.transfer_request.status == TransferRequestStatus.CANCELLED
