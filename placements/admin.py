"""Placements in the Django admin: read-only, for looking things up. Changes go through the
belteam screens and the API, which lock rows and write events; the admin would bypass both."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from locations.selectors import region_qs_for

from .models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    SupraRegionalRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    region_path = "region"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.region_path}__in": region_qs_for(request.user)})

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MemberInline(admin.TabularInline):
    model = HouseholdMember
    extra = 0
    fields = ("first_name", "last_name", "date_of_birth", "sex", "relation", "nationality")
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PlacementRequest)
class PlacementRequestAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "region", "status", "urgency", "received_at", "expected_arrival")
    list_filter = ("status", "urgency", "source")
    inlines = [MemberInline]


class PlacementRoomInline(admin.TabularInline):
    model = PlacementRoom
    extra = 0
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    region_path = "request__region"
    list_display = ("uuid", "location", "status", "persons", "reserved_at", "departed_on")
    list_filter = ("status",)
    list_select_related = ("location",)
    inlines = [PlacementRoomInline]


@admin.register(PlacementEvent)
class PlacementEventAdmin(ReadOnlyAdmin):
    region_path = "request__region"
    list_display = ("at", "kind", "from_status", "to_status", "actor", "reason")
    list_filter = ("kind",)
    list_select_related = ("actor",)


@admin.register(SupraRegionalRequest)
class SupraRegionalRequestAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "direction", "counterpart", "status", "household_size", "earliest_date")
    list_filter = ("direction", "status")
