"""The case API /api/v1/cases/: access per role and per share, the second factor, break-glass, a
read-log row (channel "api") on every path, no special-category text for whoever may not see it,
bad input refused in Dutch with nothing written, constant query counts, and the schema."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from casework.models import Case, CaseAccess, CaseEntry, CaseEntryVersion, Referral
from rcvs.accounts.services import api_token_create
from tests.casework.conftest import open_case, place
from tests.otp import verified_login, verified_token

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/"
SPECIAL_TEXT = "GEHEIM-diagnose-PTSS"
NOTE_TEXT = "GEHEIM-toelichting-GGZ"
PLAIN_TEXT = "Gesprek over de huisregels"


def api(user) -> APIClient:
    """A client with an API key made after the second factor."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")
    return client


def url(case, suffix: str = "") -> str:
    return f"{API}{case.uuid}/{suffix}"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def reads(case, user=None, **filters):
    qs = CaseAccess.objects.filter(case_id=case.pk, **filters)
    return qs.filter(user_id=user.pk) if user is not None else qs


@pytest.fixture
def case(personas, cw):
    """A special-category case owned by the coordinator with the special right; the plain
    coordinator (no special right) is a co-worker; a referral to the coach with a note."""
    case = open_case(user=cw.special, household=cw.household, code="psychisch_trauma", owner=cw.special,
                     subject=cw.child)
    services.case_assign(user=cw.special, case=case, owner=cw.special, co_workers=[personas.coordinator])
    services.entry_add(user=cw.special, case=case, kind="notitie", text=SPECIAL_TEXT, special_category=True)
    services.entry_add(user=cw.special, case=case, kind="telefoongesprek", text=PLAIN_TEXT, special_category=False)
    services.referral_create(user=cw.special, case=case, to_kind="mental_coach", to_user=cw.coach, note=NOTE_TEXT)
    return case


def _referral(case) -> Referral:
    return Referral.objects.get(case=case)


READ_PATHS = [("", "case"), ("entries/", "entries"), ("referrals/", "referrals"), ("reads/", "history")]


# --- a read-log row with channel "api" on every read path -----------------------------------------

@pytest.mark.parametrize(("suffix", "part"), READ_PATHS)
def test_every_read_path_logs_before_answering(personas, case, suffix, part):
    client = api(personas.coordinator)
    before = reads(case, personas.coordinator, channel="api", part=part).count()
    response = client.get(url(case, suffix))
    assert response.status_code == 200, response.content
    assert reads(case, personas.coordinator, channel="api", part=part).count() == before + 1
    assert not reads(case, personas.coordinator, break_glass=True).exists()  # co-worker: own caseload


def test_entries_with_special_ones_log_the_special_part_too(personas, cw, case):
    response = api(cw.special).get(url(case, "entries/"))
    assert response.status_code == 200
    assert {e["text"] for e in response.json()} == {SPECIAL_TEXT, PLAIN_TEXT}
    assert reads(case, cw.special, channel="api", part="special").count() == 1
    # Without special entries in the answer, no special row.
    response = api(personas.coordinator).get(url(case, "entries/"))
    assert [e["text"] for e in response.json()] == [PLAIN_TEXT]
    assert not reads(case, personas.coordinator, part="special").exists()


def test_list_logs_one_header_read_per_listed_case(personas, cw, case):
    other = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    response = api(personas.coordinator).get(API)
    assert response.status_code == 200
    body = response.json()
    assert {row["uuid"] for row in body["results"]} == {str(case.uuid), str(other.uuid)}
    for listed in (case, other):
        assert reads(listed, personas.coordinator, channel="api", part="case", break_glass=False).count() == 1
    # Header fields only: no resident, no entry text.
    text = response.content.decode()
    assert "Sofiia" not in text and SPECIAL_TEXT not in text and PLAIN_TEXT not in text
    assert set(body["results"][0]) == {"uuid", "number", "region", "category", "status", "urgency", "summary",
                                       "follow_up_on", "owner", "location", "municipality", "created_at",
                                       "last_activity_at"}


def test_search_is_a_post_and_logs_each_case_found(personas, cw, case):
    client = api(personas.coordinator)
    response = client.post(f"{API}search/", {"name": "Sofiia", "date_of_birth": "2015-09-30"}, format="json")
    assert response.status_code == 200, response.content
    assert [row["uuid"] for row in response.json()] == [str(case.uuid)]
    assert reads(case, personas.coordinator, channel="api", part="case").count() == 1
    assert client.get(f"{API}search/").status_code == 405
    assert_error(client.post(f"{API}search/", {}, format="json"), 400, "invalid")
    nobody = client.post(f"{API}search/", {"v_number": "0000000000"}, format="json")
    assert nobody.json() == []


def test_writes_log_the_part_they_answer_with(personas, cw, case):
    client = api(cw.special)
    response = client.post(url(case, "entries/"), {"kind": "huisbezoek", "text": "Nog een bezoek"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["special_category"] is True  # the category's default
    assert reads(case, cw.special, part="entries").count() == 1
    assert reads(case, cw.special, part="special").count() == 1
    response = client.patch(url(case), {"urgency": "high"}, format="json")
    assert response.status_code == 200, response.content
    assert reads(case, cw.special, part="case").count() == 1
    response = client.post(url(case, "referrals/"), {"to_kind": "wijkteam", "to_organisation": "Wijkteam Oost"},
                           format="json")
    assert response.status_code == 201, response.content
    assert reads(case, cw.special, part="referrals").count() == 1
    assert reads(case, cw.special).exclude(channel="api").count() == 0


def test_read_not_logged_serves_nothing(personas, case, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("read log unavailable")

    monkeypatch.setattr(CaseAccess.objects, "create", refuse)
    monkeypatch.setattr(CaseAccess.objects, "bulk_create", refuse)
    client = api(personas.coordinator)
    for path in (url(case), url(case, "entries/"), url(case, "referrals/"), API):
        response = client.get(path)
        body = assert_error(response, 503, "read_not_logged")
        assert set(body) == {"message", "code"}
        assert PLAIN_TEXT not in response.content.decode() and case.summary not in response.content.decode()
    response = client.post(url(case, "entries/"), {"text": "Wordt niet bewaard", "special_category": False},
                           format="json")
    assert_error(response, 503, "read_not_logged")
    assert not CaseEntryVersion.objects.filter(text="Wordt niet bewaard").exists()


def test_list_filters_by_status_category_place_and_owner(world, personas, cw, case):
    other_household, _placement = place(user=personas.coordinator, region=world.noord, room=world.rooms_b[1])
    elsewhere = open_case(user=personas.coordinator, household=other_household, code="schoolverzuim",
                          owner=personas.coordinator)
    closed = open_case(user=personas.coordinator, household=cw.household, owner=cw.coach)
    services.case_close(user=personas.coordinator, case=closed, reason="opgelost")
    client = api(personas.coordinator)

    def listed(**params) -> set[str]:
        response = client.get(API, params)
        assert response.status_code == 200, response.content
        return {row["uuid"] for row in response.json()["results"]}

    assert listed() == {str(case.uuid), str(elsewhere.uuid), str(closed.uuid)}
    assert listed(status="afgesloten") == {str(closed.uuid)}
    assert listed(category="schoolverzuim") == {str(elsewhere.uuid)}
    assert listed(municipality=world.mun_b.pk) == {str(elsewhere.uuid)}
    assert listed(location=world.loc_a.pk) == {str(case.uuid), str(closed.uuid)}
    assert listed(owner=cw.coach.pk) == {str(closed.uuid)}
    assert listed(owner=cw.coach.pk, status="open") == set()
    assert listed(category="bestaat-niet") == set()

# --- break-glass ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("suffix", "part"), READ_PATHS)
def test_outside_the_caseload_a_reason_is_required(cw, case, suffix, part):
    client = api(cw.colleague)  # coordinator of Noord, not owner, co-worker or referred to
    assert_error(client.get(url(case, suffix)), 403, "break_glass_required")
    assert not reads(case, cw.colleague).exists()
    response = client.get(url(case, suffix), HTTP_BREAK_GLASS_REASON="Eigenaar ziek, crisis vannacht")
    assert response.status_code == 200, response.content
    row = reads(case, cw.colleague, part=part).get()
    assert row.break_glass and row.reason == "Eigenaar ziek, crisis vannacht" and row.channel == "api"


def test_break_glass_reason_in_the_body_of_a_write(cw, case):
    client = api(cw.colleague)
    body = {"text": "Overleg met de locatie", "special_category": False}
    assert_error(client.post(url(case, "entries/"), body, format="json"), 403, "break_glass_required")
    assert not CaseEntryVersion.objects.filter(text="Overleg met de locatie").exists()  # refused before writing
    response = client.post(url(case, "entries/"), {**body, "break_glass_reason": "Dienst in het weekend"},
                           format="json")
    assert response.status_code == 201, response.content
    assert reads(case, cw.colleague, part="entries").get().reason == "Dienst in het weekend"


def test_break_glass_header_in_utf8_is_kept_as_typed(cw, case):
    reason = "Overleg met de wijkagent, geïnformeerd"
    response = api(cw.colleague).get(url(case), HTTP_BREAK_GLASS_REASON=reason.encode().decode("latin-1"))
    assert response.status_code == 200
    assert reads(case, cw.colleague).get().reason == reason


def test_the_list_needs_no_reason_and_logs_no_break_glass(cw, case):
    response = api(cw.colleague).get(API)
    assert [row["uuid"] for row in response.json()["results"]] == [str(case.uuid)]
    assert reads(case, cw.colleague, break_glass=False, part="case").count() == 1


# --- special-category text only for those who may see it --------------------------------------------

def _all_answers(client, case) -> str:
    answers = [client.get(path) for path in (API, url(case), url(case, "entries/"), url(case, "referrals/"),
                                             url(case, "reads/"))]
    answers.append(client.post(f"{API}search/", {"name": "Sofiia"}, format="json"))
    answers.append(client.post(url(case, "entries/"), {"text": "Nieuwe notitie", "special_category": False},
                               format="json"))
    answers.append(client.patch(url(case), {"follow_up_on": None}, format="json"))
    for response in answers:
        assert response.status_code in (200, 201), (response.status_code, response.content)
    return "\n".join(r.content.decode() for r in answers)


def test_coordinator_without_the_special_right_sees_no_special_text(personas, cw, case):
    text = _all_answers(api(personas.coordinator), case)
    assert SPECIAL_TEXT not in text and NOTE_TEXT not in text
    assert PLAIN_TEXT in text  # the answers were really read
    referrals = api(personas.coordinator).get(url(case, "referrals/")).json()
    assert referrals[0]["note"] is None and referrals[0]["to_user"]["username"] == "coach"
    special_entry = CaseEntry.objects.get(case=case, special_category=True)
    response = api(personas.coordinator).patch(url(case, f"entries/{special_entry.uuid}/"), {"text": "weg"},
                                               format="json")
    assert_error(response, 404, "not_found")
    assert special_entry.versions.get().text == SPECIAL_TEXT


def test_coordinator_with_the_special_right_sees_it(cw, case):
    text = _all_answers(api(cw.special), case)
    assert SPECIAL_TEXT in text and NOTE_TEXT in text


def test_special_entry_without_the_right_is_refused_and_nothing_written(personas, case):
    response = api(personas.coordinator).post(url(case, "entries/"), {"text": "Medicatie gewijzigd"}, format="json")
    assert_error(response, 403, "special_not_allowed")  # special by the category's default
    assert not CaseEntryVersion.objects.filter(text="Medicatie gewijzigd").exists()
    assert not reads(case, personas.coordinator).exists()  # the log row went with the refused write


def test_special_entry_without_legal_basis_is_a_dutch_400_and_nothing_written(cw):
    zuid_case = open_case(user=cw.coach_zuid, household=cw.household_zuid, owner=cw.coach_zuid)
    before = CaseEntry.objects.count()
    response = api(cw.coach_zuid).post(url(zuid_case, "entries/"),
                                       {"text": "Slaapproblemen", "special_category": True}, format="json")
    body = assert_error(response, 400, "no_legal_basis")
    assert "grondslag" in body["message"] and "Slaapproblemen" not in response.content.decode()
    assert CaseEntry.objects.count() == before
    assert not reads(zuid_case).exists()


# --- roles --------------------------------------------------------------------------------------------

def test_mental_coach_with_a_referral_works_in_the_case(cw, case):
    client = api(cw.coach)
    entries = client.get(url(case, "entries/"))
    assert entries.status_code == 200
    assert SPECIAL_TEXT in entries.content.decode()  # a mental coach may read special-category data
    referral = _referral(case)
    response = client.post(url(case, f"referrals/{referral.uuid}/accept/"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "geaccepteerd"
    response = client.post(url(case, f"referrals/{referral.uuid}/complete/"), {}, format="json")
    assert response.json()["status"] == "afgerond"
    parts = sorted(reads(case, cw.coach, channel="api", break_glass=False).values_list("part", flat=True))
    assert parts == ["entries", "referrals", "referrals", "special"]


def test_mental_coach_rejects_with_a_reason(cw, case):
    referral = _referral(case)
    client = api(cw.coach)
    assert_error(client.post(url(case, f"referrals/{referral.uuid}/reject/"), {"reason": ""}, format="json"),
                 400, "invalid")
    response = client.post(url(case, f"referrals/{referral.uuid}/reject/"), {"reason": "Past niet bij mij"},
                           format="json")
    assert response.status_code == 200 and response.json()["status"] == "afgewezen"
    assert response.json()["rejection_reason"] == "Past niet bij mij"


OPERATIONS = [
    ("get", "", None), ("get", "entries/", None), ("get", "referrals/", None), ("get", "reads/", None),
    ("patch", "", {"urgency": "high"}), ("post", "close/", {"reason": "opgelost"}), ("post", "reopen/", {}),
    ("post", "assign/", {"owner": None}), ("post", "entries/", {"text": "x", "special_category": False}),
    ("post", "referrals/", {"to_kind": "wijkteam", "to_organisation": "Wijkteam"}),
]


@pytest.mark.parametrize("persona", ["belteam", "bestuur", "beheerder"])
def test_roles_without_casework_get_403_on_every_operation(personas, cw, case, persona):
    client = api(getattr(personas, persona))
    assert_error(client.get(API), 403, "not_casework")
    assert_error(client.post(API, {}, format="json"), 403, "not_casework")
    assert_error(client.post(f"{API}search/", {"name": "Sofiia"}, format="json"), 403, "not_casework")
    for method, suffix, body in OPERATIONS:
        response = getattr(client, method)(url(case, suffix), body, format="json")
        assert_error(response, 403, "not_casework")
    assert not CaseAccess.objects.exclude(user_id__in=[cw.special.pk]).exists()


def test_a_superuser_beheerder_sees_no_case(cw, case):
    assert_error(api(cw.superuser).get(url(case)), 403, "not_casework")


def test_outsider_coordinator_of_zuid_gets_404_everywhere(cw, case):
    client = api(cw.coordinator_zuid)
    assert client.get(API).json()["results"] == []
    for method, suffix, body in OPERATIONS:
        response = getattr(client, method)(url(case, suffix), body, format="json")
        assert_error(response, 404, "not_found")
    referral = _referral(case)
    assert_error(client.post(url(case, f"referrals/{referral.uuid}/accept/"), {}, format="json"), 404, "not_found")
    assert client.post(f"{API}search/", {"name": "Sofiia"}, format="json").json() == []
    assert not reads(case, cw.coordinator_zuid).exists()


def _share(cw, case, user, *, include_special=False):
    return services.share_create(user=cw.special, case=case, to_user=user, purpose="Afstemming school",
                                 until=timezone.localdate() + dt.timedelta(days=10),
                                 include_special=include_special)


def test_gemeente_without_a_share_sees_nothing(personas, case):
    client = api(personas.gemeente_a)
    assert client.get(API).json()["results"] == []
    for suffix, _part in READ_PATHS[:3]:
        assert_error(client.get(url(case, suffix)), 404, "not_found")


def test_gemeente_with_a_share_reads_but_changes_nothing(personas, cw, case):
    _share(cw, case, personas.gemeente_a)
    client = api(personas.gemeente_a)
    assert [row["uuid"] for row in client.get(API).json()["results"]] == [str(case.uuid)]
    response = client.get(url(case))
    assert response.status_code == 200 and response.json()["in_caseload"] is False
    entries = client.get(url(case, "entries/"))
    assert [e["text"] for e in entries.json()] == [PLAIN_TEXT]  # the share leaves special data out
    referrals = client.get(url(case, "referrals/"))
    assert referrals.json() == []  # a referral to a mental coach says something about health
    assert reads(case, personas.gemeente_a, channel="api", break_glass=False).count() == 4  # list, case, entries, refs
    assert_error(client.get(url(case, "reads/")), 403, "forbidden")
    for method, suffix, body in OPERATIONS[4:]:
        assert_error(getattr(client, method)(url(case, suffix), body, format="json"), 403, "forbidden")
    assert_error(client.post(API, {}, format="json"), 403, "forbidden")
    # The other municipality's user gets nothing from this share.
    assert_error(api(personas.gemeente_b).get(url(case)), 404, "not_found")


def test_gemeente_share_with_special_data_shows_it(personas, cw, case):
    _share(cw, case, personas.gemeente_a, include_special=True)
    entries = api(personas.gemeente_a).get(url(case, "entries/"))
    assert SPECIAL_TEXT in entries.content.decode()
    assert reads(case, personas.gemeente_a, part="special").count() == 1


# --- the second factor ----------------------------------------------------------------------------------

def test_password_only_session_gets_no_case_content(personas, case):
    client = APIClient()
    client.force_login(personas.coordinator)
    for path in (API, url(case), url(case, "entries/")):
        response = client.get(path)
        assert_error(response, 403, "otp_required")
        assert PLAIN_TEXT not in response.content.decode()
    assert_error(client.post(f"{API}search/", {"name": "Sofiia"}, format="json"), 403, "otp_required")
    assert not CaseAccess.objects.filter(user_id=personas.coordinator.pk).exists()


def test_verified_session_gets_content(personas, case):
    client = verified_login(APIClient(), personas.coordinator)
    assert client.get(url(case)).status_code == 200


def test_token_without_second_factor_is_refused_and_with_it_allowed(personas, case):
    _, plain_key = api_token_create(user=personas.coordinator, name="Zonder code", otp_verified=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plain_key}")
    assert_error(client.get(url(case)), 403, "otp_required")
    assert_error(client.get(API), 403, "otp_required")
    assert not reads(case, personas.coordinator).exists()
    response = api(personas.coordinator).get(url(case))
    assert response.status_code == 200
    assert response.json()["subject"]["first_name"] == "Sofiia"


def test_anonymous_gets_401(case):
    assert_error(APIClient().get(url(case)), 401, "not_authenticated")


# --- bad input: Dutch 400, nothing written ----------------------------------------------------------------

def _create_body(cw, **overrides) -> dict:
    return {"household": str(cw.household.uuid), "category": "overlast", "summary": "Geluidsoverlast 's nachts",
            **overrides}


def test_follow_up_in_the_past_is_refused(personas, cw, case):
    client = api(personas.coordinator)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    before = Case.objects.count()
    body = assert_error(client.post(API, _create_body(cw, follow_up_on=yesterday), format="json"), 400,
                        "follow_up_in_past")
    assert body["errors"] == {"follow_up_on": ["De opvolgdatum ligt in het verleden."]}
    assert Case.objects.count() == before
    history_rows = case.history.count()
    assert_error(client.patch(url(case), {"follow_up_on": yesterday}, format="json"), 400, "follow_up_in_past")
    case.refresh_from_db()
    assert case.follow_up_on is None and case.history.count() == history_rows
    assert not reads(case, personas.coordinator).exists()


def test_referral_to_nobody_is_refused(personas, case):
    client = api(personas.coordinator)
    before = Referral.objects.count()
    body = assert_error(client.post(url(case, "referrals/"), {"to_kind": "wijkteam"}, format="json"), 400,
                        "no_recipient")
    assert "organisatie" in body["message"] and "to_organisation" in body["errors"]
    assert_error(client.post(url(case, "referrals/"), {"to_kind": "mental_coach"}, format="json"), 400,
                 "no_recipient")
    body = assert_error(client.post(url(case, "referrals/"), {"to_kind": "niemand"}, format="json"), 400, "invalid")
    assert "to_kind" in body["errors"]
    assert Referral.objects.count() == before
    assert not reads(case, personas.coordinator).exists()


def test_malformed_uuids_are_a_dutch_400(personas, case):
    client = api(personas.coordinator)
    body = assert_error(client.get(f"{API}niet-een-uuid/"), 400, "invalid")
    assert body["errors"] == {"uuid": ["Dit is geen geldige casus-id (een UUID)."]}
    assert_error(client.patch(url(case, "entries/123/"), {"text": "x"}, format="json"), 400, "invalid")
    assert_error(client.post(url(case, "referrals/abc/accept/"), {}, format="json"), 400, "invalid")
    body = assert_error(client.post(API, {"household": "abc", "category": "overlast", "summary": "x"},
                                    format="json"), 400, "invalid")
    assert "household" in body["errors"]
    assert_error(client.get(f"{API}00000000-0000-0000-0000-000000000000/"), 404, "not_found")


def test_limits_out_of_range_are_a_dutch_400(personas, case):
    client = api(personas.coordinator)
    for limit in ("101", "99999999999999999999999", "-1", "abc"):
        body = assert_error(client.get(API, {"limit": limit}), 400, "invalid")
        assert "limit" in body["errors"], limit
    assert_error(client.get(API, {"offset": "10000000000000"}), 400, "invalid")
    assert_error(client.get(API, {"owner": "99999999999999999999"}), 400, "invalid")
    assert_error(client.get(API, {"status": "weg"}), 400, "invalid")
    assert not CaseAccess.objects.filter(user_id=personas.coordinator.pk).exists()
    assert client.get(API, {"limit": "100"}).status_code == 200


def test_other_bad_bodies(personas, cw, case):
    client = api(personas.coordinator)
    before = Case.objects.count()
    for body, field in ((_create_body(cw, category="bestaat-niet"), "category"),
                        (_create_body(cw, summary=""), "summary"),
                        (_create_body(cw, subject=str(cw.household_zuid.members.first().uuid)), "subject"),
                        (_create_body(cw, household=str(cw.household_zuid.uuid)), "household"),
                        (_create_body(cw, owner=personas.belteam.pk), "owner")):
        response = client.post(API, body, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["errors"], (field, response.json())
    assert Case.objects.count() == before
    assert_error(client.post(API, json.dumps([1, 2]), content_type="application/json"), 400, "invalid")
    assert_error(client.patch(url(case), {}, format="json"), 400, "invalid")
    assert_error(client.post(url(case, "close/"), {"reason": "zomaar"}, format="json"), 400, "invalid")
    case.refresh_from_db()
    assert case.status == "doorverwezen" and case.closed_at is None
    assert_error(client.post(url(case, "assign/"), {"owner": 2**40}, format="json"), 400, "invalid")


# --- a case from first call to closure, through the API ---------------------------------------------------

def test_a_case_from_first_call_to_closure(personas, cw):
    client = api(personas.coordinator)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(API, _create_body(cw, subject=str(cw.child.uuid), follow_up_on=tomorrow,
                                             owner=personas.coordinator.pk), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["number"].endswith("-0001") and created["in_caseload"] is True
    assert created["location"]["name"] == "Het Anker" and created["municipality"]["name"] == "Aadorp"
    case = Case.objects.get(uuid=created["uuid"])
    assert reads(case, personas.coordinator, part="case").count() == 1
    entry = client.post(url(case, "entries/"), {"kind": "telefoongesprek", "text": "Eerste gesprek"}, format="json")
    assert entry.status_code == 201 and entry.json()["version"] == 1
    edited = client.patch(url(case, f"entries/{entry.json()['uuid']}/"), {"text": "Eerste gesprek (aangevuld)"},
                          format="json")
    assert edited.status_code == 200 and edited.json()["text"] == "Eerste gesprek (aangevuld)"
    # Another user may not edit it; nothing changes.
    assert_error(api(cw.special).patch(url(case, f"entries/{entry.json()['uuid']}/"), {"text": "anders"},
                                       format="json", HTTP_BREAK_GLASS_REASON="test"), 403, "not_author")
    referral = client.post(url(case, "referrals/"), {"to_kind": "mental_coach", "to_user": cw.coach.pk,
                                                     "note": "Graag kennismaken"}, format="json")
    assert referral.status_code == 201 and referral.json()["status"] == "verstuurd"
    assigned = client.post(url(case, "assign/"), {"owner": personas.coordinator.pk, "co_workers": [cw.colleague.pk]},
                           format="json")
    assert assigned.status_code == 200 and [u["username"] for u in assigned.json()["co_workers"]] == ["colleague"]
    closed = client.post(url(case, "close/"), {"reason": "opgelost", "note": "Rustig nu"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "afgesloten"
    assert closed.json()["closed_note"] is None  # the coordinator has no special right: free text is not shown
    assert_error(client.post(url(case, "entries/"), {"text": "Te laat", "special_category": False}, format="json"),
                 409, "case_closed")
    reopened = client.post(url(case, "reopen/"), {}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_behandeling"
    log = client.get(url(case, "reads/")).json()
    assert log["count"] == reads(case).count()
    assert {row["channel"] for row in log["results"]} == {"api"}


# --- query counts ----------------------------------------------------------------------------------------

def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(personas, cw):
    client = api(personas.coordinator)
    for _ in range(2):
        open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    client.get(API)  # the key's "last used" is recorded once a minute: keep it out of both counts
    few = _queries(client, API)
    for _ in range(10):
        open_case(user=personas.coordinator, household=cw.household, owner=cw.coach)
    many = _queries(client, API)
    assert many == few
    assert CaseAccess.objects.filter(user_id=personas.coordinator.pk).count() == 2 + 2 + 12


# --- schema -----------------------------------------------------------------------------------------------

def test_schema_validates_without_warnings_and_documents_break_glass(tmp_path):
    target = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))
    schema = json.loads(target.read_text())
    paths = schema["paths"]
    expected = {
        "/api/v1/cases/": {"get", "post"},
        "/api/v1/cases/{uuid}/": {"get", "patch"},
        "/api/v1/cases/{uuid}/close/": {"post"},
        "/api/v1/cases/{uuid}/reopen/": {"post"},
        "/api/v1/cases/{uuid}/assign/": {"post"},
        "/api/v1/cases/{uuid}/entries/": {"get", "post"},
        "/api/v1/cases/{uuid}/entries/{entry_uuid}/": {"patch"},
        "/api/v1/cases/{uuid}/referrals/": {"get", "post"},
        "/api/v1/cases/{uuid}/referrals/{referral_uuid}/accept/": {"post"},
        "/api/v1/cases/{uuid}/referrals/{referral_uuid}/reject/": {"post"},
        "/api/v1/cases/{uuid}/referrals/{referral_uuid}/complete/": {"post"},
        "/api/v1/cases/{uuid}/reads/": {"get"},
        "/api/v1/cases/search/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    retrieve = paths["/api/v1/cases/{uuid}/"]["get"]
    assert any(p["in"] == "header" and p["name"] == "Break-Glass-Reason" for p in retrieve["parameters"])
    assert {"403", "404", "503"} <= set(retrieve["responses"])
    components = schema["components"]["schemas"]
    assert "break_glass_reason" in components["EntryCreateRequest"]["properties"]
    search = paths["/api/v1/cases/search/"]["post"]
    assert not [p for p in search.get("parameters", []) if p["in"] == "query"]
    list_params = {p["name"] for p in paths["/api/v1/cases/"]["get"]["parameters"]}
    assert list_params == {"status", "category", "municipality", "location", "owner", "limit", "offset"}
