"""Failed logins and lockouts (django-axes) in the admin, scoped like the users themselves.

Registered from AccountsConfig.ready (axes' own admin is off: AXES_ENABLE_ADMIN = False). A
beheerder sees the attempts on usernames of users they manage (manageable_user_qs_for) and
lifts a lockout by deleting its record; a superuser sees all, including attempts on usernames that
belong to nobody. The role grants this, not raw permissions: lifting a colleague's lockout is part
of being a beheerder."""

from __future__ import annotations

import logging
from typing import Any

from axes.admin import AccessAttemptAdmin as BaseAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from rcvs.admin_scoping import ScopedAdminMixin

from .admin import manageable_user_qs_for
from .models import User

log = logging.getLogger(__name__)


def access_attempt_qs_for(user: User) -> QuerySet[AccessAttempt]:
    """The failed-login records `user` may see and delete."""
    attempts = AccessAttempt.objects.all()
    if not user.is_authenticated or not user.is_active:
        return attempts.none()
    if user.is_superuser:
        return attempts
    if not user.is_beheerder:
        return attempts.none()
    return attempts.filter(Q(username__in=manageable_user_qs_for(user).values("username"))
                           | Q(username=user.username))


class AccessAttemptAdmin(ScopedAdminMixin, BaseAccessAttemptAdmin):
    actions = ["lift_lockout"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AccessAttempt]:
        return access_attempt_qs_for(request.user)

    def _may(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and request.user.is_beheerder

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request) and self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest,
                    action_location: ActionLocation = ActionLocation.CHANGE_LIST) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # lift_lockout says what it does
        return actions

    @admin.action(description=_("Blokkade opheffen"))
    def lift_lockout(self, request: HttpRequest, queryset: QuerySet[AccessAttempt]) -> None:
        lifted = [(a.username, a.ip_address) for a in queryset]
        queryset.delete()
        for username, ip in lifted:
            log.warning("Lockout of username %r from %s lifted by user %s", username, ip, request.user.pk)
        self.message_user(request, ngettext("%(n)d blokkade opgeheven.", "%(n)d blokkades opgeheven.",
                                            len(lifted)) % {"n": len(lifted)}, messages.SUCCESS)

    def delete_model(self, request: HttpRequest, obj: AccessAttempt) -> None:
        log.warning("Lockout of username %r from %s lifted by user %s", obj.username, obj.ip_address,
                    request.user.pk)
        super().delete_model(request, obj)


admin.site.register(AccessAttempt, AccessAttemptAdmin)
