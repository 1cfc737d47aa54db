"""The casework admin is configuration only: legal bases per region (beheerder of that region),
categories for a superuser; no case content is registered at all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission

from casework.models import LegalBasis

pytestmark = pytest.mark.django_db


@pytest.fixture
def beheerder(personas):
    personas.beheerder.user_permissions.set(Permission.objects.filter(content_type__app_label="casework"))
    return personas.beheerder


CASE_CONTENT = {"casework.case", "casework.caseentry", "casework.caseentryversion", "casework.referral",
                "casework.caseshare", "casework.caseaccess", "casework.signalshare"}


def test_no_case_content_in_the_admin():
    registered = {m._meta.label_lower for m in admin.site._registry if m._meta.app_label == "casework"}
    assert {"casework.casecategory", "casework.legalbasis"} <= registered
    assert not registered & CASE_CONTENT
    # Nor their history tables.
    assert not {label for label in (m._meta.label_lower for m in admin.site._registry)
                if label.startswith("casework.historical")}


def test_beheerder_records_a_legal_basis_for_their_own_region_only(world, beheerder, client):
    client.force_login(beheerder)
    data = {"description": "Mandaat gemeenten o.g.v. art. 6 en 7 Tw Oek", "reference": "Besluit 2026/7",
            "valid_from": "2026-01-01", "valid_until": ""}
    response = client.post("/admin/casework/legalbasis/add/", {**data, "region": world.zuid.pk})
    assert response.status_code == 200 and not LegalBasis.objects.exists()  # Zuid is not a choice
    response = client.post("/admin/casework/legalbasis/add/", {**data, "region": world.noord.pk})
    assert response.status_code == 302
    basis = LegalBasis.objects.get()
    assert (basis.region, basis.recorded_by, basis.reference) == (world.noord, beheerder, "Besluit 2026/7")
    assert client.post(f"/admin/casework/legalbasis/{basis.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LegalBasis.objects.filter(pk=basis.pk).exists()


def test_categories_are_for_a_superuser(beheerder, client, django_user_model):
    client.force_login(beheerder)
    assert client.get("/admin/casework/casecategory/").status_code == 403
    root = django_user_model.objects.create_superuser("root2", "root2@example.org", "x-wachtwoord-123")
    client.force_login(root)
    assert "Psychisch / trauma" in client.get("/admin/casework/casecategory/").text
