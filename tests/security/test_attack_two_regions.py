"""An attacker's walk over the whole project with two regions loaded (issue 6, "Done when").

Region Noord and region Zuid both hold locations, rooms, contacts, waiting and placed households
(synthetic names), supra-regional requests, users, API keys, lockouts and outbox mails. Every URL
pattern of the project (walked from django.urls.get_resolver(), so a page added later is walked
without anyone remembering this file) is requested by every persona — belteam, coordinator, two
gemeente users, bestuur and beheerder of Noord, the outsider (beheerder of Zuid, the other way
round) and an anonymous caller — with the ids and uuids of the OTHER region's objects in the path,
by GET, POST (with a body naming the other region's objects), and for the API PATCH/PUT/DELETE
too. Each answer must be a refusal (404, 403, 405, 401 or a redirect to the login) wherever the
path names another region's object; no answer may carry a name of the other region's residents,
locations, municipalities, contacts or users (XLSX and PDF answers are read as text); nothing of
the other region may change in the database; nothing answers 500.

The casework namespace (issue 7, built meanwhile) has tests of its own and is left out of the walk.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from locations.models import ContactPerson, Location, Municipality, Region, Room
from placements.models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    SupraRegionalRequest,
)
from rcvs.accounts.models import ApiToken, Role, User
from rcvs.accounts.services import api_token_create
from tests.factories import ContactPersonFactory, UserFactory, make_request

pytestmark = pytest.mark.django_db

# Casework (issue 7) is being built in parallel and has its own scoping tests (tests/casework);
# its pages, API and admin are left out here.
# Reporting (issue 8) has its own walk with its own objects: tests/security/test_reporting_attack.py.
EXCLUDED_NAMESPACES = {"casework", "reporting"}
EXCLUDED_PREFIXES = ("/casussen/", "/api/v1/cases/", "/admin/casework/", "/rapportage/", "/admin/reporting/")
# Pages that end the session: walked last, on their own (the walk would be logged out otherwise).
SESSION_ENDING = {"logout", "admin:logout"}


# --- two regions with people in both ----------------------------------------------------------------

def _side(world: Any, region: Region, tag: str, superuser: User, *, municipalities: list[Municipality],
          locations: list[Location], rooms: list[Room]) -> SimpleNamespace:
    from placements.services import placement_confirm, placement_reserve

    placed = make_request(region=region, user=superuser, members=[
        {"first_name": f"{tag}elia", "last_name": f"Geheim{tag.lower()}", "date_of_birth": dt.date(1990, 4, 1),
         "sex": "f", "relation": "main", "v_number": "1234567890" if tag == "Noord" else "2234567890"}])
    room = next(r for r in rooms if r.beds >= 1)
    placement = placement_reserve(user=superuser, request=placed, allocation=[(room.pk, 1)])
    placement = placement_confirm(user=superuser, placement=placement, notify_location=True)
    waiting = make_request(region=region, user=superuser, members=[
        {"first_name": f"{tag}win", "last_name": f"Wacht{tag.lower()}", "date_of_birth": dt.date(1985, 1, 2),
         "sex": "m", "relation": "main"}])
    supra = SupraRegionalRequest.objects.create(
        region=region, request=waiting, household_size=1, earliest_date=timezone.localdate() + dt.timedelta(days=3),
        contact_name=f"{tag}contactpersoon", contact_phone="0592 123 456", names=f"{tag}win Wacht{tag.lower()}",
        note=f"Toelichting {tag}geheim")
    contact = ContactPersonFactory(location=locations[0], name=f"{tag}beheerder Locatieman")
    user = UserFactory(username=f"belteam_{tag.lower()}2", last_name=f"{tag}medewerker", role=Role.BELTEAM,
                       regions=[region])
    token, _key = api_token_create(user=user, name=f"{tag}-koppeling")
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.create(
        username=user.username, ip_address="192.0.2.7", user_agent="test", http_accept="*/*",
        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=5)
    from rcvs.outbox.models import OutboxMessage

    outbox = OutboxMessage.objects.filter(region=region).first()
    event = PlacementEvent.objects.filter(request=placed).latest("pk")
    secrets = [f"{tag}elia", f"Geheim{tag.lower()}", f"{tag}win", f"Wacht{tag.lower()}", f"{tag}contactpersoon",
               f"{tag}geheim", f"{tag}beheerder Locatieman", f"{tag}medewerker", f"{tag}-koppeling",
               "1234567890" if tag == "Noord" else "2234567890"]
    for obj in (*municipalities, *locations):
        secrets.append(obj.name)
    secrets += [loc.code for loc in locations] + [m.cbs_code for m in municipalities]
    return SimpleNamespace(
        tag=tag, region=region, municipalities=municipalities, locations=locations, rooms=rooms, placed=placed,
        waiting=waiting, placement=placement, supra=supra, contact=contact, user=user, token=token,
        attempt=attempt, outbox=outbox, event=event, secrets=secrets,
        members=list(HouseholdMember.objects.filter(request__region=region)))


@pytest.fixture
def land(world, personas, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123")
    everything = Permission.objects.all()
    for staff in (personas.beheerder, personas.outsider):
        # Staff with every permission of the installation: only the scoping stands in the way.
        staff.is_staff = True
        staff.save()
        staff.user_permissions.set(everything)
    noord = _side(world, world.noord, "Noord", superuser, municipalities=[world.mun_a, world.mun_b],
                  locations=[world.loc_a, world.loc_b], rooms=world.rooms_a + world.rooms_b)
    zuid = _side(world, world.zuid, "Zuid", superuser, municipalities=[world.mun_c], locations=[world.loc_c],
                 rooms=world.rooms_c)
    # Change them once so that every history view has records of both regions.
    for side in (noord, zuid):
        for loc in side.locations:
            loc.notes = f"Notitie {side.tag}geheim"
            loc.save()
    return SimpleNamespace(world=world, personas=personas, superuser=superuser, noord=noord, zuid=zuid)


def attackers(land: Any) -> list[tuple[str, User | None, Any, Any]]:
    """(name, user, own side, other side); None is the anonymous caller (attacking Zuid)."""
    p = land.personas
    out = [(name, User.objects.get(pk=getattr(p, name).pk), land.noord, land.zuid)
           for name in ("belteam", "coordinator", "gemeente_a", "gemeente_b", "bestuur", "beheerder")]
    out.append(("outsider", User.objects.get(pk=p.outsider.pk), land.zuid, land.noord))
    out.append(("anonymous", None, land.noord, land.zuid))
    return out


# --- what the other region holds, to see that nothing changed ----------------------------------------

def snapshot(side: Any, attacker: User | None = None) -> dict[str, Any]:
    region = side.region
    rows = {
        "region": Region.objects.filter(pk=region.pk),
        "municipalities": Municipality.objects.filter(region=region),
        "locations": Location.objects.filter(municipality__region=region),
        "rooms": Room.objects.filter(location__municipality__region=region),
        "contacts": ContactPerson.objects.filter(location__municipality__region=region),
        "requests": PlacementRequest.objects.filter(region=region),
        "members": HouseholdMember.objects.filter(request__region=region),
        "placements": Placement.objects.filter(request__region=region),
        "placements_at": Placement.objects.filter(location__municipality__region=region),
        "placement_rooms": PlacementRoom.objects.filter(room__location__municipality__region=region),
        "events": PlacementEvent.objects.filter(request__region=region),
        "supra": SupraRegionalRequest.objects.filter(region=region),
        "users": User.objects.filter(regions=region),
        "user_regions": User.regions.through.objects.filter(region=region),
        "user_municipalities": User.municipalities.through.objects.filter(municipality__region=region),
        "tokens": ApiToken.objects.filter(user__regions=region),
        # The attacker's own rights (mass assignment of is_superuser or role), and who is superuser.
        "privileges": User.objects.filter(Q(pk=getattr(attacker, "pk", None)) | Q(is_superuser=True)),
    }
    from axes.models import AccessAttempt

    from rcvs.outbox.models import OutboxMessage

    rows["attempts"] = AccessAttempt.objects.filter(username__in=User.objects.filter(regions=region)
                                                    .values("username"))
    rows["outbox"] = OutboxMessage.objects.filter(region=region)
    snap = {}
    for key, qs in rows.items():
        if key == "privileges":
            snap[key] = list(qs.order_by("pk").values_list("pk", "is_superuser", "is_staff", "is_active", "role",
                                                           "password"))
        else:
            snap[key] = [{k: v for k, v in row.items() if k != "last_used_at"}
                         for row in qs.order_by("pk").values()]
    return snap


# --- the URL walk ------------------------------------------------------------------------------------

def walk(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", params: tuple = ()
         ) -> list[tuple[str, str, tuple[str, ...], Any]]:
    """(full name, route text, parameter names, callback) for every named URL pattern."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        names = tuple(getattr(pattern, "converters", {}).keys()) or tuple(pattern.regex.groupindex)
        # Unnamed regex groups (simple-history's admin views): positional, named here by their place.
        unnamed = pattern.regex.groups - len(pattern.regex.groupindex)
        names += tuple(f"_{i}" for i in range(unnamed))
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            found += walk(entry, prefix + str(pattern), f"{namespace}{ns}:" if ns else namespace, params + names)
        elif isinstance(entry, URLPattern):
            found.append((f"{namespace}{entry.name}" if entry.name else "", prefix + str(pattern),
                          params + names, entry.callback))
    return found


def _object_for_admin(side: Any, model: Any) -> Any:
    label = model._meta.label_lower
    return {
        "locations.region": side.region, "locations.municipality": side.municipalities[0],
        "locations.location": side.locations[0], "locations.room": side.rooms[0],
        "locations.contactperson": side.contact, "placements.placementrequest": side.placed,
        "placements.householdmember": side.members[0], "placements.placement": side.placement,
        "placements.placementevent": side.event, "placements.supraregionalrequest": side.supra,
        "accounts.user": side.user, "accounts.apitoken": side.token, "axes.accessattempt": side.attempt,
        "outbox.outboxmessage": side.outbox,
    }.get(label)


def _model_admin_of(callback: Any) -> Any:
    """The ModelAdmin behind an admin view (wrapped by admin_view, or a bound method of it)."""
    seen = callback
    while seen is not None:
        if getattr(seen, "model_admin", None) is not None:
            return seen.model_admin
        owner = getattr(seen, "__self__", None)
        if owner is not None and hasattr(owner, "model") and hasattr(owner, "admin_site"):
            return owner
        seen = getattr(seen, "__wrapped__", None)
    return None


def candidates(name: str, params: tuple[str, ...], callback: Any, own: Any, other: Any) -> list[dict[str, Any]]:
    """Path parameters that name the other region's objects (mixed with our own where a path has two)."""
    if not params:
        return [{}]
    model_admin = _model_admin_of(callback)
    choices: dict[str, list[Any]] = {}
    for param in params:
        if param == "uuid":
            values = [other.locations[0].uuid, other.placed.uuid, other.waiting.uuid, other.placement.uuid,
                      other.supra.uuid]
        elif param == "room_id":
            values = [other.rooms[0].pk]
        elif param == "contact_id":
            values = [other.contact.pk]
        elif param == "public_id":
            values = [other.token.public_id]
        elif param == "pk":  # the registry API's regions, municipalities, rooms (integer ids collide)
            values = [{"api-region": other.region.pk, "api-municipality": other.municipalities[0].pk,
                       "api-room": other.rooms[0].pk}[name.rsplit("-", 1)[0]]]
        elif param in ("object_id", "id") and model_admin is not None:
            obj = _object_for_admin(other, model_admin.model)
            values = [obj.pk] if obj is not None else []
        elif param == "_0" and model_admin is not None:
            obj = _object_for_admin(other, model_admin.model)
            values = [obj.pk] if obj is not None else []
        elif param in ("history_id", "_1") and model_admin is not None:
            obj = _object_for_admin(other, model_admin.model)
            history = getattr(obj, "history", None) if obj is not None else None
            values = [history.latest().history_id] if history is not None and history.exists() else []
        elif param == "content_type_id":
            values = [ContentType.objects.get_for_model(Location).pk]
        elif param == "object_id":  # view on site
            values = [other.locations[0].pk]
        elif param == "format":
            values = ["json"]
        elif param == "app_label":
            values = ["locations", "placements", "accounts"]
        elif param in ("uidb64", "token"):
            values = ["x"]
        else:
            raise AssertionError(f"{name}: no out-of-region value for path parameter {param!r}; add one")
        choices[param] = values
    combos = [dict(zip(choices, combo, strict=True)) for combo in itertools.product(*choices.values())]
    if "uuid" in params and set(params) - NEUTRAL_PARAMS - {"uuid"}:  # our own location with the other region's room or contact
        combos += [{**combo, "uuid": own.locations[0].uuid} for combo in combos]
    return combos


# Path parameters that do not name a region's object: their pages are lists, checked for leaks only.
NEUTRAL_PARAMS = {"format", "app_label"}


def body_text(response: Any) -> str:
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    kind = response.get("Content-Type", "")
    header = response.get("Content-Disposition", "")
    if "spreadsheetml" in kind:
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
        return header + "\n" + "\n".join(cells)
    if "pdf" in kind:
        from pypdf import PdfReader

        return header + "\n" + "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return header + "\n" + content.decode("utf-8", "replace")


def leaks(text: str, other: Any, sent: str = "") -> list[str]:
    """Names of the other region in an answer; what the attacker sent and got echoed is not a leak."""
    return [s for s in other.secrets if s in text and s not in sent]


def payload(own: Any, other: Any) -> dict[str, Any]:
    """A body naming the other region's objects in every field an attacker would try."""
    return {
        "region": other.region.code, "region_id": other.region.pk, "municipality": other.municipalities[0].pk,
        "municipality_id": other.municipalities[0].pk, "preferred_municipality": other.municipalities[0].cbs_code,
        "location": str(other.locations[0].uuid), "location_id": other.locations[0].pk,
        "room": other.rooms[0].pk, "rooms": [other.rooms[0].pk], "request": str(other.placed.uuid),
        "placement": str(other.placement.uuid), "first": str(other.placement.uuid),
        "second": str(own.placement.uuid), "allocation": f"{other.rooms[0].pk}:1", "reason": "aanval",
        "regions": [other.region.pk], "municipalities": [other.municipalities[0].pk],
        "is_superuser": "on", "is_staff": "on", "role": Role.BEHEERDER, "user": other.user.pk,
        "users": [other.user.pk], "_selected_action": [other.locations[0].pk], "action": "delete_selected",
        "post": "yes", "index": "0",
    }


QUERY_FILTERS = ("region={region}&municipality={mun}&location={loc}&preferred_municipality={mun}"
                 "&region_id={region_id}&municipality_id={mun}&request={req}&gemeente={mun}&regio={region_code}"
                 "&locatie={loc}&formaat={fmt}&status=&open=1")


def _excluded(route: str) -> bool:
    plain = "/" + route.replace("^", "").replace("\\", "")
    return plain.startswith(EXCLUDED_PREFIXES) or plain.startswith(tuple(p.replace("/v1", "/v1/") for p in ()))


def _client(user: User | None, api: bool) -> Any:
    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


REFUSED = {401, 403, 404, 405}


def _refused(response: Any) -> bool:
    if response.status_code in REFUSED:
        return True
    if response.status_code == 302:
        return "/login/" in response["Location"] or "/2fa/" in response["Location"]
    return False


def test_the_walk_finds_the_whole_project():
    """The walk must see the pages, the admin, the API and the accounts pages (or it proves nothing)."""
    names = {name for name, *_ in walk()}
    for expected in ("locations:detail", "placements:request_detail", "placements:supra_detail",
                     "admin:locations_location_history", "admin:autocomplete", "api-location-detail",
                     "api-placement-request-reserve", "api-schema", "accounts:api_token_revoke", "login",
                     "set_language", "locations:export"):
        assert expected in names, expected


def test_attacker_walk_reaches_nothing_of_the_other_region(land):
    patterns = [p for p in walk() if p[0].split(":")[0] not in EXCLUDED_NAMESPACES]
    problems: list[str] = []
    requests_made = 0
    for persona, user, own, other in attackers(land):
        session_ending = []
        clients = {False: _client(user, False), True: _client(user, True)}
        for name, route, params, callback in patterns:
            if not name or _excluded(route):
                continue
            if name in SESSION_ENDING:
                session_ending.append((name, params, callback))
                continue
            # Each pattern in a savepoint that is rolled back: what an allowed POST does to our own
            # region (an admin action deleting one of our users) must not change the next walk.
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                before = snapshot(other, user)
                for kwargs in candidates(name, params, callback, own, other):
                    positional = [kwargs.pop(k) for k in sorted(kwargs) if k.startswith("_")]
                    path = reverse(name, args=positional) if positional else reverse(name, kwargs=kwargs)
                    if path.startswith(EXCLUDED_PREFIXES):
                        continue
                    api = path.startswith("/api/")
                    client = clients[api]
                    names_object = bool(set(params) - NEUTRAL_PARAMS)
                    query = QUERY_FILTERS.format(region=other.region.pk, mun=other.municipalities[0].pk,
                                                 loc=other.locations[0].uuid, region_id=other.region.pk,
                                                 req=other.placed.uuid, region_code=other.region.code,
                                                 fmt="json")
                    body = payload(own, other)
                    model_admin = _model_admin_of(callback)
                    target = _object_for_admin(other, model_admin.model) if model_admin is not None else None
                    if target is not None:  # admin actions on the other region's object of this admin
                        body["_selected_action"] = [target.pk]
                    calls = [("GET", lambda c=client, p=path: c.get(p)),
                             ("POST", lambda c=client, p=path, b=body: c.post(p, b))]
                    if not names_object:  # lists and searches, filtered by the other region's ids
                        calls.append(("GET?", lambda c=client, p=path, q=query: c.get(f"{p}?{q}")))
                    if not names_object and ("export" in name or "supra" in name):
                        for fmt in ("xlsx", "csv", "pdf", "txt", "json"):
                            calls.append((f"GET {fmt}", lambda c=client, p=path, f=fmt: c.get(p, {"formaat": f})))
                    if names_object and "supra_detail" in name:
                        for fmt in ("pdf", "txt", "json"):
                            calls.append((f"GET {fmt}", lambda c=client, p=path, f=fmt: c.get(p, {"formaat": f})))
                    if api:
                        calls += [
                            ("POST json", lambda c=client, p=path, b=body: c.post(p, json.dumps(b),
                                                                                content_type="application/json")),
                            ("PATCH", lambda c=client, p=path, b=body: c.patch(p, json.dumps(b),
                                                                             content_type="application/json")),
                            ("PUT", lambda c=client, p=path, b=body: c.put(p, json.dumps(b),
                                                                         content_type="application/json")),
                            ("DELETE", lambda c=client, p=path: c.delete(p)),
                        ]
                    for method, call in calls:
                        try:
                            response = call()
                        except Exception as exc:  # noqa: BLE001 - an exception is what we report
                            problems.append(f"{persona} {method} {path}: raised {exc!r}")
                            continue
                        requests_made += 1
                        where = f"{persona} {method} {path} -> {response.status_code}"
                        if response.status_code >= 500:
                            problems.append(f"{where}: server error")
                        if names_object and not _refused(response):
                            problems.append(f"{where}: not refused")
                        found = leaks(body_text(response), other, sent=f"{path}?{query} {body}")
                        if found:
                            problems.append(f"{where}: shows {found}")
                after = snapshot(other, user)
                if after != before:
                    changed = [key for key in before if before[key] != after[key]]
                    problems.append(f"{persona} via {name}: changed {changed} of region {other.tag}")
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
        if user is not None:  # still logged in after the walk, or the walk proved little
            for api, client in clients.items():
                assert client.get("/api/v1/regions/" if api else "/accounts/api-sleutels/").status_code == 200, persona
        for name, _params, _callback in session_ending:
            client = _client(user, False)
            for method in ("get", "post"):
                response = getattr(client, method)(reverse(name))
                if response.status_code >= 500 or leaks(body_text(response), other):
                    problems.append(f"{persona} {method} {name} -> {response.status_code}")
    assert requests_made > 1000
    assert not problems, "\n".join(problems[:80]) + f"\n({len(problems)} problems)"


# --- single holes found by the walk, each with its own test --------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("patch", "/api/v1/rooms/{room}.json"), ("delete", "/api/v1/rooms/{room}.json"),
    ("post", "/api/v1/rooms/{room}/block.json"), ("post", "/api/v1/locations.json"),
    ("patch", "/api/v1/locations/{location}.json"),
])
def test_a_format_suffix_on_a_registry_write_is_no_500(world, personas, method, path):
    """The registry router added `.json` twins of every route, but the viewsets' write methods take
    no `format` argument: a PATCH to /api/v1/rooms/1.json crashed with TypeError (500). The API has
    one format; the suffix routes are gone, so such a URL is a plain 404."""
    api = APIClient(raise_request_exception=False)
    api.force_login(personas.beheerder)
    url = path.format(room=world.rooms_a[0].pk, location=world.loc_a.uuid)
    response = getattr(api, method)(url, {"beds": 2}, format="json")
    assert response.status_code == 404, (url, response.status_code)


def test_the_token_endpoint_throttle_cannot_be_dodged_with_x_forwarded_for(db, settings):
    """DRF's throttle names a client by the X-Forwarded-For header as sent when NUM_PROXIES is unset:
    an attacker who sent a new made-up address with each guess was never throttled. The throttle
    takes the client's address the way django-axes does (AXES_CLIENT_IP_HEADERS, REMOTE_ADDR by
    default), so a forged header changes nothing. Different usernames, so that the lockout of one
    username + address (axes) does not answer first."""
    from django.core.cache import cache

    cache.clear()
    api = APIClient()
    answers = [api.post("/api/v1/auth/token/", {"username": f"gok{i}", "password": "fout", "name": "x"},
                        format="json", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code for i in range(12)]
    assert answers[:10] == [400] * 10
    assert answers[10:] == [429, 429]


# --- redirects, CSRF, session fixation, headers ----------------------------------------------------------

EVIL = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example", "\\\\evil.example"]


def _lands_offsite(location: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(location.replace("\\", "/"))
    return bool(parts.netloc) or location.startswith(("//", "/\\", "\\")) or parts.scheme not in ("", "http", "https")


@pytest.mark.parametrize("target", EVIL)
def test_no_open_redirect_after_login_language_or_second_factor(world, personas, target):
    from django.core.cache import cache

    cache.clear()
    client = Client()
    response = client.post(f"/accounts/login/?next={target}", {"username": "belteam",
                                                              "password": "demo-wachtwoord-123", "next": target})
    assert response.status_code == 302 and not _lands_offsite(response["Location"]), response["Location"]
    response = client.post("/i18n/setlang/", {"language": "en", "next": target}, HTTP_REFERER=target)
    assert not _lands_offsite(response.get("Location", "")), response.get("Location")
    response = client.get(f"/accounts/2fa/controleren/?next={target}")
    assert not _lands_offsite(response.get("Location", "")), response.get("Location")


def test_state_changing_posts_need_the_csrf_token(land):
    """The test client skips CSRF unless asked: here it is enforced, as a browser would meet it."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(land.personas.coordinator)
    placement = land.noord.placement
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(land.personas.coordinator)
    before = snapshot(land.noord)
    for path, data in [
        (f"/plaatsingen/plaatsing/{placement.uuid}/vrijgeven/", {"reason": "csrf"}),
        (f"/plaatsingen/verzoek/{land.noord.waiting.uuid}/annuleren/", {"reason": "csrf"}),
        (f"/locaties/{land.world.loc_a.uuid}/kamers/{land.world.rooms_a[1].pk}/blokkeren/", {"reason": "x"}),
        ("/accounts/api-sleutels/", {"name": "csrf"}),
        ("/accounts/wachtwoord/", {"old_password": "demo-wachtwoord-123", "new_password1": "Nieuw-geheim-8812",
                                   "new_password2": "Nieuw-geheim-8812"}),
    ]:
        assert client.post(path, data).status_code == 403, path
    for path in (f"/api/v1/placements/{placement.uuid}/release/", f"/api/v1/rooms/{land.world.rooms_a[1].pk}/block/"):
        assert api.post(path, {"reason": "csrf"}, format="json").status_code == 403, path
    assert snapshot(land.noord) == before
    assert not ApiToken.objects.filter(name="csrf").exists()


def test_login_gives_a_new_session_key(world, personas):
    client = Client()
    client.get("/accounts/login/")
    client.session.save()
    fixed = client.session.session_key
    client.cookies["sessionid"] = fixed
    response = client.post("/accounts/login/", {"username": "belteam", "password": "demo-wachtwoord-123"})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != fixed


@pytest.mark.parametrize("path", ["/bestaat-niet/", "/api/v1/bestaat-niet/", "/locaties/00000000-0000-0000-0000-000000000000/",
                                  "/admin/locations/location/999999/change/", "/accounts/login/"])
def test_security_headers_on_error_pages_too(world, personas, path):
    client = Client()
    client.force_login(personas.beheerder)
    response = client.get(path)
    assert response.status_code in (200, 302, 404)
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"] or response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


# --- mass assignment and the admin's autocomplete ---------------------------------------------------------

def test_api_bodies_cannot_move_anything_into_the_other_region_or_raise_rights(land):
    w, p = land.world, land.personas
    api = APIClient()
    api.force_login(p.beheerder)
    before_zuid, before_noord = snapshot(land.zuid, p.beheerder), snapshot(land.noord, p.beheerder)
    answers = [
        api.patch(f"/api/v1/locations/{w.loc_a.uuid}/", {"municipality": w.mun_c.pk}, format="json"),
        api.put(f"/api/v1/locations/{w.loc_a.uuid}/", {"municipality": w.mun_c.pk, "code": "AAD-001",
                                                         "name": "Het Anker"}, format="json"),
        api.post("/api/v1/locations/", {"municipality": w.mun_c.pk, "code": "NEW-1", "name": "Nieuw",
                                        "street": "Straat 1", "postcode": "9401 AB", "place": "X"}, format="json"),
        api.patch(f"/api/v1/rooms/{w.rooms_a[0].pk}/", {"location": str(w.loc_c.uuid)}, format="json"),
        api.post("/api/v1/rooms/", {"location": str(w.loc_c.uuid), "number": "Z9", "beds": 2}, format="json"),
        api.post("/api/v1/placement-requests/", {
            "region": "zuid", "urgency": "normal", "expected_arrival": "2030-01-01T14:00:00Z",
            "members": [{"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "sex": "f",
                         "relation": "main"}]}, format="json"),
        api.post("/api/v1/placement-requests/", {
            "preferred_municipality": "GM9003", "preference_reason": "family", "urgency": "normal",
            "expected_arrival": "2030-01-01T14:00:00Z",
            "members": [{"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "sex": "f",
                         "relation": "main"}]}, format="json"),
        api.post(f"/api/v1/placement-requests/{land.noord.waiting.uuid}/reserve/",
                 {"allocation": [[w.rooms_c[0].pk, 1]]}, format="json"),
        api.post(f"/api/v1/placements/{land.noord.placement.uuid}/transfer/",
                 {"allocation": [[w.rooms_c[0].pk, 1]], "reason": "x"}, format="json"),
        api.post("/api/v1/placements/swap/", {"first": str(land.noord.placement.uuid),
                                               "second": str(land.zuid.placement.uuid), "reason": "x"},
                 format="json"),
        api.post("/api/v1/supra-regional-requests/", {"region": "zuid", "household_size": 1,
                                                      "earliest_date": "2030-01-01", "contact_name": "x",
                                                      "contact_phone": "0592 123 456"}, format="json"),
    ]
    assert [a.status_code for a in answers[7:9]] == [409, 409]  # the services' region check
    for response in answers:
        assert 400 <= response.status_code < 500, (response.request["PATH_INFO"], response.status_code,
                                                    response.content[:300])
        assert not leaks(body_text(response), land.zuid, sent="GM9003 zuid")
    assert snapshot(land.zuid, p.beheerder) == before_zuid
    assert Location.objects.get(pk=w.loc_a.pk).municipality_id == w.mun_a.pk
    assert Room.objects.get(pk=w.rooms_a[0].pk).location_id == w.loc_a.pk
    for user in (p.beheerder, p.belteam):
        fresh = User.objects.get(pk=user.pk)
        assert not fresh.is_superuser and fresh.role == user.role
    del before_noord


def test_page_forms_cannot_move_a_location_or_a_user_into_the_other_region(land):
    w, p = land.world, land.personas
    client = Client()
    client.force_login(User.objects.get(pk=p.beheerder.pk))
    before = snapshot(land.zuid, p.beheerder)
    client.post(f"/locaties/{w.loc_a.uuid}/bewerken/", {"municipality": w.mun_c.pk, "code": "AAD-001",
                                                       "name": "Het Anker", "street": "Stationsstraat 1",
                                                       "postcode": "9401 AB", "place": "Teststad", "status": "open"})
    client.post(f"/admin/accounts/user/{p.belteam.pk}/change/", {
        "username": "belteam", "role": Role.BEHEERDER, "regions": [w.noord.pk, w.zuid.pk], "is_superuser": "on",
        "is_staff": "on", "is_active": "on", "email": "b@example.org"})
    client.post(f"/admin/locations/municipality/{w.mun_a.pk}/change/", {
        "region": w.zuid.pk, "name": "Aadorp", "cbs_code": "GM9001", "population": 1, "population_year": 2026,
        "land_area_km2": 1})
    assert Location.objects.get(pk=w.loc_a.pk).municipality_id == w.mun_a.pk
    assert Municipality.objects.get(pk=w.mun_a.pk).region_id == w.noord.pk
    belteam = User.objects.get(pk=p.belteam.pk)
    assert not belteam.is_superuser and list(belteam.regions.values_list("pk", flat=True)) == [w.noord.pk]
    assert snapshot(land.zuid, p.beheerder) == before


def test_admin_autocomplete_offers_nothing_of_the_other_region(land):
    """Every relation field of every registered admin, asked for the choices with an empty term."""
    from django.contrib import admin

    client = Client()
    client.force_login(User.objects.get(pk=land.personas.beheerder.pk))
    asked = 0
    for model in admin.site._registry:
        if model._meta.app_label == "casework":  # issue 7, tested on its own
            continue
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.related_model is None:
                continue
            asked += 1
            response = client.get("/admin/autocomplete/", {"app_label": model._meta.app_label,
                                                           "model_name": model._meta.model_name,
                                                           "field_name": field.name, "term": ""})
            assert response.status_code in (200, 403, 404), (model, field.name, response.status_code)
            assert not leaks(body_text(response), land.zuid), (model, field.name)
            for term in ("Cir", "CRA", "Cranen", "Zuid"):
                response = client.get("/admin/autocomplete/", {"app_label": model._meta.app_label,
                                                               "model_name": model._meta.model_name,
                                                               "field_name": field.name, "term": term})
                assert not leaks(body_text(response), land.zuid, sent=term), (model, field.name, term)
    assert asked > 10


def test_our_own_objects_with_the_other_regions_in_the_body(land):
    """Our own request, placement and location in the path, the other region's rooms, placements and
    persons in the body: refused, nothing of the other region named or changed."""
    w, p, noord, zuid = land.world, land.personas, land.noord, land.zuid
    client = Client()
    client.force_login(User.objects.get(pk=p.coordinator.pk))
    api = APIClient()
    api.force_login(User.objects.get(pk=p.coordinator.pk))
    before = snapshot(zuid, p.coordinator)
    zuid_room = w.rooms_c[0].pk
    answers = []
    for action in ("", "reserve", "confirm"):
        answers.append(client.post(f"/plaatsingen/verzoek/{noord.waiting.uuid}/plaatsen/",
                                   {"action": action, "allocation": f"{zuid_room}:1"}))
        answers.append(client.post(f"/plaatsingen/verzoek/{noord.waiting.uuid}/plaatsen/",
                                   {"action": action, "allocation": f"{w.rooms_a[3].pk}:1,{zuid_room}:1"}))
    answers.append(client.post(f"/plaatsingen/plaatsing/{noord.placement.uuid}/overplaatsen/",
                               {"allocation": f"{zuid_room}:1", "reason": "aanval"}))
    answers.append(client.post(f"/plaatsingen/plaatsing/{noord.placement.uuid}/ruilen/",
                               {"other": str(zuid.placement.uuid), "reason": "aanval"}))
    answers.append(client.post(f"/plaatsingen/plaatsing/{noord.placement.uuid}/ruilen/",
                               {"other": zuid.placement.pk, "reason": "aanval"}))
    answers.append(client.post("/plaatsingen/nieuw/kandidaten/", {"allocation": f"{zuid_room}:1"}))
    # The other region's resident, looked up by V-number and by surname + date of birth.
    member = zuid.members[0]
    for body in ({"v_number": member.v_number}, {"last_name": member.last_name, "date_of_birth": "1990-04-01"}):
        response = api.post("/api/v1/placement-requests/duplicates/", body, format="json")
        assert response.status_code == 200 and response.json() == [], response.content
    answers.append(client.post("/plaatsingen/nieuw/", {
        "members-TOTAL_FORMS": 1, "members-INITIAL_FORMS": 0, "members-0-first_name": member.first_name,
        "members-0-last_name": member.last_name, "members-0-date_of_birth": "1990-04-01",
        "members-0-v_number": member.v_number, "members-0-sex": "f", "members-0-relation": "main",
        "action": "check"}))
    for response in answers:
        assert response.status_code < 500
        assert not leaks(body_text(response), zuid, sent=f"{member.first_name} {member.last_name} "
                                                         f"{member.v_number}"), response.request["PATH_INFO"]
    assert snapshot(zuid, p.coordinator) == before
    assert not Placement.objects.filter(request=noord.waiting).exists()


@pytest.mark.parametrize("how", ["reserve", "transfer"])
def test_another_regions_room_answers_like_a_room_that_does_not_exist(land, how):
    """Naming a room of another region next to one of our own got the other room checked like ours:
    the answer told its number, whether it was blocked or full and who sleeps in it ("kamer C1 is
    niet meer beschikbaar"), and answered differently from an id that exists nowhere, so the
    rooms of every region could be enumerated. Now such a room is simply not there."""
    w, noord = land.world, land.noord
    Room.objects.filter(pk=w.rooms_c[0].pk).update(occupants=5)  # full, so its state shows in a reason
    api = APIClient()
    api.force_login(User.objects.get(pk=land.personas.coordinator.pk))
    own_room = w.rooms_a[3].pk

    def attempt(room_id: int) -> Any:
        if how == "reserve":
            return api.post(f"/api/v1/placement-requests/{noord.waiting.uuid}/reserve/",
                            {"allocation": [[own_room, 1], [room_id, 1]]}, format="json")
        return api.post(f"/api/v1/placements/{noord.placement.uuid}/transfer/",
                        {"allocation": [[own_room, 1], [room_id, 1]], "reason": "aanval"}, format="json")

    foreign, missing = attempt(w.rooms_c[0].pk), attempt(999_999)
    assert foreign.status_code == missing.status_code == 409
    assert foreign.json() == missing.json()
    assert "C1" not in foreign.content.decode()


def test_login_form_needs_csrf_and_five_wrong_passwords_lock_the_right_one_out(world, personas):
    from django.core.cache import cache

    cache.clear()
    assert Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "belteam", "password": "demo-wachtwoord-123"}).status_code == 403
    client = Client()
    for _ in range(5):
        assert client.post("/accounts/login/", {"username": "belteam", "password": "fout"}).status_code in (200, 429)
    response = client.post("/accounts/login/", {"username": "belteam", "password": "demo-wachtwoord-123"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    token = APIClient().post("/api/v1/auth/token/", {"username": "belteam", "password": "demo-wachtwoord-123",
                                                     "name": "x"}, format="json")
    assert token.status_code == 429 and "token" not in token.json()


def test_a_municipality_reaches_nothing_of_the_other_municipality_of_its_region(land):
    """Inside one region too: gemeente A sees neither the residents nor the placements at B's location."""
    from placements.services import placement_confirm, placement_reserve

    w = land.world
    request = make_request(region=w.noord, user=land.superuser, members=[
        {"first_name": "Beekje", "last_name": "Verborgen", "date_of_birth": dt.date(1992, 5, 5), "sex": "f",
         "relation": "main"}])
    at_b = placement_confirm(user=land.superuser, placement=placement_reserve(
        user=land.superuser, request=request, allocation=[(w.rooms_b[0].pk, 1)]))
    client = Client()
    client.force_login(User.objects.get(pk=land.personas.gemeente_a.pk))
    api = APIClient()
    api.force_login(User.objects.get(pk=land.personas.gemeente_a.pk))
    for path in (f"/plaatsingen/plaatsing/{at_b.uuid}/", f"/plaatsingen/locatie/{w.loc_b.uuid}/bewoners/",
                 f"/locaties/{w.loc_b.uuid}/bewerken/", f"/plaatsingen/plaatsing/{at_b.uuid}/aangekomen/"):
        assert client.get(path).status_code in (403, 404, 405), path
        assert client.post(path, {"at": "2030-01-01T10:00"}).status_code in (403, 404), path
    assert api.get(f"/api/v1/placements/{at_b.uuid}/").status_code == 404
    assert api.post(f"/api/v1/placements/{at_b.uuid}/arrive/", {}, format="json").status_code == 404
    for path in ("/plaatsingen/", "/api/v1/placements/", f"/api/v1/placements/?location={w.loc_b.uuid}",
                 "/locaties/export/?formaat=xlsx"):
        assert "Verborgen" not in body_text(client.get(path) if not path.startswith("/api/") else api.get(path))
    assert Placement.objects.get(pk=at_b.pk).status == at_b.status
