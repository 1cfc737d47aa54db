"""Every registered ModelAdmin keeps to the user's scope (issue 6, point 1).

The walk below goes over django.contrib.admin.site._registry as it is at run time, so an admin that
is added later is covered without anyone remembering this file: it fails until OUT_OF_SCOPE has a
way to build an object of the other region for the new model. For each admin the beheerder of
region Noord — staff with EVERY permission of the installation, so that only the scoping stands
between them and the data — requests every URL that names an object of region Zuid and must get
404 (403 for admins of installation-wide data that only a superuser may open), with the database
unchanged afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import F, ForeignKey, ManyToManyField, Model
from django.db.models.signals import pre_save
from django.forms import MultiWidget
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from locations.models import Location, Municipality, Region, Room
from rcvs.accounts.models import Role, User
from rcvs.admin_scoping import ScopedAdminMixin, SuperuserOnlyAdminMixin
from tests.factories import LocationFactory, UserFactory, make_request, room_set_occupants

pytestmark = pytest.mark.django_db


# --- objects of region Zuid, one per registered model ---------------------------------------------

def _zuid_user(ctx: Any) -> User:
    if not hasattr(ctx, "zuid_user"):
        ctx.zuid_user = UserFactory(username="belteam_zuid", role=Role.BELTEAM, regions=[ctx.world.zuid])
    return ctx.zuid_user


def _zuid_request(ctx: Any) -> Any:
    return make_request(region=ctx.world.zuid, user=_superuser(ctx))


def _zuid_placement(ctx: Any) -> Any:
    from placements.services import placement_reserve

    return placement_reserve(user=_superuser(ctx), request=_zuid_request(ctx),
                             allocation=[(ctx.world.rooms_c[0].pk, 1)])


def _zuid_event(ctx: Any) -> Any:
    from placements.models import PlacementEvent

    return PlacementEvent.objects.filter(request=_zuid_request(ctx)).latest("pk")


def _zuid_supra(ctx: Any) -> Any:
    from placements.models import SupraRegionalRequest

    return SupraRegionalRequest.objects.create(
        region=ctx.world.zuid, household_size=2, earliest_date=timezone.localdate() + dt.timedelta(days=3),
        contact_name="Zuid-contact", contact_phone="0592 123 456", note="alleen voor Zuid")


def _zuid_tokenproxy(ctx: Any) -> Any:
    from rest_framework.authtoken.models import Token, TokenProxy

    token = Token.objects.create(user=_zuid_user(ctx))
    return TokenProxy.objects.get(pk=token.pk)


def _zuid_api_token(ctx: Any) -> Model:
    """For the token admins of django-rest-knox (its own model or ours): a key of a user of Zuid."""
    model = apps.get_model("accounts", "ApiToken")
    instance, _key = model.objects.create(user=_zuid_user(ctx), expiry=dt.timedelta(days=1), name="Zuid-koppeling")
    return instance


def _zuid_knox_token(ctx: Any) -> Model:
    instance, _key = apps.get_model("knox", "AuthToken").objects.create(user=_zuid_user(ctx),
                                                                        expiry=dt.timedelta(days=1))
    return instance


def _zuid_access_attempt(ctx: Any) -> Model:
    """A lockout of a user of Zuid (django-axes)."""
    return apps.get_model("axes", "AccessAttempt").objects.create(
        username=_zuid_user(ctx).username, ip_address="192.0.2.7", user_agent="test", http_accept="*/*",
        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=5)


def _zuid_access_log(ctx: Any) -> Model:
    return apps.get_model("axes", "AccessLog").objects.create(
        username=_zuid_user(ctx).username, ip_address="192.0.2.7", user_agent="test", http_accept="*/*",
        path_info="/accounts/login/")


def _zuid_access_failure_log(ctx: Any) -> Model:
    return apps.get_model("axes", "AccessFailureLog").objects.create(
        username=_zuid_user(ctx).username, ip_address="192.0.2.7", user_agent="test", http_accept="*/*",
        path_info="/accounts/login/", locked_out=True)


def _zuid_outbox_message(ctx: Any) -> Model:
    """A failed mail of region Zuid (the transactional outbox)."""
    model = apps.get_model("outbox", "OutboxMessage")
    return model.objects.create(kind="placement.confirmed", channel=model._meta.get_field("channel").choices[0][0],
                                payload={"placement": 1}, idempotency_key="zuid-test-1", region=ctx.world.zuid,
                                status="failed", attempts=5, next_attempt_at=timezone.now(),
                                last_error="SMTP geweigerd")


def _zuid_group(ctx: Any) -> Group:
    return Group.objects.create(name="Zuid-planners")


def _zuid_case_category(ctx: Any) -> Model:
    """Installation-wide (only a superuser changes categories): any category."""
    return apps.get_model("casework", "CaseCategory").objects.get(code="overig")


def _zuid_legal_basis(ctx: Any) -> Model:
    return apps.get_model("casework", "LegalBasis").objects.create(
        region=ctx.world.zuid, reference="Zuid-besluit 2026/1", valid_from=dt.date(2026, 1, 1))


def _retention_run(ctx: Any) -> Model:
    """Installation-wide counts of the nightly retention job (only a superuser reads them)."""
    return apps.get_model("casework", "RetentionRun").objects.create(cases_deleted=2, read_log_rows_deleted=7)


def _superuser(ctx: Any) -> User:
    return ctx.superuser


# model label -> how to build an object that lies in region Zuid (or, for installation-wide data,
# any object: only a superuser may see those).
OUT_OF_SCOPE: dict[str, Callable[[Any], Model]] = {
    "locations.region": lambda ctx: ctx.world.zuid,
    "locations.municipality": lambda ctx: ctx.world.mun_c,
    "locations.location": lambda ctx: ctx.world.loc_c,
    "locations.room": lambda ctx: ctx.world.rooms_c[0],
    "placements.placementrequest": _zuid_request,
    "placements.placement": _zuid_placement,
    "placements.placementevent": _zuid_event,
    "placements.supraregionalrequest": _zuid_supra,
    "accounts.user": _zuid_user,
    "auth.group": _zuid_group,
    "authtoken.tokenproxy": _zuid_tokenproxy,
    # Admins other apps bring (registered or not, depending on the settings of the moment):
    "accounts.apitoken": _zuid_api_token,
    "knox.authtoken": _zuid_knox_token,
    "axes.accessattempt": _zuid_access_attempt,
    "axes.accesslog": _zuid_access_log,
    "axes.accessfailurelog": _zuid_access_failure_log,
    "outbox.outboxmessage": _zuid_outbox_message,
    "casework.casecategory": _zuid_case_category,
    "casework.legalbasis": _zuid_legal_basis,
    "casework.retentionrun": _retention_run,
    "reporting.targetinputs": lambda ctx: apps.get_model("reporting", "TargetInputs").objects.create(
        year=2026, national_places_asked=90_000, national_population=17_942_942, national_land_area_km2=33_670),
}

# Registered models that have no region and are not checked here, with the reason. Keep it empty
# unless there is truly nothing of a region to protect.
NOT_REGIONAL: dict[str, str] = {
    # The normbedrag is one published national table: every staff user reads it, only a superuser
    # writes it (tests/reporting/test_money.py checks both).
    "reporting.normrate": "national published rate table, the same for every region",
}


def _extra() -> None:
    """Merge the factories of tests/admin_scope_extra/*.py (one module per capability)."""
    import importlib
    import pkgutil

    import tests.admin_scope_extra as extra

    for info in pkgutil.iter_modules(extra.__path__):
        module = importlib.import_module(f"{extra.__name__}.{info.name}")
        OUT_OF_SCOPE.update(getattr(module, "OUT_OF_SCOPE", {}))
        NOT_REGIONAL.update(getattr(module, "NOT_REGIONAL", {}))


_extra()


@pytest.fixture
def ctx(world, personas, django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123")
    beheerder = personas.beheerder
    beheerder.is_staff = True
    beheerder.save()
    beheerder.user_permissions.set(Permission.objects.all())
    from types import SimpleNamespace

    return SimpleNamespace(world=world, personas=personas, superuser=superuser,
                           beheerder=User.objects.get(pk=beheerder.pk))


def registered() -> list[tuple[str, type[Model], admin.ModelAdmin]]:
    return sorted(((m._meta.label_lower, m, ma) for m, ma in admin.site._registry.items()), key=lambda t: t[0])


def test_every_registered_admin_has_an_out_of_scope_object():
    missing = [label for label, _, _ in registered() if label not in OUT_OF_SCOPE and label not in NOT_REGIONAL]
    assert not missing, f"add these admins to OUT_OF_SCOPE in {__name__}: {missing}"


def _url(model: type[Model], view: str, *args: Any) -> str | None:
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


def _as(user: User) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _form_data(model_admin: admin.ModelAdmin, obj: Model, ctx: Any, editor: User | None = None) -> dict[str, Any]:
    """What the change (or history) form would post for `obj`, with every region, municipality and
    location of Zuid swapped for one of Noord: the request that moved B's data into A."""
    swap = {Region: (ctx.world.zuid.pk, ctx.world.noord.pk), Municipality: (ctx.world.mun_c.pk, ctx.world.mun_a.pk),
            Location: (ctx.world.loc_c.pk, ctx.world.loc_a.pk)}
    form = model_admin.get_form(_as(editor or ctx.superuser), obj)(instance=obj)
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        model = getattr(getattr(bound.field, "queryset", None), "model", None)
        if isinstance(value, bool):
            if value:
                data[bound.name] = "on"
            continue
        if value is None:
            data[bound.name] = ""
        elif isinstance(bound.field.widget, MultiWidget):  # e.g. date and time of date_joined
            for i, part in enumerate(bound.field.widget.decompress(value)):
                data[f"{bound.name}_{i}"] = "" if part is None else str(part)
        elif isinstance(value, (list, tuple)):
            data[bound.name] = [str(v) for v in value]
        else:
            if model in swap and value == swap[model][0]:
                value = swap[model][1]
            data[bound.name] = str(value)
    return data


def _snapshot(obj: Model) -> dict[str, Any]:
    row = type(obj)._default_manager.filter(pk=obj.pk).values().first()
    m2m = {f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
           for f in obj._meta.many_to_many} if row else {}
    return {"row": row, "m2m": m2m}


def _world_snapshot() -> dict[str, Any]:
    return {"locations": dict(Location.objects.values_list("pk", "municipality_id")),
            "municipalities": dict(Municipality.objects.values_list("pk", "region_id")),
            "rooms": dict(Room.objects.values_list("pk", "location_id")),
            "regions": sorted(Region.objects.values_list("pk", flat=True)),
            "users": {u.pk: sorted(u.regions.values_list("pk", flat=True)) for u in User.objects.all()}}


def _autocomplete_sources(target: type[Model]) -> list[tuple[type[Model], str]]:
    return [(model, field.name) for model in apps.get_models() for field in model._meta.get_fields()
            if isinstance(field, (ForeignKey, ManyToManyField)) and field.remote_field.model is target
            and not model._meta.label_lower.startswith("locations.historical")]


def test_beheerder_of_noord_reaches_nothing_of_zuid_through_any_admin(ctx, client):
    unknown = [label for label, _, _ in registered() if label not in OUT_OF_SCOPE and label not in NOT_REGIONAL]
    assert not unknown, f"add these admins to OUT_OF_SCOPE: {unknown}"
    objects = {label: OUT_OF_SCOPE[label](ctx) for label, _, _ in registered() if label in OUT_OF_SCOPE}
    # A location and municipality of Zuid with more than one history record each.
    ctx.world.loc_c.notes = "Notitie van Zuid"
    ctx.world.loc_c.save()
    ctx.world.mun_c.population = 61_000
    ctx.world.mun_c.save()
    before_world = _world_snapshot()
    before = {label: _snapshot(obj) for label, obj in objects.items()}
    client.force_login(ctx.beheerder)
    checked: list[str] = []
    autocompletes = 0

    for label, model, model_admin in registered():
        if label in NOT_REGIONAL:
            continue
        obj = objects[label]
        superuser_only = isinstance(model_admin, SuperuserOnlyAdminMixin)
        expected = {404} if isinstance(model_admin, ScopedAdminMixin) else {403, 404}
        pk = obj.user_id if label == "authtoken.tokenproxy" else obj.pk  # DRF's token admin maps user ids
        where = f"{label} #{pk}"

        changelist = _url(model, "changelist")
        for query in ("", "?_popup=1&_to_field=id", f"?q={getattr(obj, 'name', '') or ''}"):
            response = client.get(changelist + query)
            if superuser_only:
                assert response.status_code == 403, where
                continue
            assert response.status_code == 200, where
            page = response.text
            assert _url(model, "change", pk) not in page, f"{where} listed in changelist{query}"
            if "q=" in query:
                continue  # the page repeats the search term
            for name in (ctx.world.zuid.name, ctx.world.mun_c.name, ctx.world.loc_c.name):
                assert name not in page, f"{name!r} shown on the changelist of {label}{query}"

        form_data = _form_data(model_admin, obj, ctx) if not superuser_only else {"name": "x"}
        for view in ("change", "delete", "history", "password"):
            url = (reverse("admin:auth_user_password_change", args=[pk]) if view == "password"
                   else _url(model, view, pk))
            if view == "password" and label != "accounts.user":
                continue
            assert client.get(url).status_code in expected, f"GET {view} of {where}"
            post = {"post": "yes"} if view == "delete" else (
                {"password1": "Overname-123-xyz", "password2": "Overname-123-xyz", "usable_password": "true"}
                if view == "password" else form_data)
            assert client.post(url, post).status_code in expected, f"POST {view} of {where}"

        if isinstance(model_admin, SimpleHistoryAdmin) and hasattr(model, "history"):
            history_ids = list(model.history.filter(**{model._meta.pk.attname: pk}).values_list("history_id", flat=True))
            assert history_ids, where
            for history_id in history_ids:
                url = _url(model, "simple_history", pk, history_id)
                assert client.get(url).status_code in expected, f"GET history form {history_id} of {where}"
                assert client.post(url, form_data).status_code in expected, f"revert {history_id} of {where}"

        # The admin's "view on site" shortcut does not ask the ModelAdmin: it must not lead to the
        # page of an object outside the scope (404 today, as no model has get_absolute_url).
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        assert client.get(reverse("admin:view_on_site", args=[content_type.pk, obj.pk])).status_code == 404, where

        if model_admin.get_actions(_as(ctx.beheerder)):
            for action in model_admin.get_actions(_as(ctx.beheerder)):
                client.post(changelist, {"action": action, "_selected_action": [str(pk)], "post": "yes"})

        for source, field in _autocomplete_sources(model):
            response = client.get("/admin/autocomplete/", {"app_label": source._meta.app_label,
                                                           "model_name": source._meta.model_name,
                                                           "field_name": field, "term": ""})
            if response.status_code == 200:
                autocompletes += 1
                ids = [r["id"] for r in response.json()["results"]]
                assert str(pk) not in ids, f"{where} offered by autocomplete {source._meta.label}.{field}"
            else:
                assert response.status_code in {403, 404}, f"autocomplete {source._meta.label}.{field}"
        checked.append(label)

    assert _world_snapshot() == before_world
    for label, obj in objects.items():
        assert _snapshot(obj) == before[label], f"{label} changed"
    assert {"locations.location", "locations.municipality", "accounts.user"} <= set(checked)
    assert autocompletes >= 3  # the walk really asked the autocomplete for scoped admins


def test_beheerder_can_use_the_admin_on_their_own_objects(ctx, client):
    world = ctx.world
    world.loc_a.notes = "Eerste notitie"
    world.loc_a.save()
    client.force_login(ctx.beheerder)
    assert world.loc_a.name in client.get(_url(Location, "changelist")).text
    assert client.get(_url(Location, "change", world.loc_a.pk)).status_code == 200
    assert client.get(_url(Location, "history", world.loc_a.pk)).status_code == 200
    assert client.get(_url(Location, "delete", world.loc_a.pk)).status_code == 200
    first = world.loc_a.history.earliest("history_date")
    response = client.get(_url(Location, "simple_history", world.loc_a.pk, first.history_id))
    assert response.status_code == 200 and response.context["revert_disabled"] is True
    results = client.get("/admin/autocomplete/", {"app_label": "locations", "model_name": "room",
                                                  "field_name": "location", "term": "Anker"}).json()["results"]
    assert [r["id"] for r in results] == [str(world.loc_a.pk)]

    # Revert is not offered to a beheerder (see rcvs/admin_scoping.py): refused, nothing written.
    assert client.post(_url(Location, "simple_history", world.loc_a.pk, first.history_id),
                       _form_data(LocationAdmin(), world.loc_a, ctx)).status_code == 403
    world.loc_a.refresh_from_db()
    assert world.loc_a.notes == "Eerste notitie"

    spare = LocationFactory(municipality=world.mun_b, name="Te verwijderen")
    assert client.post(_url(Location, "delete", spare.pk), {"post": "yes"}).status_code == 302
    assert not Location.objects.filter(pk=spare.pk).exists()


def test_inline_room_edit_does_not_undo_a_placement_made_meanwhile(ctx, client):
    """The location form holds each room as read when the POST came in; a placement that commits
    between that read and the write (simulated by a pre_save hook) must keep its occupant."""
    location = ctx.world.loc_a
    room = room_set_occupants(room=ctx.world.rooms_a[2], occupants=3)
    client.force_login(ctx.beheerder)
    url = _url(Location, "change", location.pk)
    data = _form_data(LocationAdmin(), location, ctx, editor=ctx.beheerder)
    rooms = list(location.rooms.order_by("floor", "number"))
    data.update({"contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
                 "rooms-TOTAL_FORMS": str(len(rooms)), "rooms-INITIAL_FORMS": str(len(rooms))})
    for i, r in enumerate(rooms):
        data.update({f"rooms-{i}-id": str(r.pk), f"rooms-{i}-location": str(location.pk),
                     f"rooms-{i}-number": r.number, f"rooms-{i}-floor": str(r.floor), f"rooms-{i}-beds": str(r.beds),
                     f"rooms-{i}-bunk_beds": "0", f"rooms-{i}-occupancy": r.occupancy, f"rooms-{i}-state": r.state,
                     f"rooms-{i}-blocked_reason": "", f"rooms-{i}-blocked_until": ""})
    data[f"rooms-{rooms.index(room)}-number"] = "A3-nieuw"

    def placement_meanwhile(sender: Any, instance: Room, **kwargs: Any) -> None:
        if instance.pk == room.pk:
            Room.objects.filter(pk=room.pk).update(occupants=F("occupants") + 1)

    pre_save.connect(placement_meanwhile, sender=Room)
    try:
        response = client.post(url, data)
    finally:
        pre_save.disconnect(placement_meanwhile, sender=Room)
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.number, room.occupants) == ("A3-nieuw", 4)
    assert room.history.latest("history_date").history_user == User.objects.get(pk=ctx.beheerder.pk)


def LocationAdmin() -> admin.ModelAdmin:  # noqa: N802 - reads like the class it returns
    return admin.site._registry[Location]


def test_superuser_can_revert(ctx, client):
    world = ctx.world
    world.loc_c.notes = "Later"
    world.loc_c.save()
    first = world.loc_c.history.earliest("history_date")
    client.force_login(ctx.superuser)
    data = _form_data(LocationAdmin(), first.instance, ctx)
    data["municipality"] = str(world.mun_c.pk)
    response = client.post(_url(Location, "simple_history", world.loc_c.pk, first.history_id), data)
    assert response.status_code == 302
    world.loc_c.refresh_from_db()
    assert world.loc_c.notes == first.notes


def test_revert_of_a_room_keeps_the_occupants_the_placements_wrote(ctx, client):
    room = ctx.world.rooms_c[0]
    first = room.history.earliest("history_date")
    assert first.occupants == 0
    room_set_occupants(room=room, occupants=3)  # placements made since that version
    client.force_login(ctx.superuser)
    data = _form_data(admin.site._registry[Room], first.instance, ctx)
    response = client.post(_url(Room, "simple_history", room.pk, first.history_id), data)
    assert response.status_code == 302
    room.refresh_from_db()
    assert room.occupants == 3
    assert room.history.latest("history_date").occupants == 3


def test_history_of_a_location_moved_into_noord_hides_the_time_it_lay_in_zuid(ctx, client):
    world = ctx.world
    location = world.loc_c
    location.notes = "Notitie uit de tijd in Zuid"
    location.save()
    in_zuid = list(location.history.values_list("history_id", flat=True))
    location.municipality = world.mun_a  # a superuser moves it
    location.notes = ""
    location.save()
    in_noord = location.history.latest("history_date")

    client.force_login(ctx.beheerder)
    response = client.get(_url(Location, "history", location.pk))
    assert response.status_code == 200
    assert [r.history_id for r in response.context["page_obj"].object_list] == [in_noord.history_id]
    assert "Notitie uit de tijd in Zuid" not in response.text
    for history_id in in_zuid:
        assert client.get(_url(Location, "simple_history", location.pk, history_id)).status_code == 404
    assert client.get(_url(Location, "simple_history", location.pk, in_noord.history_id)).status_code == 200
    assert client.get(_url(Location, "simple_history", location.pk, "abc")).status_code == 404


def test_history_of_a_location_moved_out_of_noord_is_gone(ctx, client):
    world = ctx.world
    location = world.loc_a
    records = list(location.history.values_list("history_id", flat=True))
    location.municipality = world.mun_c
    location.save()
    client.force_login(ctx.beheerder)
    assert client.get(_url(Location, "history", location.pk)).status_code == 404
    for history_id in records:
        assert client.get(_url(Location, "simple_history", location.pk, history_id)).status_code == 404


def test_add_cannot_create_in_zuid(ctx, client):
    client.force_login(ctx.beheerder)
    count = Location.objects.count()
    response = client.post(_url(Location, "add"), {
        "municipality": ctx.world.mun_c.pk, "code": "NEW-001", "name": "Nieuw in Zuid", "kind": "goo",
        "status": "open", "street": "Straat 1", "postcode": "1234 AB", "place": "Zuid",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "rooms-TOTAL_FORMS": "0", "rooms-INITIAL_FORMS": "0"})
    assert response.status_code == 200  # the form again, with an error on the municipality
    assert "municipality" in response.context["adminform"].form.errors
    assert Location.objects.count() == count
    response = client.post(_url(Municipality, "add"), {"region": ctx.world.zuid.pk, "name": "Nieuw", "cbs_code": "GM9999"})
    assert response.status_code == 200 and not Municipality.objects.filter(cbs_code="GM9999").exists()


def _region_filter_choices(client: Any, model: type[Model]) -> set[int]:
    specs = client.get(_url(model, "changelist")).context["cl"].filter_specs
    return {pk for spec in specs if getattr(spec, "field", None) is not None
            and spec.field.related_model is Region for pk, _label in spec.lookup_choices}


def test_list_filters_offer_only_own_regions(ctx, client):
    client.force_login(ctx.superuser)
    both = {ctx.world.noord.pk, ctx.world.zuid.pk}
    UserFactory(username="belteam_zuid", role=Role.BELTEAM, regions=[ctx.world.zuid])
    assert all(_region_filter_choices(client, model) == both for model in (Location, Municipality, User))
    client.force_login(ctx.beheerder)
    for model in (Location, Municipality, User):
        # One choice left, so Django hides the filter altogether; the plain filter would list both.
        assert ctx.world.zuid.pk not in _region_filter_choices(client, model), model
        assert ctx.world.zuid.name not in client.get(_url(model, "changelist")).text, model


def test_superuser_still_sees_everything(ctx, client):
    client.force_login(ctx.superuser)
    page = client.get(_url(Location, "changelist")).text
    assert ctx.world.loc_a.name in page and ctx.world.loc_c.name in page
    assert client.get(_url(Location, "history", ctx.world.loc_c.pk)).status_code == 200
    assert client.get(_url(Group, "changelist")).status_code == 200
    assert model_to_dict(ctx.world.loc_c)["municipality"] == ctx.world.mun_c.pk


# --- users: who manages whom (issue 6, point 2) ----------------------------------------------------

def _user_urls(user: User) -> dict[str, str]:
    return {"change": _url(User, "change", user.pk), "password": reverse("admin:auth_user_password_change",
                                                                         args=[user.pk]),
            "history": _url(User, "history", user.pk), "delete": _url(User, "delete", user.pk)}


NEW_PASSWORD = {"password1": "Overname-123-xyz", "password2": "Overname-123-xyz", "usable_password": "true"}


def _user_state(user: User) -> dict[str, Any]:
    user = User.objects.filter(pk=user.pk).first()
    if user is None:
        return {}
    # Everything but last_login, which logging the persona in for the test writes.
    fields = [f.attname for f in User._meta.concrete_fields if f.name != "last_login"]
    return {"row": User.objects.filter(pk=user.pk).values(*fields).get(),
            "regions": sorted(user.regions.values_list("pk", flat=True)),
            "municipalities": sorted(user.municipalities.values_list("pk", flat=True)),
            "groups": sorted(user.groups.values_list("pk", flat=True))}


def test_beheerder_manages_a_user_wholly_within_their_region(ctx, client):
    target = ctx.personas.gemeente_a
    client.force_login(ctx.beheerder)
    assert _url(User, "change", target.pk) in client.get(_url(User, "changelist")).text
    for name, url in _user_urls(target).items():
        assert client.get(url).status_code == 200, name
    assert client.post(_user_urls(target)["password"], NEW_PASSWORD).status_code == 302
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD["password1"])


def _out_of_reach(ctx: Any, who: str) -> User:
    world = ctx.world
    make = {
        "also_in_zuid": lambda: UserFactory(username="dubbel", regions=[world.noord, world.zuid]),
        "municipality_in_zuid": lambda: UserFactory(username="gem_c", role=Role.GEMEENTE, regions=[world.noord],
                                                    municipalities=[world.mun_a, world.mun_c]),
        "only_zuid": lambda: UserFactory(username="belteam_zuid", regions=[world.zuid]),
        "no_region": lambda: UserFactory(username="nergens"),
        "other_beheerder": lambda: UserFactory(username="beheerder2", role=Role.BEHEERDER, regions=[world.noord]),
        "outsider": lambda: ctx.personas.outsider,
        "superuser": lambda: ctx.superuser,
        "staff": lambda: UserFactory(username="staf", regions=[world.noord], is_staff=True),
        "self": lambda: ctx.beheerder,
    }
    return make[who]()


@pytest.mark.parametrize("who", ["also_in_zuid", "municipality_in_zuid", "only_zuid", "no_region", "other_beheerder",
                                 "outsider", "superuser", "staff", "self"])
def test_beheerder_cannot_reach_a_user_outside_their_own(ctx, client, who):
    target = _out_of_reach(ctx, who)
    before = _user_state(target)
    client.force_login(ctx.beheerder)
    assert _url(User, "change", target.pk) not in client.get(_url(User, "changelist")).text
    assert _url(User, "change", target.pk) not in client.get(_url(User, "changelist"), {"q": target.username}).text
    data = _form_data(admin.site._registry[User], target, ctx, editor=ctx.superuser)
    for name, url in _user_urls(target).items():
        assert client.get(url).status_code == 404, name
        post = NEW_PASSWORD if name == "password" else ({"post": "yes"} if name == "delete" else data)
        assert client.post(url, post).status_code == 404, name
    client.post(_url(User, "changelist"), {"action": "delete_selected", "_selected_action": [str(target.pk)],
                                           "post": "yes"})
    assert _user_state(target) == before
    assert not User.objects.get(pk=target.pk).check_password(NEW_PASSWORD["password1"])


def _user_post(ctx: Any, user: User, **changes: Any) -> dict[str, Any]:
    data = _form_data(admin.site._registry[User], user, ctx, editor=ctx.beheerder)
    data.update(changes)
    return data


def test_beheerder_cannot_promote_a_user(ctx, client):
    target = ctx.personas.belteam
    client.force_login(ctx.beheerder)
    url = _url(User, "change", target.pk)
    response = client.post(url, _user_post(ctx, target, role=Role.BEHEERDER))
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    # Staff and superuser status are not in a beheerder's form: posting them changes nothing.
    response = client.post(url, _user_post(ctx, target, role=Role.COORDINATOR, is_staff="on", is_superuser="on"))
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.is_staff, target.is_superuser) == (Role.COORDINATOR, False, False)


def test_beheerder_cannot_create_a_beheerder_or_a_user_of_nobody(ctx, client):
    client.force_login(ctx.beheerder)
    base = {"username": "nieuw", "usable_password": "true", "password1": "Nieuw-wachtwoord-987",
            "password2": "Nieuw-wachtwoord-987"}
    response = client.post(_url(User, "add"), {**base, "role": Role.BEHEERDER, "regions": [ctx.world.noord.pk]})
    assert response.status_code == 200 and "role" in response.context["adminform"].form.errors
    response = client.post(_url(User, "add"), {**base, "role": Role.BELTEAM})
    assert response.status_code == 200 and "regions" in response.context["adminform"].form.errors
    response = client.post(_url(User, "add"), {**base, "role": Role.BELTEAM, "regions": [ctx.world.zuid.pk]})
    assert response.status_code == 200 and "regions" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="nieuw").exists()
    response = client.post(_url(User, "add"), {**base, "role": Role.BELTEAM, "regions": [ctx.world.noord.pk],
                                               "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 302
    created = User.objects.get(username="nieuw")
    assert (created.role, created.is_staff, created.is_superuser) == (Role.BELTEAM, False, False)
    assert list(created.regions.all()) == [ctx.world.noord]


def test_superuser_can_make_a_beheerder(ctx, client):
    target = ctx.personas.belteam
    client.force_login(ctx.superuser)
    response = client.post(_url(User, "change", target.pk),
                           {**_form_data(admin.site._registry[User], target, ctx), "role": Role.BEHEERDER,
                            "regions": [ctx.world.noord.pk, ctx.world.zuid.pk]})
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.role == Role.BEHEERDER and target.regions.count() == 2


def test_save_keeps_the_assignments_the_editor_cannot_see(ctx):
    """Such a user is out of a beheerder's reach now (see above), so no page gets here; the merge
    is the second line, for an editor whose choices are narrower than what the user holds (e.g. a
    superuser gives a region while the beheerder's form is open). Driven through the admin's own
    save steps, as change_view calls them."""
    world = ctx.world
    west = Region.objects.create(code="west", name="Regio West")
    ctx.beheerder.regions.add(west)
    group = Group.objects.create(name="Door superuser")
    target = UserFactory(username="gedeeld", role=Role.GEMEENTE, regions=[world.noord, west, world.zuid],
                         municipalities=[world.mun_a, world.mun_c])
    target.groups.add(group)
    user_admin = admin.site._registry[User]
    request = _as(User.objects.get(pk=ctx.beheerder.pk))
    data = {**_user_post(ctx, target), "regions": [str(world.noord.pk)], "municipalities": [str(world.mun_b.pk)]}
    # The form class as change_view builds it for a user in reach (for `target` itself the admin
    # would make every field read-only: it is out of reach), bound to `target`.
    form = user_admin.get_form(request, ctx.personas.belteam, change=True)(data, instance=target)
    assert form.is_valid(), form.errors
    saved = user_admin.save_form(request, form, change=True)
    user_admin.save_model(request, saved, form, change=True)
    user_admin.save_related(request, form, [], change=True)
    target.refresh_from_db()
    # West was offered and deselected: gone. Zuid and Cranendonck were hidden: kept. Groups untouched.
    assert set(target.regions.all()) == {world.noord, world.zuid}
    assert set(target.municipalities.all()) == {world.mun_b, world.mun_c}
    assert list(target.groups.all()) == [group]


def test_outsider_beheerder_of_zuid_reaches_nothing_of_noord(ctx, client):
    outsider = ctx.personas.outsider
    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.set(Permission.objects.all())
    client.force_login(User.objects.get(pk=outsider.pk))
    page = client.get(_url(Location, "changelist")).text
    assert ctx.world.loc_c.name in page and ctx.world.loc_a.name not in page
    assert client.get(_url(Location, "change", ctx.world.loc_a.pk)).status_code == 404
    assert client.get(_url(User, "change", ctx.personas.belteam.pk)).status_code == 404
    assert client.post(reverse("admin:auth_user_password_change", args=[ctx.beheerder.pk]),
                       NEW_PASSWORD).status_code == 404
    assert not User.objects.get(pk=ctx.beheerder.pk).check_password(NEW_PASSWORD["password1"])


def test_staff_without_the_beheerder_role_manages_no_users(ctx, client):
    coordinator = ctx.personas.coordinator
    coordinator.is_staff = True
    coordinator.save()
    coordinator.user_permissions.set(Permission.objects.filter(content_type__app_label="accounts"))
    client.force_login(User.objects.get(pk=coordinator.pk))
    assert client.get(_url(User, "changelist")).context["cl"].result_count == 0
    assert client.get(_url(User, "change", ctx.personas.belteam.pk)).status_code == 404
