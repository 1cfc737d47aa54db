"""Admin of reporting: mail (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; out-of-scope factories in tests/admin_scope_extra/mail.py.

Read only: contacts are added, changed and switched off on the pages (reporting:mail_contacts),
through the services that write their history; the mailings are what was sent and stay so."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from locations.selectors import municipality_qs_for
from rcvs.admin_scoping import ScopedAdminMixin

from .models import MailContact, OccupancyMailing


class _ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(municipality__in=municipality_qs_for(request.user))


@admin.register(MailContact)
class MailContactAdmin(_ReadOnlyScopedAdmin):
    list_display = ("name", "municipality", "function", "active", "switched_off_at", "switched_off_via")
    list_filter = ("active", "switched_off_via")
    list_select_related = ("municipality",)


@admin.register(OccupancyMailing)
class OccupancyMailingAdmin(_ReadOnlyScopedAdmin):
    list_display = ("as_of", "municipality", "locations", "realised", "occupied", "available", "snijverlies")
    date_hierarchy = "as_of"
    list_select_related = ("municipality",)
