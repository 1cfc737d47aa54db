"""Admin of reporting: board (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; out-of-scope factories in tests/admin_scope_extra/board.py.

Read-only: an item is added and changed on the decision-list page (reporting:board_items), whose
service hands out the number under the region's lock and writes the history; a report is made
by the worker. The admin shows what is stored, within the user's regions (and only to users who
may read reports at all), without the PDF itself."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from rcvs.admin_scoping import ScopedAdminMixin

from .board import board_report_qs_for
from .board_items import board_item_qs_for
from .models import BoardItem, BoardReport


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BoardItem)
class BoardItemAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("label", "region", "title", "owner", "due_date", "status", "decided_on", "updated_at")
    list_filter = ("kind", "status")  # not by region: the filter would list every region's name
    readonly_fields = ("region", "kind", "number", "title", "description", "owner", "due_date", "status",
                       "decided_on", "created_by", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[BoardItem]:
        return board_item_qs_for(request.user).select_related("region", "created_by")


@admin.register(BoardReport)
class BoardReportAdmin(_ReadOnly, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("region", "period", "language", "version", "status", "progress", "as_of", "finished_at")
    list_filter = ("status", "language")
    fields = readonly_fields = ("uuid", "region", "period", "language", "version", "status", "progress", "step",
                                "error", "sha256", "size", "as_of", "requested_by", "created_at", "started_at",
                                "finished_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[BoardReport]:
        return board_report_qs_for(request.user)
