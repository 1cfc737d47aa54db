"""Admin of the reporting app.

Scoping as everywhere in the admin (rcvs/admin_scoping.py): regional data through the scoping
functions of locations/selectors.py, installation-wide data for superusers only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rcvs.admin_scoping import SuperuserOnlyAdminMixin

from .models import NormRate, TargetInputs

# --- money and targets --------------------------------------------------------------------------


@admin.register(NormRate)
class NormRateAdmin(admin.ModelAdmin):
    """The normbedrag is national and public (published by the ministry): every active staff user
    may read the table, only a superuser changes it. The form validates the no-overlap exclusion
    constraint before saving (Django's constraint validation), the database refuses it anyway."""

    list_display = ("valid_from", "valid_until", "amount", "note")
    date_hierarchy = "valid_from"

    def _staff(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._staff(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._staff(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser


@admin.register(TargetInputs)
class TargetInputsAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """National inputs of the verdeelsleutel: one set for every region, so superusers only."""

    list_display = ("year", "national_places_asked", "national_population", "national_land_area_km2", "source_note")


# One admin module per capability (registered on import).
from . import admin_board, admin_costs, admin_delivery, admin_mail, admin_targets  # noqa: E402, F401, I001
