"""Read-only, scoped admin lists for the beheerder (issue 9, point 15): contact persons, requests
and placements. That nothing of another region is reachable is tests/test_admin_scope.py's walk;
here: the beheerder's own objects are listed with Dutch headings, and nothing can be changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from locations.models import ContactPerson
from tests.factories import ContactPersonFactory, make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def beheerder(personas):
    user = personas.beheerder
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())  # only the admin itself stands in the way
    return type(user).objects.get(pk=user.pk)


def test_contact_persons_are_listed_in_scope_and_read_only(beheerder, world, client):
    own = ContactPersonFactory(location=world.loc_a, name="Noord-contact", function="locatiemanager")
    other = ContactPersonFactory(location=world.loc_c, name="Zuid-contact")
    client.force_login(beheerder)
    page = client.get(reverse("admin:locations_contactperson_changelist")).text
    assert "Noord-contact" in page and "Zuid-contact" not in page
    for heading in ("Naam", "Functie", "Locatie", "Telefoon"):
        assert heading in page
    assert reverse("admin:locations_contactperson_add") not in page
    change = reverse("admin:locations_contactperson_change", args=[own.pk])
    response = client.get(change)
    assert response.status_code == 200 and 'name="name"' not in response.text  # a view, not a form
    assert client.post(change, {"name": "Overschreven", "phone": "0592 123 456",
                                "location": world.loc_a.pk}).status_code == 403
    assert client.post(reverse("admin:locations_contactperson_delete", args=[own.pk]),
                       {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:locations_contactperson_change", args=[other.pk])).status_code == 404
    own.refresh_from_db()
    assert own.name == "Noord-contact" and ContactPerson.objects.count() == 2


def test_request_and_placement_lists_have_dutch_headings_and_are_read_only(beheerder, personas, world, client):
    from placements.services import placement_reserve

    request = make_request(region=world.noord)
    placed = placement_reserve(user=personas.belteam, request=make_request(region=world.noord),
                               allocation=[(world.rooms_a[3].pk, 1)])
    client.force_login(beheerder)
    page = client.get(reverse("admin:placements_placementrequest_changelist")).text
    assert "Kenmerk" in page and str(request.uuid) in page
    assert ">Uuid<" not in page
    assert reverse("admin:placements_placementrequest_add") not in page
    page = client.get(reverse("admin:placements_placement_changelist")).text
    assert "Kenmerk" in page and str(placed.uuid) in page and world.loc_a.name in page
    assert client.post(reverse("admin:placements_placementrequest_delete", args=[request.pk]),
                       {"post": "yes"}).status_code == 403
