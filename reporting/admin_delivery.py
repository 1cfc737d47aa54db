"""Admin of reporting: delivery (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; add an out-of-scope factory in tests/admin_scope_extra/delivery.py.

Read only: a send is written by the delivery services and updated by the outbox worker; retrying
a failed one is the page's "opnieuw versturen" (or the outbox admin's retry action)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from rcvs.admin_scoping import ScopedAdminMixin

from .delivery import kcio_delivery_qs_for
from .models import KcioDelivery


@admin.register(KcioDelivery)
class KcioDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("snapshot", "sequence", "reason", "method", "file_format", "status", "attempts", "delivered_at",
                    "response_status")
    list_filter = ("method", "reason", "outbox_message__status")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in KcioDelivery._meta.fields] + ["status", "attempts", "last_error"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KcioDelivery]:
        return kcio_delivery_qs_for(request.user)

    @admin.display(description=_("status"))
    def status(self, obj: KcioDelivery) -> str:
        return obj.outbox_message.get_status_display()

    @admin.display(description=_("pogingen"))
    def attempts(self, obj: KcioDelivery) -> int:
        return obj.outbox_message.attempts

    @admin.display(description=_("laatste fout"))
    def last_error(self, obj: KcioDelivery) -> str:
        return obj.outbox_message.last_error

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
