"""Placements in the Django admin: read-only, for looking things up. Changes go through the
belteam screens and the API, which lock rows and write events; the admin would bypass both."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from locations.selectors import region_qs_for
from rcvs.admin_scoping import ScopedAdminMixin

from .models import (
    HouseholdMember,
    Placement,
    PlacementEvent,
    PlacementRequest,
    PlacementRoom,
    SupraRegionalRequest,
)
from .selectors import can_place, placement_qs_for, request_qs_for


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Scoped by the selectors, like the pages: a household of another region is a 404 here too."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("kenmerk"), ordering="uuid")
    def reference(self, obj: Any) -> str:
        return str(obj.uuid)


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
    list_display = ("reference", "region", "status", "urgency", "received_at", "expected_arrival")
    list_filter = ("status", "urgency", "source")
    inlines = [MemberInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return request_qs_for(request.user)


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
    list_display = ("reference", "location", "status", "persons", "reserved_at", "departed_on")
    list_filter = ("status",)
    list_select_related = ("location",)
    inlines = [PlacementRoomInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return placement_qs_for(request.user)


@admin.register(PlacementEvent)
class PlacementEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "from_status", "to_status", "actor", "reason")
    list_filter = ("kind",)
    list_select_related = ("actor",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return PlacementEvent.objects.filter(request__in=request_qs_for(request.user))


@admin.register(SupraRegionalRequest)
class SupraRegionalRequestAdmin(ReadOnlyAdmin):
    list_display = ("uuid", "direction", "counterpart", "status", "household_size", "earliest_date")
    list_filter = ("direction", "status")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        if not can_place(request.user):  # as on the pages and in the API
            return SupraRegionalRequest.objects.none()
        return SupraRegionalRequest.objects.filter(region__in=region_qs_for(request.user))
