from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "is_active")
    list_filter = ("role", "is_active", "regions")
    filter_horizontal = ("regions", "municipalities", "groups", "user_permissions")
    fieldsets = BaseUserAdmin.fieldsets + ((_("RCVS"), {"fields": ("role", "regions", "municipalities")}),)
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("RCVS"), {"fields": ("role",)}),)
