"""Transfer requests (issue 7, point 3) on the placements side: asked for a confirmed or arrived
placement, one open per placement (also in the database), marked done by the transfer or swap
that carries it out — in the same transaction — and cancelled with the placement's end. The
belteam may carry out a transfer or swap only while a request is open; the queue shows the
request with its reason category, never case content."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casework.models import CaseCategory
from casework.services import case_create, case_request_transfer, entry_add
from locations.models import Room
from placements import services
from placements.models import (
    Placement,
    PlacementEvent,
    PlacementStatus,
    TransferRequest,
    TransferRequestStatus,
)
from placements.services import (
    placement_confirm,
    placement_depart,
    placement_reserve,
    placement_swap,
    placement_transfer,
    transfer_request_cancel,
    transfer_request_create,
)
from rcvs.errors import ApplicationError, Conflict
from tests.factories import LegalBasisFactory, make_request

pytestmark = pytest.mark.django_db

QUEUE = reverse("placements:queue")
SUMMARY = "Titel-Geheim-7391"
ENTRY_TEXT = "Aantekening-Geheim-4417 over het gesprek"


def _placed(user, region, room, persons=1, *, last_name="Testenko"):
    members = [{"first_name": f"P{i}", "last_name": last_name, "sex": "f",
                "date_of_birth": dt.date(1990, 4, 1) if i == 0 else dt.date(2012, 4, 1),
                "relation": "main" if i == 0 else "child"} for i in range(persons)]
    request = make_request(region=region, user=user, members=members)
    placement = placement_reserve(user=user, request=request, allocation=[(room.pk, persons)])
    return placement_confirm(user=user, placement=placement)


@pytest.fixture
def scene(world, personas):
    """A confirmed household of 2 in Het Anker (room A2), and a single in De Beuk (room B1)."""
    pair = _placed(personas.coordinator, world.noord, world.rooms_a[1], 2, last_name="Paartest")
    single = _placed(personas.coordinator, world.noord, world.rooms_b[0], 1, last_name="Eentest")
    return pair, single


def _ask(user, placement, kind="transfer", reason="overlast"):
    return transfer_request_create(user=user, placement=placement, kind=kind, reason_category=reason,
                                   origin="other")


# --- create -----------------------------------------------------------------------------------

def test_create_records_the_request_and_an_event(scene, personas):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    tr.refresh_from_db()
    assert (tr.placement, tr.kind, tr.reason_category, tr.status, tr.requested_by) == (
        pair, "transfer", "overlast", TransferRequestStatus.OPEN, personas.coordinator)
    event = PlacementEvent.objects.filter(placement=pair, kind=PlacementEvent.Kind.TRANSFER_REQUESTED).get()
    assert event.actor == personas.coordinator and event.data["reason_category"] == "overlast"


@pytest.mark.parametrize("reason", ["twee woorden", "Overlast", "", "x" * 41, "zie casus: ruzie met buren"])
def test_a_reason_that_is_not_one_code_is_refused_and_nothing_written(scene, personas, reason):
    pair, _single = scene
    events = PlacementEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        _ask(personas.coordinator, pair, reason=reason)
    assert exc.value.status_code == 400
    assert TransferRequest.objects.count() == 0 and PlacementEvent.objects.count() == events


def test_a_reserved_placement_cannot_be_asked_for(world, personas):
    request = make_request(region=world.noord, user=personas.coordinator)
    reserved = placement_reserve(user=personas.coordinator, request=request, allocation=[(world.rooms_a[0].pk, 1)])
    with pytest.raises(Conflict) as exc:
        _ask(personas.coordinator, reserved)
    assert exc.value.code == "not_movable"
    assert not TransferRequest.objects.exists()


def test_one_open_request_per_placement(scene, personas):
    pair, _single = scene
    _ask(personas.coordinator, pair)
    with pytest.raises(Conflict) as exc:
        _ask(personas.coordinator, pair, kind="swap")
    assert exc.value.code == "transfer_request_exists"
    assert TransferRequest.objects.filter(placement=pair).count() == 1


def test_the_database_allows_one_open_request_per_placement(scene, personas):
    pair, _single = scene
    TransferRequest.objects.create(placement=pair, kind="transfer", reason_category="overlast")
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(placement=pair, kind="swap", reason_category="overlast")
    # A closed one does not count.
    TransferRequest.objects.create(placement=pair, kind="swap", reason_category="overlast", status="cancelled",
                                   cancelled_at=timezone.now())


@pytest.mark.parametrize("fields", [
    {"reason_category": "vrije tekst met spaties"},
    {"kind": "verhuizing"},
    {"origin": "elders"},
    {"status": "klaar"},
    {"status": "done"},  # done without when and where to
    {"status": "cancelled"},  # cancelled without when
])
def test_the_database_refuses_invalid_rows(scene, fields):
    pair, _single = scene
    data = {"placement": pair, "kind": "transfer", "reason_category": "overlast", **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        TransferRequest.objects.create(**data)


# --- done by the transfer or swap, atomically -------------------------------------------------

def test_a_transfer_marks_the_request_done(scene, personas, world):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    new = placement_transfer(user=personas.belteam, placement=pair, allocation=[(world.rooms_a[2].pk, 2)],
                             reason="Gevraagd", require_transfer_request=True)
    tr.refresh_from_db()
    assert (tr.status, tr.done_by, tr.result_placement) == (TransferRequestStatus.DONE, personas.belteam, new)
    assert tr.done_at is not None


def test_a_swap_marks_the_request_done(scene, personas):
    pair, single = scene
    # The single asks (1 person fits in the pair's 2 beds and the pair fits in a 3-bed room).
    tr = _ask(personas.coordinator, single, kind="swap")
    new_pair, new_single = placement_swap(user=personas.belteam, first=pair, second=single, reason="Ruil",
                                          require_transfer_request=True)
    tr.refresh_from_db()
    assert (tr.status, tr.done_by, tr.result_placement) == (TransferRequestStatus.DONE, personas.belteam, new_single)


def test_marking_done_is_part_of_the_transfer_transaction(scene, personas, world):
    """If recording the request as done fails, the transfer itself is rolled back."""
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    with mock.patch.object(services, "_transfer_requests_done", side_effect=RuntimeError("boom")), \
            pytest.raises(RuntimeError):
        placement_transfer(user=personas.coordinator, placement=pair, allocation=[(world.rooms_a[2].pk, 2)],
                           reason="Gevraagd")
    pair.refresh_from_db()
    tr.refresh_from_db()
    assert pair.status == PlacementStatus.CONFIRMED and tr.status == TransferRequestStatus.OPEN
    assert Room.objects.get(pk=world.rooms_a[2].pk).occupants == 0
    assert Placement.objects.filter(transferred_from=pair).count() == 0


def test_a_failed_transfer_leaves_the_request_open(scene, personas, world):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    with pytest.raises(services.NotAvailable):
        placement_transfer(user=personas.coordinator, placement=pair, allocation=[(world.rooms_a[0].pk, 2)],
                           reason="Past niet")  # a 1-bed room for 2
    tr.refresh_from_db()
    assert tr.status == TransferRequestStatus.OPEN


def test_without_an_open_request_the_service_refuses_the_belteam_before_writing(scene, personas, world):
    pair, single = scene
    tr = _ask(personas.coordinator, pair)
    transfer_request_cancel(user=personas.coordinator, transfer_request=tr)  # withdrawn meanwhile
    events = PlacementEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        placement_transfer(user=personas.belteam, placement=pair, allocation=[(world.rooms_a[2].pk, 2)],
                           reason="Te laat", require_transfer_request=True)
    assert exc.value.code == "no_transfer_request"
    with pytest.raises(Conflict):
        placement_swap(user=personas.belteam, first=pair, second=single, reason="Te laat",
                       require_transfer_request=True)
    pair.refresh_from_db()
    assert pair.status == PlacementStatus.CONFIRMED and PlacementEvent.objects.count() == events


# --- cancel -----------------------------------------------------------------------------------

def test_cancel_closes_the_request_once(scene, personas):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    transfer_request_cancel(user=personas.coordinator, transfer_request=tr)
    tr.refresh_from_db()
    assert (tr.status, tr.cancelled_by) == (TransferRequestStatus.CANCELLED, personas.coordinator)
    assert PlacementEvent.objects.filter(placement=pair, kind=PlacementEvent.Kind.TRANSFER_REQUEST_CANCELLED).count() == 1
    with pytest.raises(Conflict):
        transfer_request_cancel(user=personas.coordinator, transfer_request=tr)
    _ask(personas.coordinator, pair)  # a new one may be asked for now


def test_a_departure_cancels_the_open_request(scene, personas):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    placement_depart(user=personas.belteam, placement=pair, on=timezone.localdate(), reason="own_housing")
    tr.refresh_from_db()
    assert tr.status == TransferRequestStatus.CANCELLED


# --- the belteam may carry out only what was asked for -----------------------------------------

def test_belteam_without_an_open_request_cannot_move(scene, personas, login, api_for, world):
    pair, single = scene
    _ask(personas.coordinator, single)  # a request for ANOTHER placement opens nothing here
    client = login(personas.belteam)
    assert client.get(reverse("placements:placement_transfer", args=[pair.uuid])).status_code == 404
    assert client.get(reverse("placements:placement_swap", args=[pair.uuid])).status_code == 404
    response = client.post(reverse("placements:placement_transfer", args=[pair.uuid]),
                           {"reason": "Zomaar", "allocation": f"{world.rooms_a[2].pk}:2"})
    assert response.status_code == 404
    page = client.get(reverse("placements:placement_detail", args=[pair.uuid])).content.decode()
    assert reverse("placements:placement_transfer", args=[pair.uuid]) not in page
    api = api_for(personas.belteam)
    response = api.post(f"/api/v1/placements/{pair.uuid}/transfer/",
                        {"allocation": [[world.rooms_a[2].pk, 2]], "reason": "Zomaar"},
                        format="json")
    assert response.status_code == 403
    pair.refresh_from_db()
    assert pair.status == PlacementStatus.CONFIRMED


def test_belteam_with_an_open_request_carries_out_the_transfer(scene, personas, login, world):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    client = login(personas.belteam)
    url = reverse("placements:placement_transfer", args=[pair.uuid])
    page = client.get(url)
    assert page.status_code == 200 and "Overplaatsing gevraagd" in page.content.decode()
    detail = client.get(reverse("placements:placement_detail", args=[pair.uuid])).content.decode()
    assert url in detail and "Overplaatsing gevraagd" in detail
    response = client.post(url, {"reason": "Gevraagd", "allocation": f"{world.rooms_a[2].pk}:2"})
    assert response.status_code == 302
    tr.refresh_from_db()
    assert tr.status == TransferRequestStatus.DONE and tr.done_by == personas.belteam
    # Done: the belteam's right is gone with it.
    assert client.get(reverse("placements:placement_transfer", args=[tr.result_placement.uuid])).status_code == 404


def test_belteam_with_an_open_request_swaps_through_the_api(scene, personas, api_for):
    pair, single = scene
    tr = _ask(personas.coordinator, single, kind="swap")
    api = api_for(personas.belteam)
    response = api.post("/api/v1/placements/swap/", {"first": str(pair.uuid), "second": str(single.uuid),
                                                      "reason": "Ruil"}, format="json")
    assert response.status_code == 201, response.content
    tr.refresh_from_db()
    assert tr.status == TransferRequestStatus.DONE


def test_belteam_swap_through_the_api_without_a_request_is_refused(scene, personas, api_for):
    pair, single = scene
    response = api_for(personas.belteam).post("/api/v1/placements/swap/", {
        "first": str(pair.uuid), "second": str(single.uuid), "reason": "Ruil"}, format="json")
    assert response.status_code == 403
    assert Placement.objects.filter(status=PlacementStatus.DEPARTED).count() == 0


def test_gemeente_bestuur_and_outsider_see_no_transfer_pages(scene, personas, login):
    pair, _single = scene
    tr = _ask(personas.coordinator, pair)
    for user in (personas.gemeente_a, personas.outsider, personas.bestuur):
        client = login(user)
        for name in ("placements:placement_transfer", "placements:placement_swap"):
            assert client.get(reverse(name, args=[pair.uuid])).status_code == 404, user
        queue = client.get(QUEUE)
        assert queue.status_code == 404 or str(tr.uuid) not in queue.content.decode(), user
    # The outsider (beheerder of Zuid) has a queue of its own, without Noord's request.
    assert login(personas.outsider).get(QUEUE).status_code == 200


# --- the queue: the request, its category, never case content ------------------------------------

@pytest.fixture
def from_case(scene, personas, world):
    """A case about the pair's household with a title and an entry that must never reach the
    belteam, and a transfer asked from it."""
    pair, _single = scene
    LegalBasisFactory(region=world.noord, valid_from=timezone.localdate())
    case = case_create(user=personas.coordinator, household=pair.request, owner=personas.coordinator,
                       category=CaseCategory.objects.get(code="overlast"), summary=SUMMARY)
    entry_add(user=personas.coordinator, case=case, kind="notitie", text=ENTRY_TEXT)
    link = case_request_transfer(user=personas.coordinator, case=case, kind="transfer")
    return case, link.transfer_request


def _pages_for(client, placement):
    for name in ("placements:placement_transfer", "placements:placement_swap", "placements:placement_detail"):
        yield client.get(reverse(name, args=[placement.uuid])).content.decode()
    yield client.get(QUEUE).content.decode()


def test_the_queue_shows_the_request_with_its_category(from_case, scene, personas, login):
    case, tr = from_case
    pair, _single = scene
    page = login(personas.belteam).get(QUEUE).content.decode()
    assert "Overplaatsingen" in page and f'data-transfer-request="{tr.uuid}"' in page
    row = page[page.index(f'data-transfer-request="{tr.uuid}"'):]
    row = row[:row.index("</tr>")]
    assert "Paartest" in row and "Het Anker" in row and 'data-reason="overlast"' in row
    assert "gevraagd vanuit een casus" in row and f"Gevraagd vanuit casus {case.number}" in row
    assert reverse("placements:placement_transfer", args=[pair.uuid]) in row


def test_belteam_never_sees_case_content_nor_a_link_to_the_case(from_case, scene, personas, login):
    case, _tr = from_case
    pair, _single = scene
    for page in _pages_for(login(personas.belteam), pair):
        assert SUMMARY not in page and ENTRY_TEXT not in page
        assert "/casussen/" not in page and str(case.uuid) not in page
    transfer_page = login(personas.belteam).get(reverse("placements:placement_transfer", args=[pair.uuid]))
    assert f"Gevraagd vanuit casus {case.number}" in transfer_page.content.decode()


def test_a_coordinator_of_the_case_gets_the_link_to_it(from_case, scene, personas, login):
    case, _tr = from_case
    pair, _single = scene
    link = reverse("casework:case_detail", args=[case.uuid])
    page = login(personas.coordinator).get(reverse("placements:placement_transfer", args=[pair.uuid]))
    assert link in page.content.decode()
    assert link in login(personas.coordinator).get(QUEUE).content.decode()
    # Still no content on the placements pages, even for someone who may read the case.
    assert SUMMARY not in page.content.decode() and ENTRY_TEXT not in page.content.decode()


def test_a_special_category_reaches_the_belteam_as_vertrouwelijk(scene, personas, login, world):
    pair, _single = scene
    case = case_create(user=personas.coordinator, household=pair.request, owner=personas.coordinator,
                       category=CaseCategory.objects.get(code="psychisch_trauma"), summary=SUMMARY)
    tr = case_request_transfer(user=personas.coordinator, case=case, kind="swap").transfer_request
    assert tr.reason_category == "vertrouwelijk"
    for page in _pages_for(login(personas.belteam), pair):
        assert "psychisch" not in page.lower() and "trauma" not in page.lower()
    assert 'data-reason="vertrouwelijk"' in login(personas.belteam).get(QUEUE).content.decode()


def test_a_done_request_leaves_the_queue(from_case, scene, personas, login, world):
    _case, tr = from_case
    pair, _single = scene
    placement_transfer(user=personas.belteam, placement=pair, allocation=[(world.rooms_a[2].pk, 2)],
                       reason="Gevraagd", require_transfer_request=True)
    assert f'data-transfer-request="{tr.uuid}"' not in login(personas.belteam).get(QUEUE).content.decode()
