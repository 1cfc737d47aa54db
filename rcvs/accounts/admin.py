"""Users in the Django admin. A beheerder manages the users of their own regions but cannot hand
out superuser status, raw permissions or regions they do not have themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from locations.selectors import municipality_qs_for, region_qs_for

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "is_active")
    list_filter = ("role", "is_active", "regions")
    filter_horizontal = ("regions", "municipalities", "groups", "user_permissions")
    fieldsets = BaseUserAdmin.fieldsets + ((_("RCVS"), {"fields": ("role", "regions", "municipalities")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("RCVS"), {"fields": ("role", "regions")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(regions__in=region_qs_for(request.user), is_superuser=False).distinct()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return ()
        return ("is_superuser", "user_permissions", "groups", "last_login", "date_joined")

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "regions":
            kwargs["queryset"] = region_qs_for(request.user)
        elif db_field.name == "municipalities":
            kwargs["queryset"] = municipality_qs_for(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
