"""Users in the Django admin.

Who manages whom (also in the README): a superuser manages everyone. A beheerder manages only
users whose regions and municipalities all lie within the beheerder's own (and who share at
least one region with them); other beheerders, staff users and superusers are out of reach, not
even shown. A beheerder cannot hand out the beheerder role, staff or superuser status, groups or
raw permissions, and a save never removes an assignment the editor cannot see.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static import admin as _otp_static_admin  # noqa: F401  (registers first…
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as _otp_totp_admin  # noqa: F401  (…so it can be removed below)
from django_otp.plugins.otp_totp.models import TOTPDevice

from locations.selectors import municipality_qs_for, region_qs_for
from rcvs.admin_scoping import ScopedAdminMixin, SuperuserOnlyAdminMixin

from .models import Role, User
from .otp import second_factor_reset

# Roles only a superuser hands out (see formfield_for_choice_field).
SUPERUSER_ONLY_ROLES = frozenset({Role.BEHEERDER, Role.MENTAL_COACH})

# Assignments a save must keep even though the editor's form does not offer them.
MERGED_ASSIGNMENTS = ("regions", "municipalities", "groups")


def manageable_user_qs_for(editor: User) -> QuerySet[User]:
    """The users `editor` may open, edit, set the password of or delete in the admin."""
    if not editor.is_authenticated or not editor.is_active:
        return User.objects.none()
    if editor.is_superuser:
        return User.objects.all()
    if not editor.is_beheerder:
        return User.objects.none()
    own_regions = region_qs_for(editor).values("pk")
    own_municipalities = municipality_qs_for(editor).values("pk")
    regions = User.regions.through.objects.filter(user=OuterRef("pk"))
    municipalities = User.municipalities.through.objects.filter(user=OuterRef("pk"))
    return (
        User.objects.filter(is_superuser=False, is_staff=False)
        .exclude(role=Role.BEHEERDER)
        .filter(Exists(regions.filter(region__in=own_regions)))  # a user of nobody is nobody's
        .filter(~Exists(regions.exclude(region__in=own_regions)))
        .filter(~Exists(municipalities.exclude(municipality__in=own_municipalities)))
    )


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ("username", "get_full_name", "email", "role", "is_active")
    list_filter = ("role", "is_active", ("regions", admin.RelatedOnlyFieldListFilter))
    filter_horizontal = ("regions", "municipalities", "groups", "user_permissions")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("RCVS"), {"fields": ("role", "regions", "municipalities", "special_category_access")}),)
    actions = ["reset_second_factor"]
    add_fieldsets = BaseUserAdmin.add_fieldsets + ((_("RCVS"), {"fields": ("role", "regions")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        # Through ScopedAdminMixin this one queryset also guards change, password, history and delete.
        return manageable_user_qs_for(request.user).prefetch_related("regions")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if request.user.is_superuser:
            return ()
        # special_category_access is a need-to-know right to health data: granting it is a decision
        # about who may read special-category data, not configuration, and a beheerder has no case
        # content themselves. A superuser (the controller's functional administrator) grants it.
        fields = ("is_staff", "is_superuser", "user_permissions", "groups", "last_login", "date_joined",
                  "special_category_access")
        if obj is not None and obj.role in SUPERUSER_ONLY_ROLES:
            fields += ("role",)  # a beheerder may edit a mental coach, not take or change the role
        return fields

    @admin.action(description=_("Tweede factor opnieuw instellen"), permissions=["change"])
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """A lost phone: remove the user's authenticator app and recovery codes; on their next case
        page they set up a new one. Only users the editor manages (the same rule as every other
        admin page, applied again here rather than trusting the changelist's queryset)."""
        users = list(queryset.filter(pk__in=manageable_user_qs_for(request.user).values("pk")))
        for user in users:
            second_factor_reset(user=user, by=request.user)
            self.log_change(request, user, _("Tweede factor opnieuw ingesteld."))
        self.message_user(request, ngettext(
            "De tweede factor van %(n)d gebruiker is verwijderd; bij de volgende casuspagina stelt die een nieuwe in.",
            "De tweede factor van %(n)d gebruikers is verwijderd; bij de volgende casuspagina stellen zij een "
            "nieuwe in.", len(users)) % {"n": len(users)}, messages.SUCCESS)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "regions" in form.base_fields:
            # A user without a region would be out of everyone's reach but a superuser's.
            form.base_fields["regions"].required = True
        return form

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            # Only a superuser makes a beheerder: a beheerder making another would be out of reach
            # the moment after, with the same powers. Nor a mental coach: that role reads
            # special-category data by itself, the right a beheerder may not grant (see below).
            kwargs["choices"] = [c for c in Role.choices if c[0] not in SUPERUSER_ONLY_ROLES]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "regions":
            kwargs["queryset"] = region_qs_for(request.user)
        elif db_field.name == "municipalities":
            kwargs["queryset"] = municipality_qs_for(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """A form only shows the regions, municipalities and groups the editor may hand out; its
        save would replace the user's assignments with what was posted. Add the others back."""
        hidden = {}
        if change:
            for name in MERGED_ASSIGNMENTS:
                field = form.fields.get(name)
                if field is not None:
                    hidden[name] = list(getattr(form.instance, name).exclude(pk__in=field.queryset.values("pk")))
        super().save_related(request, form, formsets, change)
        for name, objects in hidden.items():
            if objects:
                getattr(form.instance, name).add(*objects)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SuperuserOnlyAdminMixin, BaseGroupAdmin):
    """Groups carry raw permissions for the whole installation."""


# django-otp's own admins show (and let staff edit) the devices' secret keys and recovery codes, and
# know nothing of regions. A second factor is reset through the user admin's action above instead.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
