"""Subject access (issue 7, point 10): everything about one person across their requests, as JSON
and PDF; nobody else's data; the export logged per case; only coordinators with the
special-category right, behind the second factor."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging

import pytest
from django.db import DatabaseError
from django.utils import timezone
from pypdf import PdfReader

from casework.models import CaseAccess
from casework.services import (
    case_close,
    case_log_read,
    entry_add,
    entry_edit,
    referral_create,
    share_create,
    signal_share_create,
)
from casework.subject_access import SUBJECT_ACCESS_REASON, SubjectSearch, subject_access_find
from placements.services import placement_arrive, placement_depart
from rcvs.accounts.models import Role
from rcvs.accounts.otp import needs_second_factor
from rcvs.errors import PermissionDenied
from tests.casework.conftest import open_case, place
from tests.factories import UserFactory
from tests.otp import verified_login

pytestmark = pytest.mark.django_db

URL = "/casussen/inzage/"
DAY = dt.timedelta(days=1)
IRYNA_EARLIER = [{"first_name": "Iryna", "last_name": "Bondarenko-Test", "date_of_birth": dt.date(1988, 5, 17),
                  "sex": "f", "relation": "main", "bsn": "123456782"}]
OTHER = [{"first_name": "Olena", "last_name": "Shevchenko-Test", "date_of_birth": dt.date(1979, 1, 9), "sex": "f",
          "relation": "main", "v_number": "5555555555"}]


@pytest.fixture
def person(cw, personas, world):
    """Iryna: an earlier request (departed from De Beuk, found by BSN or name + date of birth)
    and the current one (placed at Het Anker, with V-number). Cases about her, about her whole
    household, about her partner only, and about someone else entirely."""
    now = timezone.now()
    earlier, earlier_placement = place(user=personas.coordinator, region=world.noord, room=world.rooms_b[0],
                                       members=IRYNA_EARLIER)
    placement_arrive(user=personas.coordinator, placement=earlier_placement, at=now - 200 * DAY)
    placement_depart(user=personas.coordinator, placement=earlier_placement, on=timezone.localdate() - 100 * DAY,
                     reason="own_housing")
    iryna_then = earlier.members.get()
    iryna_now = cw.household.members.get(first_name="Iryna")
    taras = cw.household.members.get(first_name="Taras")

    about_her = open_case(user=cw.special, household=earlier, code="psychisch_trauma", owner=cw.colleague,
                          subject=iryna_then)
    entry_add(user=cw.special, case=about_her, kind="huisbezoek", text="PTSS-klachten besproken XK1")
    case_close(user=cw.special, case=about_her, reason="vertrokken")

    household_case = open_case(user=cw.special, household=cw.household, code="overlast", owner=cw.special)
    entry = entry_add(user=cw.special, case=household_case, kind="notitie", text="Eerste versie XK2",
                      special_category=False)
    entry_edit(user=cw.special, entry=entry, text="Tweede versie XK2b", now=entry.locks_at + DAY)
    referral_create(user=cw.special, case=household_case, to_kind="wijkteam", to_organisation="Wijkteam Aadorp XK3")
    share_create(user=cw.special, case=household_case, to_user=personas.gemeente_a, purpose="Schuldhulp XK4",
                 until=timezone.localdate() + 10 * DAY)
    signal_share_create(user=cw.special, case=household_case, text="Huishouden 18-64, overlast XK5")
    case_log_read(user=cw.colleague, case=household_case, part="case", channel="page")

    partner_case = open_case(user=cw.special, household=cw.household, code="zorg", owner=cw.special, subject=taras)
    entry_add(user=cw.special, case=partner_case, kind="notitie", text="Alleen over de partner ZZ8")

    other_household, _other_placement = place(user=personas.coordinator, region=world.noord, room=world.rooms_a[2],
                                              members=OTHER)
    other_case = open_case(user=cw.special, household=other_household, code="zorg", owner=cw.special)
    entry_add(user=cw.special, case=other_case, kind="notitie", text="Iemand anders ZZ9")
    return type("Person", (), dict(earlier=earlier, iryna_then=iryna_then, iryna_now=iryna_now,
                                   about_her=about_her, household_case=household_case, partner_case=partner_case,
                                   other_case=other_case))


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def _exports(**filters):
    return CaseAccess.objects.filter(part="subject_access", **filters)


def test_search_finds_every_record_of_the_person_by_the_duplicate_rule(cw, person):
    by_v_number = subject_access_find(user=cw.special, search=SubjectSearch(v_number="1234567890"))
    assert [m.pk for m in by_v_number.members] == [person.iryna_now.pk]
    by_bsn = subject_access_find(user=cw.special, search=SubjectSearch(bsn="123456782"))
    assert [m.pk for m in by_bsn.members] == [person.iryna_then.pk]
    by_name = subject_access_find(user=cw.special, search=SubjectSearch(
        first_name="iryna", last_name="bondarenko-test", date_of_birth=dt.date(1988, 5, 17)))
    assert {m.pk for m in by_name.members} == {person.iryna_then.pk, person.iryna_now.pk}
    assert {c.pk for c in by_name.cases} == {person.about_her.pk, person.household_case.pk}
    both = subject_access_find(user=cw.special, search=SubjectSearch(v_number="1234567890", bsn="123456782"))
    assert len(both.requests) == 2
    assert not _exports().exists()  # the summary reads no case content and logs nothing


def test_json_holds_everything_about_the_person_and_nothing_of_others(cw, person, client, caplog):
    verified_login(client, cw.special)
    search = {"v_number": "1234567890", "bsn": "123456782"}
    summary = client.post(URL, {**search, "action": "search"})
    assert summary.status_code == 200
    assert "2 registraties van deze persoon" in summary.text and "2 casussen" in summary.text
    assert "XK1" not in summary.text  # no case content before the logged download
    assert not _exports().exists()

    with caplog.at_level(logging.INFO, logger="casework.subject_access"):
        response = client.post(URL, {**search, "action": "json"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="inzageverzoek-')
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    raw = response.content.decode()
    assert sorted((p["first_name"], p["last_name"], p["v_number"], p["bsn"]) for p in data["persons"]) == [
        ("Iryna", "Bondarenko-Test", "", "123456782"), ("Iryna", "Bondarenko-Test", "1234567890", "")]
    requests = {r["id"]: r for r in data["requests"]}
    assert set(requests) == {str(person.earlier.uuid), str(cw.household.uuid)}
    earlier = requests[str(person.earlier.uuid)]
    assert [(p["location"], p["status"]) for p in earlier["placements"]] == [("De Beuk", "Vertrokken")]
    assert {"Gereserveerd", "Aangekomen", "Vertrokken"} <= {e["kind"] for e in earlier["events"]}
    assert requests[str(cw.household.uuid)]["household_size"] == 3
    cases = {c["number"]: c for c in data["cases"]}
    assert set(cases) == {person.about_her.number, person.household_case.number}
    assert cases[person.about_her.number]["entries"][0]["versions"][0]["text"] == "PTSS-klachten besproken XK1"
    assert cases[person.about_her.number]["entries"][0]["special_category"] is True
    household = cases[person.household_case.number]
    assert [v["text"] for v in household["entries"][0]["versions"]] == ["Eerste versie XK2", "Tweede versie XK2b"]
    assert household["referrals"][0]["to_whom"] == "Wijkteam Aadorp XK3"
    assert household["shares"][0]["purpose"] == "Schuldhulp XK4" and household["shares"][0]["with"] == "gemeente_a"
    assert household["signal_shares"][0]["text"] == "Huishouden 18-64, overlast XK5"
    readers = {(a["user"], a["part"]) for a in household["read_log"]}
    assert ("colleague", "Casus") in readers  # who viewed
    assert ("coordinator_special", "Inzageverzoek") in readers  # this export itself
    for foreign in ("ZZ8", "ZZ9", "Olena", "Shevchenko", "Taras", "5555555555"):
        assert foreign not in raw, foreign

    # Logged: one row per case, before the content; outside the caseload as break-glass.
    rows = {r.case_id: r for r in _exports(channel="export", user_id=cw.special.pk)}
    assert set(rows) == {person.about_her.pk, person.household_case.pk}
    assert rows[person.about_her.pk].break_glass and rows[person.about_her.pk].reason == SUBJECT_ACCESS_REASON
    assert not rows[person.household_case.pk].break_glass  # their own case
    line = "\n".join(r.getMessage() for r in caplog.records if r.name == "casework.subject_access")
    assert f"by user {cw.special.pk}" in line and "2 case(s)" in line
    for personal in ("Iryna", "Bondarenko", "1234567890", "123456782"):
        assert personal not in caplog.text


def test_pdf_reads_back_with_the_key_items(cw, person, client):
    verified_login(client, cw.special)
    response = client.post(URL, {"last_name": "Bondarenko-Test", "date_of_birth": "17-05-1988", "action": "pdf"})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    for item in ("Inzageverzoek", "Bondarenko-Test", "1234567890", "123456782", "De Beuk", "Het Anker",
                 person.about_her.number, person.household_case.number, "PTSS-klachten besproken XK1",
                 "Tweede versie XK2b", "Wijkteam Aadorp XK3", "Schuldhulp XK4", "colleague", "Wie heeft dit ingezien"):
        assert item in text, item
    for foreign in ("ZZ8", "ZZ9", "Shevchenko", "Taras"):
        assert foreign not in text, foreign
    assert set(_exports(channel="pdf").values_list("case_id", flat=True)) == {person.about_her.pk,
                                                                                person.household_case.pk}


@pytest.mark.parametrize("who", ["outsider", "belteam", "coordinator", "bestuur", "gemeente_a", "coach", "root"])
def test_only_coordinators_with_the_special_right_get_in(cw, personas, person, client, who):
    user = {"coach": cw.coach, "root": cw.superuser}.get(who) or getattr(personas, who)
    verified_login(client, user)
    # Roles that never read cases do not get to the page at all (404); case roles without the
    # special right are refused on it (403).
    refused = 403 if needs_second_factor(user) else 404
    assert client.get(URL).status_code == refused
    for action in ("search", "json", "pdf"):
        response = client.post(URL, {"v_number": "1234567890", "action": action})
        assert response.status_code == refused, action
        assert b"Bondarenko" not in response.content and b"XK1" not in response.content
    with pytest.raises(PermissionDenied):
        subject_access_find(user=user, search=SubjectSearch(v_number="1234567890"))
    assert not _exports().exists()


def test_a_special_coordinator_of_another_region_finds_nobody(cw, world, person, client):
    zuid_special = UserFactory(username="special_zuid", role=Role.COORDINATOR, regions=[world.zuid],
                               special_category_access=True)
    verified_login(client, zuid_special)
    summary = client.post(URL, {"v_number": "1234567890", "action": "search"})
    assert summary.status_code == 200 and "Niemand gevonden" in summary.text and "Bondarenko" not in summary.text
    download = client.post(URL, {"v_number": "1234567890", "action": "json"})
    assert download.status_code == 400 and b"XK1" not in download.content
    assert not _exports().exists()


def test_a_password_only_session_gets_no_content(cw, person, client):
    client.force_login(cw.special)  # password only: no second factor in this session
    for action in ("search", "json", "pdf"):
        response = client.post(URL, {"v_number": "1234567890", "action": action})
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
        assert b"Bondarenko" not in response.content
    assert "1234567890" not in client.post(URL, {"v_number": "1234567890"})["Location"]
    assert not _exports().exists()


def test_an_export_that_cannot_be_logged_is_not_served_and_leaves_no_partial_log(cw, person, client, monkeypatch):
    verified_login(client, cw.special)
    manager = CaseAccess.objects
    real_create = manager.create
    calls = []

    def second_fails(**kwargs):
        calls.append(kwargs["case_id"])
        if len(calls) > 1:
            raise DatabaseError("read log unavailable")
        return real_create(**kwargs)

    monkeypatch.setattr(manager, "create", second_fails)
    response = client.post(URL, {"v_number": "1234567890", "bsn": "123456782", "action": "json"})

    assert response.status_code == 503
    assert b"XK1" not in response.content and b"Bondarenko" not in response.content
    assert len(calls) == 2
    monkeypatch.undo()
    assert not _exports().exists()  # the first row went with the failed transaction


def test_bad_search_is_a_dutch_400_and_writes_nothing(cw, person, client):
    verified_login(client, cw.special)
    response = client.post(URL, {"first_name": "Iryna", "action": "json"})
    assert response.status_code == 400
    assert "Vul een V-nummer of BSN in, of een achternaam met geboortedatum." in response.text
    response = client.post(URL, {"last_name": "Bondarenko-Test", "date_of_birth": "31-02-1988", "action": "pdf"})
    assert response.status_code == 400
    assert not _exports().exists()
