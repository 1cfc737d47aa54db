"""Admin for casework CONFIGURATION only: categories and legal bases. No case content here —
cases, entries, referrals, shares and the read log are reached through the casework pages,
which log every read; an admin page would not.

Categories are installation-wide (one list for every region), so only a superuser changes them,
as for other installation-wide data. A legal basis belongs to a region: a beheerder records
and ends those of their own regions (scoped like the rest of the admin, 404 outside). A basis is
ended with "geldig tot", not deleted: entries stored under it must keep their basis on record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from locations.admin import ScopedForeignKeysMixin
from locations.selectors import region_qs_for
from rcvs.admin_scoping import ScopedAdminMixin, SuperuserOnlyAdminMixin

from .models import CaseCategory, LegalBasis, RetentionRun


def legal_basis_qs_for(user: Any) -> QuerySet[LegalBasis]:
    return LegalBasis.objects.filter(region__in=region_qs_for(user)).select_related("region", "recorded_by")


@admin.register(CaseCategory)
class CaseCategoryAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "special_category", "active", "position")
    list_editable = ("active", "position")
    search_fields = ("name", "code")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()  # codes are used by reports and SIGNAL shares

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: cases keep their category


@admin.register(LegalBasis)
class LegalBasisAdmin(ScopedForeignKeysMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(legal_basis_qs_for)
    list_display = ("region", "reference", "description", "valid_from", "valid_until", "recorded_by")
    list_filter = (("region", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("reference", "description")
    readonly_fields = ("recorded_by", "created_at", "updated_at")
    fields = ("region", "description", "reference", "valid_from", "valid_until", "recorded_by", "created_at",
              "updated_at")

    def save_model(self, request: HttpRequest, obj: LegalBasis, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(RetentionRun)
class RetentionRunAdmin(SuperuserOnlyAdminMixin, admin.ModelAdmin):
    """What the nightly retention job did (counts only). Installation-wide, so superusers only;
    read-only: the job writes these rows, nobody edits them."""

    list_display = ("ran_at", "entries_pseudonymised", "free_texts_pseudonymised", "cases_deleted",
                    "history_rows_deleted", "read_log_rows_deleted")
    readonly_fields = [f.name for f in RetentionRun._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
