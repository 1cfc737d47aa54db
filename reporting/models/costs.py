"""Reporting models: costs — the region's budget per year, its cost entries, the declaration
periods to the ministry and the declaration documents built for them.

The rule that matters most: an entry whose date falls in a period that is no longer `concept`
(submitted, granted, rejected) cannot be added, changed or deleted. The services check it first
(a clear Dutch message); the database checks it again with a trigger (migration 0006), so an admin
action, a shell or a race between "submit" and "save entry" cannot slip past it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from locations.models import TimeStamped

__all__ = [
    "Budget", "BudgetLine", "CostCategory", "CostEntry", "DeclarationStatus", "DeclarationPeriod",
    "DeclarationPeriodEvent", "DeclarationDocument", "cost_attachment_path",
]

AMOUNT = {"max_digits": 12, "decimal_places": 2}


class Budget(TimeStamped):
    """The region's budget for one calendar year, made of lines (kernteam, RCVS, …)."""

    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="budgets",
                               verbose_name=_("regio"))
    year = models.PositiveSmallIntegerField(_("jaar"), validators=[MinValueValidator(2022), MaxValueValidator(2100)])
    note = models.CharField(_("toelichting"), max_length=300, blank=True)

    class Meta:
        ordering = ["region__name", "-year"]
        verbose_name = _("begroting")
        verbose_name_plural = _("begrotingen")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="budget_one_per_region_per_year")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"


class BudgetLine(TimeStamped):
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines", verbose_name=_("begroting"))
    name = models.CharField(_("begrotingspost"), max_length=120)
    amount = models.DecimalField(_("begroot bedrag (€)"), **AMOUNT)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])  # who changed the budget, when

    class Meta:
        ordering = ["budget_id", "position", "name"]
        verbose_name = _("begrotingspost")
        verbose_name_plural = _("begrotingsposten")
        constraints = [
            models.UniqueConstraint(fields=["budget", "name"], name="budgetline_name_once_per_budget"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budgetline_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.budget.year} {self.name}"


class CostCategory(models.TextChoices):
    PERSONEEL = "personeel", _("personeel")
    ICT = "ict", _("ICT")
    VERVOER = "vervoer", _("vervoer")
    HUISVESTING = "huisvesting", _("huisvesting")
    COMMUNICATIE = "communicatie", _("communicatie")
    OVERIG = "overig", _("overig")


def cost_attachment_path(instance: CostEntry, filename: str) -> str:
    """Under MEDIA_ROOT, named by a random id only: the uploader's file name (which may carry a
    supplier's or a person's name) is kept in `attachment_name`, never in the path."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"reporting/costs/{uuid.uuid4().hex}.{extension[:5]}"


class CostEntry(TimeStamped):
    """One cost of the region: an invoice or a booking. Amounts are never negative (a credit note
    is not a cost entry: the issue asks that a negative amount be refused; correct the original
    entry while its period is still concept). incl. VAT ≥ excl. VAT ≥ 0; a cost that is not
    declarable needs the reason why."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    budget_line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="entries",
                                    verbose_name=_("begrotingspost"))
    date = models.DateField(_("datum"))
    category = models.CharField(_("categorie"), max_length=20, choices=CostCategory.choices)
    supplier = models.CharField(_("leverancier"), max_length=160)
    description = models.CharField(_("omschrijving"), max_length=300)
    amount_excl_vat = models.DecimalField(_("bedrag excl. btw (€)"), **AMOUNT)
    amount_incl_vat = models.DecimalField(_("bedrag incl. btw (€)"), **AMOUNT)
    invoice_reference = models.CharField(_("factuurnummer"), max_length=80, blank=True)
    attachment = models.FileField(_("bijlage"), upload_to=cost_attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField(_("bestandsnaam bijlage"), max_length=200, blank=True)
    declarable = models.BooleanField(_("declarabel"), default=True)
    non_declarable_reason = models.CharField(_("reden niet declarabel"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("ingevoerd door"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("gewijzigd door"))

    # Every version of the entry while its period was concept (who changed an amount, and when):
    # what finance checks before a declaration is submitted.
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("kostenpost")
        verbose_name_plural = _("kostenposten")
        constraints = [
            models.CheckConstraint(condition=Q(amount_excl_vat__gte=0), name="costentry_excl_not_negative"),
            models.CheckConstraint(condition=Q(amount_incl_vat__gte=F("amount_excl_vat")),
                                   name="costentry_incl_at_least_excl"),
            models.CheckConstraint(condition=Q(declarable=True) | Q(non_declarable_reason__regex=r"\S"),
                                   name="costentry_reason_when_not_declarable"),
            models.CheckConstraint(condition=Q(category__in=CostCategory.values), name="costentry_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.supplier} € {self.amount_incl_vat}"


class DeclarationStatus(models.TextChoices):
    CONCEPT = "concept", _("concept")
    SUBMITTED = "ingediend", _("ingediend")
    GRANTED = "toegekend", _("toegekend")
    REJECTED = "afgewezen", _("afgewezen")


class DeclarationPeriod(TimeStamped):
    """A period the region declares its costs over (half years by default). Once it leaves
    `concept`, its entries are frozen (trigger in migration 0006), and so are its dates."""

    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="declaration_periods",
                               verbose_name=_("regio"))
    label = models.CharField(_("naam"), max_length=80)
    start = models.DateField(_("begin"))
    end = models.DateField(_("einde (tot en met)"))
    deadline = models.DateField(_("uiterste indiendatum"))
    status = models.CharField(_("status"), max_length=20, choices=DeclarationStatus.choices,
                              default=DeclarationStatus.CONCEPT)
    status_changed_at = models.DateTimeField(_("status gewijzigd op"), null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="+", verbose_name=_("status gewijzigd door"))

    class Meta:
        ordering = ["region__name", "start"]
        verbose_name = _("declaratieperiode")
        verbose_name_plural = _("declaratieperiodes")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="declarationperiod_not_reversed"),
            models.CheckConstraint(condition=Q(start__year=ExtractYear("end")), name="declarationperiod_within_one_year"),
            models.UniqueConstraint(fields=["region", "label"], name="declarationperiod_label_once_per_region"),
            models.CheckConstraint(condition=Q(label__regex=r"\S"), name="declarationperiod_label_not_blank"),
            models.CheckConstraint(condition=Q(status__in=DeclarationStatus.values),
                                   name="declarationperiod_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.label}"

    @property
    def is_open(self) -> bool:
        return self.status == DeclarationStatus.CONCEPT


class DeclarationPeriodEvent(models.Model):
    """Append-only: every status change of a period (who, when, from, to, why)."""

    period = models.ForeignKey(DeclarationPeriod, on_delete=models.CASCADE, related_name="events",
                               verbose_name=_("declaratieperiode"))
    from_status = models.CharField(_("van"), max_length=20, choices=DeclarationStatus.choices, blank=True)
    to_status = models.CharField(_("naar"), max_length=20, choices=DeclarationStatus.choices)
    note = models.CharField(_("toelichting"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+", verbose_name=_("door"))
    at = models.DateTimeField(_("op"))

    class Meta:
        ordering = ["period_id", "at", "pk"]
        verbose_name = _("statuswijziging declaratie")
        verbose_name_plural = _("statuswijzigingen declaratie")

    def __str__(self) -> str:
        return f"{self.period} {self.from_status or '-'} → {self.to_status}"


class DeclarationDocument(models.Model):
    """A built declaration (PDF or XLSX) of a period, kept in the database with its hash.
    `content_hash` is the sha256 of the figures it was built from: the scheduled job builds a
    new document only when they changed, so it is idempotent per period and content."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        XLSX = "xlsx", "XLSX"

    period = models.ForeignKey(DeclarationPeriod, on_delete=models.CASCADE, related_name="documents",
                               verbose_name=_("declaratieperiode"))
    kind = models.CharField(_("soort"), max_length=4, choices=Kind.choices)
    content_hash = models.CharField(_("hash van de cijfers"), max_length=64)
    sha256 = models.CharField(_("sha256 van het bestand"), max_length=64)
    content = models.BinaryField(_("bestand"))
    size = models.PositiveIntegerField(_("grootte (bytes)"))
    period_status = models.CharField(_("status bij het maken"), max_length=20, choices=DeclarationStatus.choices)
    created_at = models.DateTimeField(_("gemaakt op"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("gemaakt door"))

    class Meta:
        ordering = ["period_id", "-created_at", "kind"]
        verbose_name = _("declaratiedocument")
        verbose_name_plural = _("declaratiedocumenten")
        constraints = [
            models.UniqueConstraint(fields=["period", "kind", "content_hash"], name="declarationdocument_once_per_content"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$") & Q(content_hash__regex=r"^[0-9a-f]{64}$"),
                                   name="declarationdocument_hashes_complete"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.kind} {self.sha256[:12]}"

