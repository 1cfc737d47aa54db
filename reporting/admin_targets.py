"""Admin of reporting: targets (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; out-of-scope factories in tests/admin_scope_extra/targets.py.

Read-only: a split is edited on the targets page (reporting:targets_split), whose service checks
the sum against the region's target with a Dutch message and writes the history event; the admin
only shows what is stored, within the user's regions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from locations.selectors import region_qs_for
from rcvs.admin_scoping import ScopedAdminMixin

from .models import TargetSplit, TargetSplitEvent, TargetSplitPart


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TargetSplitPartInline(_ReadOnly, admin.TabularInline):
    model = TargetSplitPart
    fields = ("municipality", "places")
    readonly_fields = fields
    extra = 0


@admin.register(TargetSplit)
class TargetSplitAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("region", "year", "region_places", "set_by", "updated_at")
    list_filter = ("year",)  # not by region: the filter would list every region's name
    readonly_fields = ("region", "year", "region_places", "set_by", "created_at", "updated_at")
    inlines = [TargetSplitPartInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TargetSplit]:
        return (super().get_queryset(request).filter(region__in=region_qs_for(request.user))
                .select_related("region", "set_by"))


@admin.register(TargetSplitEvent)
class TargetSplitEventAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "region", "year", "action", "region_places", "user")
    list_filter = ("year", "action")
    readonly_fields = ("region", "year", "action", "region_places", "parts", "user", "created_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TargetSplitEvent]:
        return (super().get_queryset(request).filter(region__in=region_qs_for(request.user))
                .select_related("region", "user"))
