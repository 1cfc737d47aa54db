"""Django admin for reference data. A beheerder (staff, not superuser) sees and edits only the
data of their own regions, like everywhere else; only a superuser crosses regions.

Every view goes through the scoping functions of locations/selectors.py (see rcvs/admin_scoping.py
for the views Django and django-simple-history would otherwise let through)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from rcvs.admin_scoping import ScopedAdminMixin, ScopedHistoryAdminMixin

from .models import ContactPerson, Location, Municipality, MunicipalityPopulation, Region, Room, RoomState
from .selectors import location_qs_for, municipality_qs_for, region_qs_for, room_qs_for


class ScopedForeignKeysMixin:
    """Dropdowns of regions, municipalities and locations offer only the user's own."""

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


class RegionScopedAdmin(ScopedForeignKeysMixin, ScopedHistoryAdminMixin, SimpleHistoryAdmin):
    """Models with django-simple-history."""


def save_room_keeping_occupants(room: Room) -> None:
    """Save a room edited in the admin without writing `occupants`: that count belongs to the
    placement service (under its row lock). A form holds the value read when the page was opened,
    and a history revert the value of back then; writing either would undo placements made since."""
    if room._state.adding:
        room.save()
        return
    current = Room.objects.filter(pk=room.pk).values_list("occupants", flat=True).first()
    if current is not None:
        room.occupants = current  # so the history copy tells the truth too
    room.save(update_fields=[f.name for f in Room._meta.concrete_fields
                             if not f.primary_key and f.name != "occupants"])


class RoomAdminForm(forms.ModelForm):
    """The admin shows `occupants` read-only, so Django's own constraint validation skips the
    constraints that involve it (beds >= occupants, a blocked room is empty) and the database
    would answer with an error page. Check them here against the count as it is now."""

    class Meta:
        model = Room
        fields = "__all__"  # noqa: DJ007 - the admin passes its own field list

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        occupants = Room.objects.filter(pk=self.instance.pk).values_list("occupants", flat=True).first() or 0
        beds = cleaned.get("beds")
        if beds is not None and beds < occupants:
            self.add_error("beds", _("Kamer %(room)s heeft %(n)s bewoners; minder bedden dan dat kan niet.")
                           % {"room": self.instance.number, "n": occupants})
        if cleaned.get("state") == RoomState.BLOCKED and occupants:
            self.add_error("state", _("Kamer %(room)s heeft %(n)s bewoners en kan niet worden geblokkeerd.")
                           % {"room": self.instance.number, "n": occupants})
        return cleaned


class ConstraintSafeChangeMixin:
    """Last line of defence: a placement committed between the form check and the save can still
    make the database refuse the row. Say so and keep the user on the page, instead of an error
    page; the transaction of the admin view has rolled back, so nothing was written."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except IntegrityError:
            messages.error(request, _("Niet opgeslagen: de kamerindeling is intussen gewijzigd (bijvoorbeeld "
                                      "door een plaatsing). Controleer de gegevens en probeer het opnieuw."))
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Region)
class RegionAdmin(ScopedForeignKeysMixin, ScopedAdminMixin, admin.ModelAdmin):
    # Region has no simple-history table; its history is Django's own log.
    list_display = ("name", "code")
    search_fields = ("name", "code")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # a new region is a new installation-level scope

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class PopulationInline(admin.TabularInline):
    # Reached only through its municipality, whose scope it shares (like a location's contacts).
    model = MunicipalityPopulation
    extra = 0
    fields = ("year", "population", "source")


@admin.register(Municipality)
class MunicipalityAdmin(RegionScopedAdmin):
    scope = staticmethod(municipality_qs_for)
    history_scope = ("region", region_qs_for)
    list_display = ("name", "cbs_code", "region", "population", "population_year", "land_area_km2")
    # The plain related filter would list every region of the installation.
    list_filter = (("region", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("name", "cbs_code")
    inlines = [PopulationInline]


class RoomInline(admin.TabularInline):
    model = Room
    form = RoomAdminForm
    extra = 0
    fields = ("number", "floor", "beds", "bunk_beds", "occupancy", "step_free", "wheelchair_accessible",
              "state", "blocked_reason", "blocked_until", "occupants")
    readonly_fields = ("occupants",)


class ContactInline(admin.TabularInline):
    # Edited through its location, whose scope it shares; ContactPersonAdmin (below) is a
    # read-only, scoped list of all of them.
    model = ContactPerson
    extra = 0


@admin.register(Location)
class LocationAdmin(ConstraintSafeChangeMixin, RegionScopedAdmin):
    scope = staticmethod(location_qs_for)
    history_scope = ("municipality", municipality_qs_for)
    list_display = ("name", "code", "municipality", "kind", "status", "end_date")
    list_filter = (("municipality__region", admin.RelatedOnlyFieldListFilter), "kind", "status", "intake_24_7")
    search_fields = ("name", "code", "place")
    list_select_related = ("municipality",)
    inlines = [ContactInline, RoomInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Room:
            return super().save_formset(request, form, formset, change)
        for room in formset.save(commit=False):
            room._history_user = request.user
            save_room_keeping_occupants(room)
        for room in formset.deleted_objects:
            room.delete()
        formset.save_m2m()
        return None


@admin.register(Room)
class RoomAdmin(ConstraintSafeChangeMixin, RegionScopedAdmin):
    form = RoomAdminForm
    scope = staticmethod(room_qs_for)
    history_scope = ("location", location_qs_for)
    list_display = ("__str__", "beds", "occupancy", "state", "occupants")
    list_filter = ("state", "occupancy")
    search_fields = ("number", "location__name", "location__code")
    list_select_related = ("location",)
    readonly_fields = ("occupants",)

    def save_model(self, request: HttpRequest, obj: Room, form: Any, change: bool) -> None:
        obj._history_user = request.user
        save_room_keeping_occupants(obj)


# --- contact persons: read-only list for the beheerder (issue 9, point 15) ---

@admin.register(ContactPerson)
class ContactPersonAdmin(ScopedHistoryAdminMixin, SimpleHistoryAdmin):
    """A list to look contacts up across the locations of one's regions. Read-only: contacts are
    changed on the location page (or its admin inline), which keep them with their location."""

    list_display = ("name", "function", "location", "phone", "email", "is_primary")
    list_filter = ("is_primary", ("location__municipality", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "function", "location__name", "location__code")
    list_select_related = ("location",)
    history_scope = ("location", location_qs_for)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return ContactPerson.objects.filter(location__in=location_qs_for(request.user)).select_related("location")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
