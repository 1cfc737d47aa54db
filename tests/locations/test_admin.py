"""The Django admin keeps the region boundary too: a beheerder sees only their own regions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from locations.models import Location
from rcvs.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_beheerder(personas):
    user = personas.beheerder
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["locations", "accounts"]))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def test_beheerder_sees_only_own_region_in_admin(admin_beheerder, world, login, personas):
    client = login(admin_beheerder)
    page = client.get(reverse("admin:locations_location_changelist")).text
    assert world.loc_a.name in page and world.loc_c.name not in page
    assert client.get(reverse("admin:locations_location_change", args=[world.loc_c.pk])).status_code == 404
    users = client.get(reverse("admin:accounts_user_changelist")).text
    assert "gemeente_a" in users and "outsider" not in users


def test_beheerder_cannot_grant_superuser_or_other_regions(admin_beheerder, world, login, personas):
    client = login(admin_beheerder)
    url = reverse("admin:accounts_user_change", args=[personas.belteam.pk])
    form = client.get(url).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert list(form.fields["regions"].queryset) == [world.noord]


def test_outsider_location_is_not_reachable_through_admin_edit(admin_beheerder, world, login):
    client = login(admin_beheerder)
    response = client.post(reverse("admin:locations_location_change", args=[world.loc_c.pk]), {"name": "x"})
    assert response.status_code == 404  # outside the scope: as if it did not exist
    assert Location.objects.get(pk=world.loc_c.pk).name == "De Cirkel"


def test_admin_refuses_fewer_beds_than_occupants_with_a_message(admin_beheerder, world, login):
    from tests.factories import room_set_occupants

    room = world.rooms_a[2]  # 4 beds
    room_set_occupants(room=room, occupants=3)
    client = login(admin_beheerder)
    url = reverse("admin:locations_room_change", args=[room.pk])
    data = {"location": room.location_id, "number": room.number, "floor": room.floor, "beds": 2,
            "bunk_beds": 0, "occupancy": room.occupancy, "state": "available", "blocked_reason": "",
            "blocked_until": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "minder bedden dan dat kan niet" in response.text
    data.update(beds=4, state="blocked", blocked_reason="Lekkage")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "kan niet worden geblokkeerd" in response.text
    room.refresh_from_db()
    assert (room.beds, room.state, room.occupants) == (4, "available", 3)


def test_admin_inline_refuses_fewer_beds_than_occupants(admin_beheerder, world, login):
    from tests.factories import room_set_occupants

    room = world.rooms_a[2]
    room_set_occupants(room=room, occupants=3)
    client = login(admin_beheerder)
    url = reverse("admin:locations_location_change", args=[world.loc_a.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["municipality"] = world.loc_a.municipality_id
    for name, value in list(data.items()):
        if isinstance(value, bool):
            data[name] = "on" if value else ""
        elif hasattr(value, "isoformat"):
            data[name] = value.isoformat()
    data = {k: v for k, v in data.items() if v != ""}
    data.update({"contacts-TOTAL_FORMS": 0, "contacts-INITIAL_FORMS": 0})
    rooms = list(world.loc_a.rooms.order_by("floor", "number"))
    data.update({"rooms-TOTAL_FORMS": len(rooms), "rooms-INITIAL_FORMS": len(rooms)})
    for i, r in enumerate(rooms):
        data.update({f"rooms-{i}-id": r.pk, f"rooms-{i}-location": world.loc_a.pk, f"rooms-{i}-number": r.number,
                     f"rooms-{i}-floor": r.floor, f"rooms-{i}-beds": 1 if r.pk == room.pk else r.beds,
                     f"rooms-{i}-bunk_beds": 0, f"rooms-{i}-occupancy": r.occupancy,
                     f"rooms-{i}-state": "available"})
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    assert "minder bedden dan dat kan niet" in response.text
    room.refresh_from_db()
    assert room.beds == 4
