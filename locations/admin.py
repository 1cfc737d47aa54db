from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ContactPerson, Location, Municipality, Region, Room


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(Municipality)
class MunicipalityAdmin(SimpleHistoryAdmin):
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
class LocationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "municipality", "kind", "status", "end_date")
    list_filter = ("municipality__region", "municipality", "kind", "status", "intake_24_7")
    search_fields = ("name", "code", "place")
    list_select_related = ("municipality",)
    inlines = [ContactInline, RoomInline]


@admin.register(Room)
class RoomAdmin(SimpleHistoryAdmin):
    list_display = ("__str__", "beds", "occupancy", "state", "occupants")
    list_filter = ("state", "occupancy", "location__municipality")
    search_fields = ("number", "location__name", "location__code")
    list_select_related = ("location",)
    readonly_fields = ("occupants",)
