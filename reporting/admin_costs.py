"""Admin of reporting: costs (imported by reporting/admin.py). Scoped like every admin:
rcvs/admin_scoping.py; out-of-scope factories in tests/admin_scope_extra/costs.py.

Budgets and their lines are edited here (staff of the region). Cost entries and declaration
periods are read-only: they are written through the cost pages, whose services check the closed
periods, keep the status history and validate attachments (the database refuses edits in a closed
period anyway). Attachments and declaration documents are not shown: they are downloaded through
the scoped pages only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from locations.admin import ScopedForeignKeysMixin
from locations.selectors import region_qs_for
from rcvs.admin_scoping import ScopedAdminMixin

from .models import Budget, BudgetLine, CostEntry, DeclarationPeriod, DeclarationPeriodEvent


def budget_qs_for(user: Any) -> QuerySet[Budget]:
    return Budget.objects.filter(region__in=region_qs_for(user)).select_related("region")


def cost_entry_qs_for(user: Any) -> QuerySet[CostEntry]:
    return CostEntry.objects.filter(budget_line__budget__region__in=region_qs_for(user)).select_related(
        "budget_line__budget__region")


def declaration_period_qs_for(user: Any) -> QuerySet[DeclarationPeriod]:
    return DeclarationPeriod.objects.filter(region__in=region_qs_for(user)).select_related("region")


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    fields = ("position", "name", "amount")


@admin.register(Budget)
class BudgetAdmin(ScopedForeignKeysMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(budget_qs_for)
    list_display = ("region", "year", "note")
    list_filter = ("year",)
    inlines = [BudgetLineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Moving a budget with entries to another region or year would move its costs with it
        # (possibly into a closed period): region and year are fixed once it exists.
        return ("region", "year") if obj is not None else ()


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CostEntry)
class CostEntryAdmin(_ReadOnly, ScopedForeignKeysMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(cost_entry_qs_for)
    list_display = ("date", "budget_line", "category", "supplier", "amount_excl_vat", "amount_incl_vat", "declarable")
    list_filter = ("category", "declarable")
    date_hierarchy = "date"
    exclude = ("attachment",)


class DeclarationPeriodEventInline(_ReadOnly, admin.TabularInline):
    model = DeclarationPeriodEvent
    extra = 0
    fields = ("at", "from_status", "to_status", "by", "note")
    readonly_fields = fields


@admin.register(DeclarationPeriod)
class DeclarationPeriodAdmin(_ReadOnly, ScopedForeignKeysMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(declaration_period_qs_for)
    list_display = ("region", "label", "start", "end", "deadline", "status")
    list_filter = ("status",)
    inlines = [DeclarationPeriodEventInline]
