"""Django admin for reference data. A beheerder (staff, not superuser) sees and edits only the
data of their own regions, like everywhere else; only a superuser crosses regions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import ContactPerson, Location, Municipality, Region, Room
from .selectors import location_qs_for, municipality_qs_for, region_qs_for, room_qs_for


class RegionScopedAdmin(SimpleHistoryAdmin):
    scope = staticmethod(region_qs_for)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request.user)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Municipality:
            kwargs["queryset"] = municipality_qs_for(request.user)
        elif db_field.related_model is Region:
            kwargs["queryset"] = region_qs_for(request.user)
        elif db_field.related_model is Location:
            kwargs["queryset"] = location_qs_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Region)
class RegionAdmin(RegionScopedAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # a new region is a new installation-level scope

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Municipality)
class MunicipalityAdmin(RegionScopedAdmin):
    scope = staticmethod(municipality_qs_for)
    list_display = ("name", "cbs_code", "region", "population", "population_year", "land_area_km2")
    list_filter = ("region",)
    search_fields = ("name", "cbs_code")


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0
    fields = ("number", "floor", "beds", "bunk_beds", "occupancy", "step_free", "wheelchair_accessible",
              "state", "blocked_reason", "blocked_until", "occupants")
    readonly_fields = ("occupants",)


class ContactInline(admin.TabularInline):
    model = ContactPerson
    extra = 0


@admin.register(Location)
class LocationAdmin(RegionScopedAdmin):
    scope = staticmethod(location_qs_for)
    list_display = ("name", "code", "municipality", "kind", "status", "end_date")
    list_filter = ("municipality__region", "kind", "status", "intake_24_7")
    search_fields = ("name", "code", "place")
    list_select_related = ("municipality",)
    inlines = [ContactInline, RoomInline]


@admin.register(Room)
class RoomAdmin(RegionScopedAdmin):
    scope = staticmethod(room_qs_for)
    list_display = ("__str__", "beds", "occupancy", "state", "occupants")
    list_filter = ("state", "occupancy")
    search_fields = ("number", "location__name", "location__code")
    list_select_related = ("location",)
    readonly_fields = ("occupants",)
