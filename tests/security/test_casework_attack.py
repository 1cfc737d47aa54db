"""Attacks on casework (issue 7), by "cw-attacker": ways in which case or special-category data
could reach the wrong person or escape the read log.

- Every URL under the `casework` namespace and /api/v1/cases/ (walked from the resolver), for a
  case of Noord and one of Zuid, as every persona that may not read it: 404/403/405 or a redirect
  to the second factor, no case text in the body, no read-log row, nothing written.
- Special-category text after a full lifecycle: not in any history table (ORM and raw SQL over
  every text column of every table except the ones that must hold it), not in log records, not in
  error answers, not in outbox payloads, not in the admin, not on the belteam's placement pages.
- The read log: every path that shows content logs first, and serves nothing when the row cannot
  be written (a database trigger refuses the insert, whatever code path does it); the table
  refuses UPDATE/DELETE/TRUNCATE from a plain cursor.
- Break-glass and IDOR: uuids of another case's entries/referrals/shares under a case's URL.
- Gemeente shares after revocation, after `until`, after a move to another municipality.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid as uuid_mod
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework import services
from casework.models import (
    CaseAccess,
    CaseEntry,
    CaseEntryVersion,
    CaseShare,
    Referral,
    SignalShare,
)
from rcvs.accounts.services import api_token_create
from tests.casework import conftest as casework_conftest
from tests.casework.conftest import open_case
from tests.otp import verified_login, verified_token

pytestmark = pytest.mark.django_db
cw = casework_conftest.cw  # the casework fixtures, used here too

# Unique markers: each must never show where it does not belong.
SUMMARY_N = "Titel-Noord-QX"  # summary is not special, but it is case content
SUMMARY_Z = "Titel-Zuid-QX"
ENTRY_PLAIN = "Plainentry-QX7"
SPECIAL_1 = "Specialeen-QX7"
SPECIAL_2 = "Specialtwee-QX7"  # the edit after lock
REF_NOTE = "Verwijsnotitie-QX7"
REJECT_REASON = "Afwijsreden-QX7"
CLOSE_NOTE = "Sluitnotitie-QX7"
ZUID_ENTRY = "Zuidentry-QX7"
SPECIAL_MARKERS = [SPECIAL_1, SPECIAL_2, REF_NOTE, REJECT_REASON, CLOSE_NOTE]
NOORD_MARKERS = [SUMMARY_N, ENTRY_PLAIN, *SPECIAL_MARKERS, "Bondarenko", "Iryna", "Sofiia"]
ZUID_MARKERS = [SUMMARY_Z, ZUID_ENTRY]
CASE_MARKERS = NOORD_MARKERS + ZUID_MARKERS


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def cases(cw, personas):
    """A Noord case (owner: the coordinator, co-worker: the special-right coordinator) with a plain
    and a special entry, a referral and a share with gemeente_a; a Zuid case with an entry."""
    noord = open_case(user=personas.coordinator, household=cw.household, code="psychisch_trauma",
                      owner=personas.coordinator, subject=cw.child)
    services.case_update(user=personas.coordinator, case=noord, data={"summary": SUMMARY_N})
    services.case_assign(user=personas.coordinator, case=noord, owner=personas.coordinator, co_workers=[cw.special])
    plain = services.entry_add(user=personas.coordinator, case=noord, kind="notitie", text=ENTRY_PLAIN,
                               special_category=False)
    special = services.entry_add(user=cw.special, case=noord, kind="telefoongesprek", text=SPECIAL_1,
                                 special_category=True)
    referral = services.referral_create(user=personas.coordinator, case=noord, to_kind="wijkteam",
                                        to_organisation="Wijkteam A", note=REF_NOTE)
    share = services.share_create(user=personas.coordinator, case=noord, to_user=personas.gemeente_a,
                                  purpose="Afstemming onderwijs", until=timezone.localdate() + dt.timedelta(days=10))
    zuid = open_case(user=cw.coordinator_zuid, household=cw.household_zuid, owner=cw.coordinator_zuid)
    services.case_update(user=cw.coordinator_zuid, case=zuid, data={"summary": SUMMARY_Z})
    zuid_entry = services.entry_add(user=cw.coordinator_zuid, case=zuid, kind="notitie", text=ZUID_ENTRY)
    zuid_ref = services.referral_create(user=cw.coordinator_zuid, case=zuid, to_kind="politie",
                                        to_organisation="Politie C")
    return SimpleNamespace(noord=noord, zuid=zuid, plain=plain, special=special, referral=referral, share=share,
                           zuid_entry=zuid_entry, zuid_ref=zuid_ref)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace if p.namespace else namespace
            yield from _walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield namespace, prefix + str(p.pattern), p


def casework_patterns() -> list[tuple[str, URLPattern]]:
    """(name to reverse, pattern) for every casework page and every /api/v1/cases/ route."""
    found = []
    for namespace, route, pattern in _walk(get_resolver()):
        if namespace == "casework" and pattern.name:
            found.append((f"casework:{pattern.name}", pattern))
        elif route.startswith(("api/v1/", "^api/v1/")) and "cases" in route and pattern.name:
            found.append((pattern.name, pattern))
    return found


def _kwarg_names(pattern: URLPattern) -> set[str]:
    return set(pattern.pattern.regex.groupindex)


def url_for(name: str, pattern: URLPattern, case: Any, objs: SimpleNamespace) -> str | None:
    kwargs: dict[str, Any] = {}
    for key in _kwarg_names(pattern):
        if key == "format":
            return None  # format-suffix twins: the same view
        if key == "uuid":
            kwargs[key] = case.uuid
        elif key == "entry_uuid":
            kwargs[key] = objs.entry_of[case.pk].uuid
        elif key == "referral_uuid":
            kwargs[key] = objs.referral_of[case.pk].uuid
        elif key == "share_uuid":
            kwargs[key] = objs.share_of[case.pk].uuid
        elif key == "transfer_uuid":
            kwargs[key] = objs.transfer_of[case.pk]
        else:
            raise AssertionError(f"unknown url kwarg {key} in {name}: extend the attack walk")
    return reverse(name, kwargs=kwargs)


POST_DATA = {
    "text": "Aanvaller", "kind": "notitie", "special_category": "on", "reason": "Aanvaller wil kijken",
    "note": "x", "to_kind": "wijkteam", "to_organisation": "X", "purpose": "x", "status": "in_behandeling",
    "until": (dt.date.today() + dt.timedelta(days=5)).isoformat(), "help_asked": "Hulp", "step": "draft",
    "action": "json", "v_number": "1234567890", "huishouden": "", "follow_up_on": "", "urgency": "normal",
    "break_glass_reason": "Aanvaller wil kijken",
}


def _counts() -> dict[str, int]:
    from placements.models import TransferRequest

    return {m.__name__: m.objects.count() for m in
            (CaseAccess, CaseEntry, CaseEntryVersion, Referral, CaseShare, SignalShare, TransferRequest)} | {
        "history": sum(m.objects.count() for m in apps.get_models() if m.__name__.startswith("Historical"))}


def _attackers(cw, personas) -> dict[str, tuple[Any, Any]]:
    """persona name -> (page client, api client) of people who may read neither case (or only
    the one the name says: see `_refused_for`)."""
    def page(user):
        return verified_login(Client(), user)

    def api(user, *, otp=True):
        client = APIClient()
        key = verified_token(user) if otp else api_token_create(user=user, name="wachtwoord", otp_verified=False)[1]
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    password_only = Client()
    password_only.force_login(personas.coordinator)
    return {
        "belteam": (page(personas.belteam), api(personas.belteam)),
        "bestuur": (page(personas.bestuur), api(personas.bestuur)),
        "beheerder": (page(personas.beheerder), api(personas.beheerder)),
        "gemeente_a_no_share": (page(personas.gemeente_a), api(personas.gemeente_a)),  # its share is revoked below
        "gemeente_b": (page(personas.gemeente_b), api(personas.gemeente_b)),
        "coordinator_zuid": (page(cw.coordinator_zuid), api(cw.coordinator_zuid)),
        "coach_zuid": (page(cw.coach_zuid), api(cw.coach_zuid)),
        "outsider": (page(personas.outsider), api(personas.outsider)),
        "superuser": (page(cw.superuser), api(cw.superuser)),
        "password_only_coordinator": (password_only, api(personas.coordinator, otp=False)),
    }


def _refused_for(name: str, which: str) -> bool:
    """Whether persona `name` must be refused the `which` case ("noord"/"zuid")."""
    if name in ("coordinator_zuid", "coach_zuid"):
        return which == "noord"
    if name == "outsider":  # beheerder of Zuid: no casework role at all
        return True
    return True


def _ok_refusal(response, *, api: bool) -> bool:
    if response.status_code in (401, 403, 404, 405):
        return True
    if response.status_code == 302 and not api:
        target = response["Location"]
        return "/accounts/2fa" in target or "/accounts/login" in target
    return False


def _body(response) -> str:
    return response.content.decode("utf-8", "replace")


@pytest.fixture
def objs(cases, cw, personas):
    transfer = services.case_request_transfer(user=personas.coordinator, case=cases.noord, kind="transfer")
    zuid_transfer = services.case_request_transfer(user=cw.coordinator_zuid, case=cases.zuid, kind="transfer")
    services.share_revoke(user=personas.coordinator, share=cases.share)  # gemeente_a is now without a share
    zuid_share = CaseShare.objects.create(case=cases.zuid, user=personas.gemeente_b, purpose="x",
                                          until=timezone.localdate() + dt.timedelta(days=3),
                                          created_by=cw.coordinator_zuid, revoked_at=timezone.now())
    return SimpleNamespace(
        entry_of={cases.noord.pk: cases.special, cases.zuid.pk: cases.zuid_entry},
        referral_of={cases.noord.pk: cases.referral, cases.zuid.pk: cases.zuid_ref},
        share_of={cases.noord.pk: cases.share, cases.zuid.pk: zuid_share},
        transfer_of={cases.noord.pk: transfer.transfer_request.uuid, cases.zuid.pk: zuid_transfer.transfer_request.uuid},
    )


# --- 1. the walk ----------------------------------------------------------------------------------

def test_the_walk_finds_the_pages_and_the_api(cases, objs):
    names = {name for name, _p in casework_patterns()}
    assert {"casework:case_detail", "casework:entry_edit", "casework:subject_access", "casework:signal_share",
            "casework:transfer_request"} <= names
    assert any(n.startswith("api-case") for n in names)
    assert len(names) >= 30


@pytest.mark.parametrize("which", ["noord", "zuid"])
def test_every_case_url_refuses_every_persona_without_access(cases, objs, cw, personas, which):
    case = getattr(cases, which)
    markers = NOORD_MARKERS if which == "noord" else ZUID_MARKERS
    attackers = _attackers(cw, personas)
    before = _counts()
    start = dict(before)
    assert not CaseAccess.objects.filter(case_id=case.pk).exists()
    failures = []
    for name, pattern in casework_patterns():
        url = url_for(name, pattern, case, objs)
        if url is None:
            continue
        api = not name.startswith("casework:")
        takes_uuid = "uuid" in _kwarg_names(pattern)
        for who, (page_client, api_client) in attackers.items():
            if not _refused_for(who, which):
                continue
            client = api_client if api else page_client
            for method in ("get", "post", "patch", "options", "head") if api else ("get", "post", "head"):
                if api:
                    response = getattr(client, method)(url, POST_DATA, format="json",
                                                       HTTP_BREAK_GLASS_REASON="Aanvaller")
                else:
                    response = getattr(client, method)(url, POST_DATA)
                body = _body(response)
                if CaseAccess.objects.filter(case_id=case.pk).exists():
                    failures.append(f"{who} {method.upper()} {url}: wrote a read-log row")
                leaked = [m for m in markers if m in body]
                if leaked:
                    failures.append(f"{who} {method.upper()} {url}: {response.status_code} leaks {leaked}")
                if method == "options" and response.status_code == 200:
                    # DRF's metadata answer: allowed only if the same as for a case that does not exist
                    blind = client.options(url.replace(str(case.uuid), str(uuid_mod.uuid4())))
                    if (blind.status_code, blind.content) != (200, response.content):
                        failures.append(f"{who} OPTIONS {url}: differs from an unknown case's answer")
                elif takes_uuid and not _ok_refusal(response, api=api):
                    failures.append(f"{who} {method.upper()} {url}: status {response.status_code}")
    assert not failures, "\n".join(failures)
    start.pop("CaseAccess")  # the Zuid coordinator's own dashboard logs their own Zuid case
    after = _counts()
    after.pop("CaseAccess")
    assert after == start, "a refused request wrote something"


def test_zuid_coordinator_cannot_subject_access_a_noord_resident(cases, cw, personas):
    """A Zuid coordinator WITH the special right searching a Noord resident by V-number."""
    cw.coordinator_zuid.special_category_access = True
    cw.coordinator_zuid.save()
    client = verified_login(Client(), cw.coordinator_zuid)
    before = CaseAccess.objects.count()
    for action in ("search", "json", "pdf"):
        response = client.post(reverse("casework:subject_access"), {"v_number": "1234567890", "action": action})
        body = _body(response)
        assert not [m for m in CASE_MARKERS if m in body], action
    assert CaseAccess.objects.filter(case_id=cases.noord.pk).count() == 0
    assert CaseAccess.objects.count() == before


# --- 2. special-category text stays where it belongs ----------------------------------------------

@pytest.fixture
def lifecycle(cases, cw, personas, caplog):
    """Create, special entries, edit after lock, referral with note, reject with reason, close
    with note — with every logger captured at DEBUG."""
    caplog.set_level(logging.DEBUG)
    later = timezone.now() + dt.timedelta(hours=3)
    services.entry_edit(user=cw.special, entry=cases.special, text=SPECIAL_2, now=later)
    services.referral_reject(user=personas.coordinator, referral=cases.referral, reason=REJECT_REASON)
    services.case_close(user=personas.coordinator, case=cases.noord, reason="opgelost", note=CLOSE_NOTE)
    # the pages and the API reading all of it, also under the log capture
    client = verified_login(Client(), cw.special)
    assert SPECIAL_2 in _body(client.get(reverse("casework:case_detail", args=[cases.noord.uuid])))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(cw.special)}")
    assert api.get(f"/api/v1/cases/{cases.noord.uuid}/entries/").status_code == 200
    assert api.get(f"/api/v1/cases/{cases.noord.uuid}/referrals/").status_code == 200
    return cases


# Tables that are meant to hold the texts (the entry versions, the referral, the case itself).
HOLDERS = {"casework_caseentryversion": [SPECIAL_1, SPECIAL_2], "casework_referral": [REF_NOTE, REJECT_REASON],
           "casework_case": [CLOSE_NOTE]}


def test_special_text_in_no_table_but_its_own_after_a_lifecycle(lifecycle):
    hits = []
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json')""")
        columns = cursor.fetchall()
        for table, column in columns:
            for marker in SPECIAL_MARKERS:
                if marker in HOLDERS.get(table, []):
                    continue
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',  # noqa: S608
                               [f"%{marker}%"])
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{column}: {marker}")
    assert not hits, hits
    # the ORM view of every Historical* model, to be sure
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            for row in model.objects.all().values():
                text = repr(row)
                assert not [m for m in SPECIAL_MARKERS if m in text], model.__name__


def test_special_text_in_no_log_record(lifecycle, caplog):
    records = caplog.get_records("setup") + caplog.get_records("call")
    assert records, "nothing was captured: the capture itself is broken"
    for record in records:
        text = record.getMessage() + repr(record.args) + repr(getattr(record, "__dict__", {}))
        leaked = [m for m in SPECIAL_MARKERS if m in text]
        assert not leaked, (record.name, leaked)


def test_special_text_in_no_outbox_payload(lifecycle):
    from rcvs.outbox.models import OutboxMessage

    for message in OutboxMessage.objects.all():
        text = repr({f.name: getattr(message, f.name) for f in message._meta.fields})
        assert not [m for m in SPECIAL_MARKERS + [ENTRY_PLAIN] if m in text]


def test_error_answers_do_not_echo_special_text(cases, cw, personas):
    """A special entry on a Zuid case (no legal basis there) and an over-long text: the 400 does not
    repeat the text that was sent, nor other special text of the case."""
    coach = cw.coach_zuid
    services.case_assign(user=cw.coordinator_zuid, case=cases.zuid, owner=cw.coordinator_zuid, co_workers=[coach])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(coach)}")
    secret = "Echotest-QX7 geheime diagnose"
    response = api.post(f"/api/v1/cases/{cases.zuid.uuid}/entries/",
                        {"kind": "notitie", "text": secret, "special_category": True}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "no_legal_basis"
    assert "Echotest" not in _body(response)
    page = verified_login(Client(), coach)
    response = page.post(reverse("casework:entry_add", args=[cases.zuid.uuid]),
                         {"kind": "notitie", "text": secret, "special_category": "on"})
    assert response.status_code == 400
    # the page may give the user their own typed text back in the form, but nothing else special
    assert not [m for m in SPECIAL_MARKERS if m in _body(response)]
    assert not CaseEntry.objects.filter(case=cases.zuid, special_category=True).exists()
    # a special entry on the Noord case by a coordinator without the right: 403, no echo
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(personas.coordinator)}")
    response = api.post(f"/api/v1/cases/{cases.noord.uuid}/entries/",
                        {"kind": "notitie", "text": secret, "special_category": True}, format="json")
    assert response.status_code == 403
    body = _body(response)
    assert "Echotest" not in body and not [m for m in SPECIAL_MARKERS if m in body]


def _admin_urls() -> list[str]:
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        for obj in model.objects.all()[:20]:
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[obj.pk]))
            if hasattr(model_admin, "history_view"):
                urls.append(reverse(f"admin:{info[0]}_{info[1]}_history", args=[obj.pk]))
    return urls


def test_no_case_text_anywhere_in_the_admin(lifecycle, cw):
    client = verified_login(Client(), cw.superuser)
    failures = []
    for url in _admin_urls():
        response = client.get(url)
        body = _body(response)
        leaked = [m for m in [*SPECIAL_MARKERS, ENTRY_PLAIN, SUMMARY_N]  # names: the registry admin shows them
                  if m in body]
        if leaked:
            failures.append(f"{url}: {leaked}")
    assert not failures, failures


def test_belteam_placement_pages_show_no_case_text(cases, objs, cw, personas):
    client = verified_login(Client(), personas.belteam)
    placement = cw.placement
    for url in (reverse("placements:queue"), reverse("placements:placement_detail", args=[placement.uuid]),
                reverse("placements:placement_transfer", args=[placement.uuid]),
                reverse("placements:request_detail", args=[cw.household.uuid])):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _body(response)
        leaked = [m for m in [*SPECIAL_MARKERS, ENTRY_PLAIN, SUMMARY_N, "psychisch", "trauma", "Psychisch"]
                  if m in body]
        assert not leaked, (url, [body[max(0, body.index(m) - 300):body.index(m) + 50] for m in leaked])


# --- 3. the read log ------------------------------------------------------------------------------

def _refuse_inserts():
    """A trigger that makes every insert into the read log fail (rolled back with the test)."""
    table = CaseAccess._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("""CREATE OR REPLACE FUNCTION cwattack_refuse() RETURNS trigger AS $$
                          BEGIN RAISE EXCEPTION 'read log down'; END $$ LANGUAGE plpgsql""")
        cursor.execute(f'CREATE TRIGGER cwattack_refuse BEFORE INSERT ON "{table}" '
                       "FOR EACH ROW EXECUTE FUNCTION cwattack_refuse()")


SOFIIA = {"last_name": "Bondarenko-Test", "date_of_birth": "30-09-2015"}  # the subject of the Noord case


def _reading_paths(cases, cw, personas):
    """(label, callable -> response) for every path that shows case content, as the special-right
    coordinator (co-worker of the Noord case)."""
    page = verified_login(Client(), cw.special)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(cw.special)}")
    u = cases.noord.uuid
    base = f"/api/v1/cases/{u}/"
    entry = cases.special
    return [
        ("dashboard", lambda: page.get(reverse("casework:dashboard"))),
        ("dashboard search", lambda: page.post(reverse("casework:dashboard"), {"name": "Sofiia"})),
        ("page", lambda: page.get(reverse("casework:case_detail", args=[u]))),
        ("entry edit page", lambda: page.get(reverse("casework:entry_edit", args=[u, entry.uuid]))),
        ("signal page", lambda: page.get(reverse("casework:signal_share", args=[u]))),
        ("signal draft", lambda: page.post(reverse("casework:signal_share", args=[u]),
                                           {"step": "draft", "help_asked": "Hulp gezocht"})),
        ("api retrieve", lambda: api.get(base)),
        ("api list", lambda: api.get("/api/v1/cases/")),
        ("api search", lambda: api.post("/api/v1/cases/search/", {"name": "Sofiia"}, format="json")),
        ("api entries", lambda: api.get(base + "entries/")),
        ("api referrals", lambda: api.get(base + "referrals/")),
        ("api reads", lambda: api.get(base + "reads/")),
        ("subject access json", lambda: page.post(reverse("casework:subject_access"),
                                                  SOFIIA | {"action": "json"})),
        ("subject access pdf", lambda: page.post(reverse("casework:subject_access"),
                                                 SOFIIA | {"action": "pdf"})),
    ]


def test_every_reading_path_logs_its_read(cases, cw, personas):
    for label, call in _reading_paths(cases, cw, personas):
        before = CaseAccess.objects.filter(case_id=cases.noord.pk).count()
        response = call()
        assert response.status_code == 200, (label, response.status_code)
        assert CaseAccess.objects.filter(case_id=cases.noord.pk).count() > before, label


def test_a_read_that_cannot_be_logged_is_not_served_on_any_path(cases, cw, personas):
    paths = _reading_paths(cases, cw, personas)
    _refuse_inserts()
    for label, call in paths:
        with transaction.atomic():  # each call in its own savepoint: a failed insert must not poison the rest
            response = call()
        body = _body(response)
        assert response.status_code == 503, (label, response.status_code)
        leaked = [m for m in [SUMMARY_N, ENTRY_PLAIN, SPECIAL_1, REF_NOTE, "Bondarenko", "Sofiia"] if m in body]
        assert not leaked, (label, leaked)


def test_read_log_refuses_update_delete_truncate_from_a_plain_cursor(cases, cw, personas):
    services.case_log_read(user=personas.coordinator, case=cases.noord, part="case", channel="page")
    table = CaseAccess._meta.db_table
    statements = [f'UPDATE "{table}" SET reason = %s', f'DELETE FROM "{table}"', f'TRUNCATE "{table}"',  # noqa: S608
                  f'TRUNCATE "{table}" CASCADE']  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('rcvs.allow_truncate', 'off', false)")
        try:
            for sql in statements:
                with pytest.raises(DatabaseError), transaction.atomic():
                    cursor.execute(sql, ["gewijzigd"] if "%s" in sql else None)
            # a retention cutoff in the future does not let a DELETE take rows younger than the cutoff
            # only; set to a moment before the row, nothing may go
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute("SELECT set_config('rcvs.retention_cutoff', %s, true)",
                               [(timezone.now() - dt.timedelta(days=1)).isoformat()])
                cursor.execute(f'DELETE FROM "{table}"')  # noqa: S608
        finally:
            cursor.execute("SELECT set_config('rcvs.allow_truncate', 'on', false)")
    assert CaseAccess.objects.filter(case_id=cases.noord.pk).exists()
    assert not CaseAccess.objects.filter(reason="gewijzigd").exists()


def test_production_settings_do_not_allow_truncate_and_requests_cannot_set_the_cutoff():
    from pathlib import Path

    import rcvs.settings as settings_module

    source = Path(settings_module.__file__).read_text()
    # the allow_truncate option is added only under `if TESTING:`
    index = source.index("rcvs.allow_truncate=on")
    guard = source.rfind("\nif ", 0, index)
    assert source[guard:source.index("\n", guard + 1)].strip() == "if TESTING:"
    assert "TESTING = \"pytest\" in sys.modules" in source
    # only the retention purge sets the cutoff, with a parameter and SET LOCAL semantics
    hits = []
    for path in Path(settings_module.__file__).resolve().parents[1].glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "migrations" in path.parts:
            continue
        if "retention_cutoff" in path.read_text(errors="replace"):
            hits.append(path.relative_to(Path(settings_module.__file__).resolve().parents[1]).as_posix())
    assert sorted(set(hits)) <= ["casework/retention.py", "casework/services.py"], hits


# --- 4. break-glass and IDOR ----------------------------------------------------------------------

@pytest.fixture
def other(cases, cw, personas):
    """A second Noord case owned by the colleague, with a special entry by the coach and a referral."""
    case_b = open_case(user=cw.colleague, household=cw.household, code="overlast", owner=cw.colleague)
    services.case_assign(user=cw.colleague, case=case_b, owner=cw.colleague, co_workers=[cw.coach, cw.special])
    entry_b = services.entry_add(user=cw.special, case=case_b, kind="notitie", text="EntryB-QX7",
                                 special_category=True)
    referral_b = services.referral_create(user=cw.colleague, case=case_b, to_kind="politie",
                                          to_organisation="Politie", note="NoteB-QX7")
    return SimpleNamespace(case=case_b, entry=entry_b, referral=referral_b)


def test_entry_and_referral_of_case_b_under_the_url_of_case_a_is_404(cases, other, cw, personas):
    """cw.special is co-worker of both; personas.coordinator only of A. An entry uuid of B under
    A's URL must not reach B's entry — on the page and the API."""
    for user in (personas.coordinator, cw.special):
        page = verified_login(Client(), user)
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")
        a = cases.noord.uuid
        before = _counts()
        responses = [
            page.get(reverse("casework:entry_edit", args=[a, other.entry.uuid])),
            page.post(reverse("casework:entry_edit", args=[a, other.entry.uuid]), {"text": "Overschreven"}),
            page.post(reverse("casework:referral_accept", args=[a, other.referral.uuid])),
            page.post(reverse("casework:referral_reject", args=[a, other.referral.uuid]), {"reason": "weg"}),
            page.post(reverse("casework:referral_complete", args=[a, other.referral.uuid])),
            api.patch(f"/api/v1/cases/{a}/entries/{other.entry.uuid}/", {"text": "Overschreven"}, format="json"),
            api.post(f"/api/v1/cases/{a}/referrals/{other.referral.uuid}/accept/", {}, format="json"),
            api.post(f"/api/v1/cases/{a}/referrals/{other.referral.uuid}/reject/", {"reason": "weg"}, format="json"),
            api.post(f"/api/v1/cases/{a}/referrals/{other.referral.uuid}/complete/", {}, format="json"),
        ]
        for response in responses:
            assert response.status_code == 404, response.status_code
            assert "EntryB" not in _body(response) and "NoteB" not in _body(response)
        assert _counts()["CaseEntryVersion"] == before["CaseEntryVersion"]
    # B's share, SIGNAL share and transfer request under A's URL, by cw.special (in both caseloads)
    share_b = services.share_create(user=cw.colleague, case=other.case, to_user=personas.gemeente_a, purpose="B",
                                    until=timezone.localdate() + dt.timedelta(days=5))
    signal_b = SignalShare.objects.create(case=other.case, text="SignalB-QX7", created_by=cw.colleague)
    transfer_b = services.case_request_transfer(user=cw.colleague, case=other.case, kind="transfer")
    page = verified_login(Client(), cw.special)
    a = cases.noord.uuid
    for response in (page.post(reverse("casework:share_revoke", args=[a, share_b.uuid])),
                     page.get(reverse("casework:signal_done", args=[a, signal_b.uuid])),
                     page.post(reverse("casework:transfer_cancel", args=[a, transfer_b.transfer_request.uuid]))):
        assert response.status_code == 404
        assert "SignalB" not in _body(response)
    share_b.refresh_from_db()
    assert share_b.revoked_at is None
    transfer_b.transfer_request.refresh_from_db()
    assert transfer_b.transfer_request.status == "open"
    other.referral.refresh_from_db()
    assert other.referral.status == "verstuurd"
    assert other.entry.versions.get().text == "EntryB-QX7"


def test_break_glass_cannot_be_skipped_by_any_path(cases, other, cw, personas):
    """personas.coordinator is outside case B's caseload: every path refuses without a reason and
    writes no read row, on the page, the API, SIGNAL and the transfer request."""
    page = verified_login(Client(), personas.coordinator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(personas.coordinator)}")
    b = other.case.uuid
    before = _counts()
    calls = [
        ("page", page.get(reverse("casework:case_detail", args=[b])), 403),
        ("signal", page.get(reverse("casework:signal_share", args=[b])), 403),
        ("signal draft", page.post(reverse("casework:signal_share", args=[b]), {"step": "draft", "help_asked": "x"}),
         403),
        ("transfer", page.post(reverse("casework:transfer_request", args=[b]), {"kind": "transfer"}), 403),
        ("entry add", page.post(reverse("casework:entry_add", args=[b]), {"kind": "notitie", "text": "x"}), 403),
        ("api retrieve", api.get(f"/api/v1/cases/{b}/"), 403),
        ("api entries", api.get(f"/api/v1/cases/{b}/entries/"), 403),
        ("api referrals", api.get(f"/api/v1/cases/{b}/referrals/"), 403),
        ("api reads", api.get(f"/api/v1/cases/{b}/reads/"), 403),
        ("api entry add", api.post(f"/api/v1/cases/{b}/entries/", {"kind": "notitie", "text": "x"}, format="json"),
         403),
        ("api entry edit", api.patch(f"/api/v1/cases/{b}/entries/{other.entry.uuid}/", {"text": "x"}, format="json"),
         None),
        ("api empty reason", api.get(f"/api/v1/cases/{b}/", HTTP_BREAK_GLASS_REASON="   "), 403),
    ]
    for label, response, expected in calls:
        body = _body(response)
        assert not [m for m in ("EntryB", "NoteB", "Bondarenko", "Sofiia") if m in body], label
        if expected is not None:
            assert response.status_code == expected, (label, response.status_code)
        else:
            assert response.status_code in (403, 404), (label, response.status_code)
    assert _counts() == before


def test_subject_access_outside_the_caseload_is_logged_as_break_glass(cases, other, cw, personas):
    """Subject access reaches cases outside the caseload with a fixed reason; it must at least be on
    record as break-glass for each such case (listed for the owner)."""
    special_other = cw.special
    services.case_assign(user=cw.colleague, case=other.case, owner=cw.colleague, co_workers=[cw.coach])
    page = verified_login(Client(), special_other)
    response = page.post(reverse("casework:subject_access"), {"v_number": "1234567890", "action": "json"})
    assert response.status_code == 200
    rows = CaseAccess.objects.filter(case_id=other.case.pk, user_id=special_other.pk, part="subject_access")
    assert rows.count() == 1 and rows.get().break_glass and rows.get().reason


# --- 5. gemeente shares ---------------------------------------------------------------------------

def _gemeente(user):
    page = verified_login(Client(), user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")
    return page, api


def _opens(page, api, case) -> list[int]:
    return [page.get(reverse("casework:case_detail", args=[case.uuid])).status_code,
            api.get(f"/api/v1/cases/{case.uuid}/").status_code,
            api.get(f"/api/v1/cases/{case.uuid}/entries/").status_code,
            api.get(f"/api/v1/cases/{case.uuid}/referrals/").status_code,
            len(api.get("/api/v1/cases/").json()["results"])]


def test_share_opens_then_closes_on_revoke_until_and_move(cases, cw, personas, world):
    page, api = _gemeente(personas.gemeente_a)
    assert _opens(page, api, cases.noord) == [200, 200, 200, 200, 1]
    # another municipality's user with the same uuid
    page_b, api_b = _gemeente(personas.gemeente_b)
    assert _opens(page_b, api_b, cases.noord) == [404, 404, 404, 404, 0]
    # after the until date
    CaseShare.objects.filter(pk=cases.share.pk).update(until=timezone.localdate() - dt.timedelta(days=1))
    assert _opens(page, api, cases.noord) == [404, 404, 404, 404, 0]
    CaseShare.objects.filter(pk=cases.share.pk).update(until=timezone.localdate() + dt.timedelta(days=1))
    assert _opens(page, api, cases.noord)[0] == 200
    # the household moves to a location in municipality B
    from placements.services import placement_transfer

    placement_transfer(user=personas.coordinator, placement=cw.placement,
                       allocation=[(world.rooms_b[1].pk, cw.household.members.count())], reason="Verhuizing")
    before = CaseAccess.objects.count()
    assert _opens(page, api, cases.noord) == [404, 404, 404, 404, 0]
    assert CaseAccess.objects.count() == before
    # and revocation (moved back is not needed: revoke closes it in any case)
    services.share_revoke(user=personas.coordinator, share=cases.share)
    assert _opens(page, api, cases.noord) == [404, 404, 404, 404, 0]


def test_no_case_text_in_urls_of_any_page():
    """Regex check that no casework route takes anything but uuids (no names, numbers or text)."""
    for name, pattern in casework_patterns():
        for key in _kwarg_names(pattern):
            assert key in {"uuid", "entry_uuid", "referral_uuid", "share_uuid", "transfer_uuid", "format"}, name


def test_a_subject_access_export_does_not_open_the_cases_without_a_written_reason(cases, other, cw, personas):
    """Subject access logs its reads as break-glass with a fixed reason. That row must not count
    as "a reason given in the last hour": else one export of a household opens every case of it,
    outside the caseload, on the page and the API, and lets the user write in them, without a word."""
    services.case_assign(user=cw.colleague, case=other.case, owner=cw.colleague, co_workers=[cw.coach])
    user = cw.special  # the special right (so subject access), not in case B's caseload any more
    page = verified_login(Client(), user)
    response = page.post(reverse("casework:subject_access"), {"v_number": "1234567890", "action": "json"})
    assert response.status_code == 200
    assert CaseAccess.objects.filter(case_id=other.case.pk, user_id=user.pk, break_glass=True).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {verified_token(user)}")
    detail = page.get(reverse("casework:case_detail", args=[other.case.uuid]))
    assert detail.status_code == 403 and "EntryB" not in _body(detail)
    assert api.get(f"/api/v1/cases/{other.case.uuid}/entries/").status_code == 403
    before = CaseEntry.objects.filter(case=other.case).count()
    response = page.post(reverse("casework:entry_add", args=[other.case.uuid]), {"kind": "notitie", "text": "x"})
    assert response.status_code == 403
    assert CaseEntry.objects.filter(case=other.case).count() == before
    # a reason of their own still opens it
    response = page.post(reverse("casework:case_detail", args=[other.case.uuid]), {"reason": "Overleg met GGZ"})
    assert response.status_code == 200 and "EntryB" in _body(response)


def test_a_shared_gemeente_read_that_cannot_be_logged_is_not_served(cases, personas):
    page, api = _gemeente(personas.gemeente_a)
    u = cases.noord.uuid
    calls = [("dashboard", lambda: page.get(reverse("casework:dashboard"))),
             ("page", lambda: page.get(reverse("casework:case_detail", args=[u]))),
             ("api list", lambda: api.get("/api/v1/cases/")),
             ("api retrieve", lambda: api.get(f"/api/v1/cases/{u}/")),
             ("api entries", lambda: api.get(f"/api/v1/cases/{u}/entries/")),
             ("api referrals", lambda: api.get(f"/api/v1/cases/{u}/referrals/"))]
    for label, call in calls:
        assert call().status_code == 200, label
    _refuse_inserts()
    for label, call in calls:
        with transaction.atomic():
            response = call()
        assert response.status_code == 503, (label, response.status_code)
        assert not [m for m in NOORD_MARKERS if m in _body(response)], label
