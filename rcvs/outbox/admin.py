"""Outbox messages in the Django admin, for the beheerder: what was sent, what is waiting, what
failed and why, in their own regions only; failed messages can be retried. Nothing else is
editable: a message is written by the code that causes it and delivered by the worker."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .models import OutboxMessage
from .selectors import outbox_message_qs_for
from .services import outbox_retry


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return user.is_active and user.is_staff and user.is_beheerder


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "region", "status", "attempts", "next_attempt_at", "last_attempt_at",
                    "delivered_at", "created_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("kind", "idempotency_key")
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    fields = ("uuid", "kind", "channel", "region", "status", "attempts", "next_attempt_at", "last_attempt_at",
              "last_error", "dispatched_at", "claimed_until", "delivered_at", "payload", "idempotency_key",
              "created_at", "updated_at")

    # Access by role, not by model permission: every beheerder looks after the messages of their
    # regions, and the scope (get_queryset) is what keeps them to those.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and (obj is None or self.get_queryset(request).filter(pk=obj.pk).exists())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboxMessage]:
        return outbox_message_qs_for(request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> OutboxMessage:
        # Outside the scope is 404 (the admin's default redirect would tell that it exists).
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Niet gevonden."))
        return obj

    @admin.action(description=gettext_lazy("Mislukte berichten nu opnieuw versturen"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        ids = outbox_retry(user=request.user, messages=queryset)
        self.message_user(request, ngettext("%(n)d mislukt bericht wordt opnieuw verstuurd.",
                                            "%(n)d mislukte berichten worden opnieuw verstuurd.", len(ids))
                          % {"n": len(ids)}, messages.SUCCESS if ids else messages.WARNING)
