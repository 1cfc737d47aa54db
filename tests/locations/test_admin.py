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
