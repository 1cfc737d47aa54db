"""An attacker's walk over every reporting URL (issue 8), with two regions loaded.

Every `reporting:` URL pattern (walked from the resolver, so a page added later is walked without
anyone remembering this file) and every reporting admin page is requested by each persona of
region Noord and by an anonymous caller, with the ids of region Zuid's objects in the path, by GET
and by POST. Each answer must be a refusal (404, 403, 405, 401 or a redirect to the login); no
answer may carry a name of region Zuid (XLSX and PDF answers are read as text); nothing of Zuid
may change; nothing answers 500. Pages without an object in the path are also asked with query
parameters naming Zuid, and must not show it.

The same paths with Noord's own objects must answer the Noord coordinator (or, for the rate
table's superuser-only add, be refused by role only): otherwise the walk would prove nothing.
Belteam and mental coaches may open nothing in reporting at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from rcvs.accounts.models import Role
from reporting.snapshots import snapshot_take, snapshot_today
from tests.factories import UserFactory
from tests.security.test_attack_two_regions import body_text

pytestmark = pytest.mark.django_db


def reporting_patterns() -> list[tuple[str, URLPattern]]:
    """(name, pattern) of every named URL in the reporting namespace."""
    found = []

    def walk(resolver: URLResolver, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name and namespace == "reporting:":
                found.append((f"reporting:{entry.name}", entry))

    walk(get_resolver(), "")
    return found


def _params(pattern: URLPattern) -> tuple[str, ...]:
    return tuple(pattern.pattern.converters.keys()) if hasattr(pattern.pattern, "converters") else ()


# Path parameter -> side -> a value naming one of that side's objects. A parameter added later
# without an entry here fails test_every_path_parameter_has_an_object.
PARAMS: dict[str, Callable[[SimpleNamespace], Any]] = {}
# Parameters whose meaning depends on the URL (e.g. "pk"): (url name, parameter) -> side -> value.
PARAMS_BY_URL: dict[tuple[str, str], Callable[[SimpleNamespace], Any]] = {}


def _value(name: str, param: str, side: SimpleNamespace) -> Any:
    maker = PARAMS_BY_URL.get((name, param)) or PARAMS.get(param)
    if maker is None:
        raise AssertionError(f"{name}: no object for path parameter {param!r}; add one to PARAMS")
    return maker(side)


def _side(region, municipalities, locations, tag: str) -> SimpleNamespace:
    side = SimpleNamespace(tag=tag, region=region, municipalities=municipalities, locations=locations)
    side.snapshot = snapshot_take(region=region, as_of=snapshot_today())
    side.secrets = [region.name, *[m.name for m in municipalities], *[loc.name for loc in locations],
                    *[loc.code for loc in locations], *[m.cbs_code for m in municipalities]]
    return side


# Per capability: build the side's reporting objects (the functions below may grow).
SIDE_BUILDERS: list[Callable[[SimpleNamespace, Any], None]] = []


def _build_delivery(side: SimpleNamespace, world: Any) -> None:
    from reporting.delivery import delivery_schedule

    side.delivery = delivery_schedule(snapshot=side.snapshot)


def _build_mail(side: SimpleNamespace, world: Any) -> None:
    from reporting.occupancy_mail import mail_contact_create, unsubscribe_token

    side.mail_contact = mail_contact_create(user=None, municipality=side.municipalities[0], data={
        "name": f"Contact {side.region.name}", "email": f"bezetting@{side.tag}.example", "function": "beleid"})
    token = unsubscribe_token(side.mail_contact)
    # The unsubscribe link needs no login: its signed token is the credential. Zuid's own token
    # is not the attacker's to hold, so the attacker tries it forged (last character changed).
    side.mail_token = token if side.tag == "noord" else token[:-1] + ("A" if token[-1] != "A" else "B")


def _build_costs(side: SimpleNamespace, world: Any) -> None:
    from reporting import costs

    budget = costs.budget_create(user=None, region=side.region, year=2026,
                                 lines=[(f"{side.tag}-post", Decimal("100.00"))])
    side.cost_entry = costs.cost_entry_create(
        user=None, region=side.region, attachment=SimpleUploadedFile("factuur.pdf", b"%PDF-1.4 x"),
        data={"budget_line": budget.lines.get(), "date": dt.date(2026, 2, 2), "category": "ict",
              "supplier": f"{side.region.name} leverancier", "description": "licenties",
              "amount_excl_vat": Decimal("1.00"), "amount_incl_vat": Decimal("1.21"), "invoice_reference": "",
              "declarable": False, "non_declarable_reason": "niet subsidiabel"})
    side.cost_period, _ = costs.declaration_periods_ensure(user=None, region=side.region, year=2026)
    side.cost_document = costs.declaration_documents_build(period=side.cost_period)[1]


def _build_board(side: SimpleNamespace, world: Any) -> None:
    from reporting.board_items import board_item_create
    from reporting.models import BoardReport

    pdf = f"%PDF-1.7 {side.region.name}".encode()
    side.board_report = BoardReport.objects.create(region=side.region, period=dt.date(2026, 10, 1), status="done",
                                                   progress=100, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())
    side.board_item = board_item_create(user=None, region=side.region, kind="B", title=f"Besluit {side.region.name}")


SIDE_BUILDERS += [_build_delivery, _build_mail, _build_costs, _build_board]

PARAMS.update({
    "snapshot_id": lambda side: side.snapshot.pk,
    "fmt": lambda side: "csv",
    "region_code": lambda side: side.region.code,
    "municipality_id": lambda side: side.municipalities[0].pk,
    "contact_id": lambda side: side.mail_contact.pk,
    "token": lambda side: side.mail_token,
})
for _name in ("costs_entry_edit", "costs_entry_delete", "costs_attachment"):
    PARAMS_BY_URL[(f"reporting:{_name}", "uuid")] = lambda side: side.cost_entry.uuid
for _name in ("costs_period", "costs_period_edit", "costs_period_transition", "costs_period_build"):
    PARAMS_BY_URL[(f"reporting:{_name}", "pk")] = lambda side: side.cost_period.pk
PARAMS_BY_URL[("reporting:costs_document", "pk")] = lambda side: side.cost_document.pk
PARAMS_BY_URL[("reporting:board_report_status", "uuid")] = lambda side: side.board_report.uuid
PARAMS_BY_URL[("reporting:board_report_download", "uuid")] = lambda side: side.board_report.uuid
PARAMS_BY_URL[("reporting:board_item_edit", "pk")] = lambda side: side.board_item.pk


@pytest.fixture
def land(world, personas, django_user_model, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    # Delivery on (to a closed port: nothing is sent from inside the test's transaction), so
    # the resend pages have a delivery to resend.
    settings.KCIO_DELIVERY_METHOD = "https"
    settings.KCIO_DELIVERY_URL = "http://127.0.0.1:9/kcio"
    settings.KCIO_DELIVERY_TOKEN = "walk-token"
    noord = _side(world.noord, [world.mun_a, world.mun_b], [world.loc_a, world.loc_b], "noord")
    zuid = _side(world.zuid, [world.mun_c], [world.loc_c], "zuid")
    zuid.coordinator = UserFactory(username="zuid_coord", role=Role.COORDINATOR, regions=[world.zuid])
    noord.coordinator = personas.coordinator
    for build in SIDE_BUILDERS:
        for side in (noord, zuid):
            build(side, world)
    mental = UserFactory(username="mental_noord", role=Role.MENTAL_COACH, regions=[world.noord])
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123")
    beheerder = personas.beheerder
    beheerder.user_permissions.set(Permission.objects.all())
    return SimpleNamespace(noord=noord, zuid=zuid, personas=personas, mental=mental, superuser=superuser)


def region_path(model, depth: int = 0) -> str | None:
    """The lookup from a model to its region's code ("budget_line__budget__region__code"), through
    its foreign keys; None for a model that belongs to no region (the national rate table)."""
    from locations.models import Region

    if model is Region:
        return "code"
    if depth > 3:
        return None
    # The most direct way first: a region, then a municipality, then whatever leads to one.
    fields = sorted(model._meta.get_fields(), key=lambda f: {"region": 0, "municipality": 1}.get(f.name, 2))
    for field in fields:
        if field.many_to_one and field.concrete and field.related_model is not None:
            target = field.related_model
            if target._meta.app_label not in ("reporting", "locations") or target is model:
                continue
            rest = region_path(target, depth + 1)
            if rest is not None:
                return f"{field.name}__{rest}"
    return None


def zuid_qs(model):
    path = region_path(model)
    return None if path is None else model.objects.filter(**{path: "zuid"})


def _zuid_rows() -> dict[str, list[dict]]:
    """Every reporting row that belongs to region Zuid, by model: what the walk must not change."""
    rows = {}
    for model in apps.get_app_config("reporting").get_models():
        qs = zuid_qs(model)
        if qs is None:
            continue
        rows[model._meta.label] = [
            {k: v for k, v in row.items() if k not in ("updated_at", "last_used_at")}
            for row in qs.order_by("pk").values()]
    outbox = apps.get_model("outbox", "OutboxMessage")
    rows["outbox"] = list(outbox.objects.filter(region__code="zuid").order_by("pk").values("pk", "status"))
    return rows


REFUSED = {401, 403, 404, 405}


# Pages open to anyone by design, with the answers that count as a refusal there: the
# unsubscribe link (no login; a forged or expired token is answered 400 with a Dutch message).
PUBLIC: dict[str, set[int]] = {"reporting:mail_unsubscribe": {400}}


def _refused(response, name: str = "") -> bool:
    if response.status_code in REFUSED | PUBLIC.get(name, set()):
        return True
    return response.status_code == 302 and "/login/" in response["Location"]


def _leaks(response, side: SimpleNamespace) -> list[str]:
    text = body_text(response)
    return [s for s in side.secrets if s in text]


QUERY = "region={pk}&regio={code}&gemeente={mun}&municipality={mun}&region_id={pk}&location={loc}&jaar=2026"


def _attackers(land) -> list[tuple[str, Any]]:
    p = land.personas
    return [("anonymous", None), ("belteam", p.belteam), ("coordinator", p.coordinator),
            ("gemeente_a", p.gemeente_a), ("bestuur", p.bestuur), ("beheerder", p.beheerder),
            ("mental_coach", land.mental)]


def test_the_walk_finds_the_reporting_pages():
    names = {name for name, _ in reporting_patterns()}
    assert "reporting:index" in names
    assert len(names) >= 1


def test_every_path_parameter_has_an_object(land):
    for name, pattern in reporting_patterns():
        for param in _params(pattern):
            assert _value(name, param, land.zuid) is not None, (name, param)


def test_noord_walks_every_reporting_url_and_reaches_nothing_of_zuid(land):
    problems: list[str] = []
    requests_made = 0
    patterns = reporting_patterns()
    for persona, user in _attackers(land):
        client = Client()
        if user is not None:
            client.force_login(user)
        for name, pattern in patterns:
            params = _params(pattern)
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                before = _zuid_rows()
                kwargs = {param: _value(name, param, land.zuid) for param in params}
                path = reverse(name, kwargs=kwargs)
                calls = [("GET", lambda c=client, p=path: c.get(p)), ("POST", lambda c=client, p=path: c.post(p, {}))]
                if not params:
                    query = QUERY.format(pk=land.zuid.region.pk, code=land.zuid.region.code,
                                         mun=land.zuid.municipalities[0].pk, loc=land.zuid.locations[0].uuid)
                    calls.append(("GET?", lambda c=client, p=path, q=query: c.get(f"{p}?{q}")))
                for method, call in calls:
                    try:
                        response = call()
                    except Exception as exc:  # noqa: BLE001 - reported below
                        problems.append(f"{persona} {method} {path}: raised {exc!r}")
                        continue
                    requests_made += 1
                    where = f"{persona} {method} {path} -> {response.status_code}"
                    if response.status_code >= 500:
                        problems.append(f"{where}: server error")
                    if params and not _refused(response, name):
                        problems.append(f"{where}: not refused")
                    if persona in ("belteam", "mental_coach", "anonymous") and not _refused(response, name):
                        problems.append(f"{where}: this role may open nothing in reporting")
                    found = _leaks(response, land.zuid)
                    if found:
                        problems.append(f"{where}: shows {found}")
                if _zuid_rows() != before:
                    problems.append(f"{persona} via {name}: changed region Zuid's reporting rows")
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
    assert requests_made >= len(patterns) * 2
    assert not problems, "\n".join(problems[:80]) + f"\n({len(problems)} problems)"


# URL names whose GET with Noord's own objects the Noord coordinator may be refused: with the reason.
OWN_REFUSED: dict[str, str] = {}


def test_the_same_paths_with_noords_own_objects_answer_the_noord_coordinator(land):
    """Proof that the values above name real objects: with Noord's own, the pages answer."""
    client = Client()
    client.force_login(land.personas.coordinator)
    wrong = []
    for name, pattern in reporting_patterns():
        params = _params(pattern)
        if not params or name in OWN_REFUSED:
            continue
        path = reverse(name, kwargs={param: _value(name, param, land.noord) for param in params})
        response = client.get(path)
        if response.status_code >= 400 and response.status_code != 405:
            wrong.append(f"{path} -> {response.status_code}")
    assert not wrong, wrong


def test_reporting_admin_shows_nothing_of_zuid(land):
    """Every reporting admin list and change page, as Noord's beheerder with every permission."""
    from django.contrib import admin

    client = Client()
    beheerder = land.personas.beheerder
    client.force_login(beheerder)
    problems = []
    for model, _model_admin in admin.site._registry.items():
        if model._meta.app_label != "reporting":
            continue
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(changelist)
        if response.status_code >= 500 or _leaks(response, land.zuid):
            problems.append(f"{changelist} -> {response.status_code} {_leaks(response, land.zuid)}")
        zuid_objects = zuid_qs(model)
        if zuid_objects is None:
            continue
        for obj in zuid_objects[:3]:
            for view in ("change", "delete", "history"):
                url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=[obj.pk])
                response = client.get(url)
                if response.status_code not in (302, 403, 404):
                    problems.append(f"{url} -> {response.status_code}")
    assert not problems, problems



# National tables: the same for every region (published figures).
NATIONAL_MODELS = {"reporting.NormRate", "reporting.TargetInputs"}


def test_every_reporting_model_belongs_to_a_region():
    """A model the walk cannot place in a region would escape its change check: name it here."""
    unplaced = [m._meta.label for m in apps.get_app_config("reporting").get_models()
                if region_path(m) is None and m._meta.label not in NATIONAL_MODELS]
    assert not unplaced, unplaced
