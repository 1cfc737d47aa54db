"""Scoping for the Django admin.

Django's admin reads objects through `ModelAdmin.get_queryset`, but not everywhere: for an object
that is not in that queryset the change, delete and history views redirect (or check a permission
first), and django-simple-history's history list falls back to the historical copy and its history
form loads the historical row directly — showing, and on POST saving, an object of another region.
The mixins here make every object URL of an admin go through `get_queryset` (the user's scope from
the app's selectors) and answer 404 outside it, before any permission is looked at, so that the
answer does not even tell whether the object exists.

Revert (POSTing simple-history's history form) is offered to superusers only. A revert writes the
whole historical row through the admin form: it bypasses the services (locks, events), and it puts
back foreign keys and fields the form does not show, as they were at the time — possibly when the
object belonged to another region. Checking every such field against the editor's scope would be a
second, fragile permission system; a beheerder can enter the old values in the change form, which is
scoped and validated like any other edit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class ScopedAdminMixin:
    """For a ModelAdmin whose `get_queryset` is the user's scope.

    Every URL that names an object answers 404 when the object is outside that queryset, and
    object-level permissions are false outside it (a second line, for code paths such as inlines
    or actions that ask for a permission with an object)."""

    def _object_or_404(self, request: HttpRequest, object_id: str) -> Model:
        to_field = request.POST.get(TO_FIELD_VAR, request.GET.get(TO_FIELD_VAR))
        if to_field and not self.to_field_allowed(request, to_field):
            raise DisallowedModelAdminToField(f"The field {to_field} cannot be referenced.")
        obj = self.get_object(request, unquote(object_id), to_field)
        if obj is None:
            raise Http404(_("Niet gevonden."))
        return obj

    def in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None or obj.pk is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.in_scope(request, obj)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        if not request.user.is_superuser:  # a superuser may still read the history of a deleted object
            self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)


class ScopedHistoryAdminMixin(ScopedAdminMixin):
    """For a SimpleHistoryAdmin: the history list and form keep to the scope too.

    `history_scope` names the field of the historical row that places it in a scope and the scoping
    function for that field's model, e.g. ("municipality", municipality_qs_for) for a location.
    A historical row counts as in scope only if the object is in scope now AND the row was in
    scope then: the records of a location from the time it lay in another region are that
    region's data (its notes, its contacts) and stay hidden."""

    history_scope: tuple[str, Callable[[Any], QuerySet]] | None = None

    def get_history_queryset(self, request: HttpRequest, history_manager: Any, pk_name: str,
                             object_id: Any) -> QuerySet:
        qs = super().get_history_queryset(request, history_manager, pk_name, object_id)
        if request.user.is_superuser:
            return qs
        qs = qs.filter(**{f"{pk_name}__in": self.get_queryset(request).values("pk")})
        if self.history_scope is not None:
            field, scope = self.history_scope
            qs = qs.filter(**{f"{field}__in": scope(request.user).values("pk")})
        return qs

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict | None = None) -> HttpResponse:
        if request.user.is_superuser:
            return super().history_form_view(request, object_id, version_id, extra_context)
        obj = self._object_or_404(request, object_id)
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        records = self.get_history_queryset(request, history, self.model._meta.pk.attname, obj.pk)
        try:
            if not records.filter(history_id=version_id).exists():
                raise Http404(_("Niet gevonden."))
        except (ValueError, ValidationError) as exc:  # a history id that is not a number
            raise Http404(_("Niet gevonden.")) from exc
        if request.method == "POST" and self.revert_disabled(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, str(obj.pk), version_id, extra_context)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        if not request.user.is_superuser:
            return True  # see the module docstring
        return super().revert_disabled(request, obj)


class SuperuserOnlyAdminMixin(ScopedAdminMixin):
    """For admins of installation-wide data with no region (groups and their permissions, API
    tokens): a beheerder would cross every region through them, so only a superuser gets in.
    For anyone else the list is a 403 and every object a 404."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()
