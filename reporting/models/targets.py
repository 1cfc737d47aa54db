"""Reporting models: the edited split of a region's target over its municipalities.

Without a TargetSplit for (region, year) the region's target is split by population
(reporting.targets.municipality_targets). Staff may edit it: the edited parts are stored here with
the region target they were made against (`region_places`), so a later change of the inputs (a
new On, new CBS figures) is noticed instead of silently keeping parts that no longer add up.
The database refuses parts that do not add up to `region_places` and a part of a municipality of
another region (a deferred constraint trigger, migration 0005), whoever writes them.
Every edit and every return to the default split writes a TargetSplitEvent (history is data).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from locations.models import TimeStamped

__all__ = ["TargetSplit", "TargetSplitPart", "TargetSplitEvent", "TargetSplitAction"]


class TargetSplit(TimeStamped):
    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="target_splits",
                               verbose_name=_("regio"))
    year = models.PositiveSmallIntegerField(_("jaar"))
    region_places = models.PositiveIntegerField(
        _("taakstelling regio"), help_text=_("De taakstelling van de regio waartegen deze verdeling is gemaakt."))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("aangepast door"))

    class Meta:
        ordering = ["region__name", "-year"]
        verbose_name = _("aangepaste verdeling taakstelling")
        verbose_name_plural = _("aangepaste verdelingen taakstelling")
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="targetsplit_one_per_region_year"),
            models.CheckConstraint(condition=Q(year__gte=2022) & Q(year__lte=2100), name="targetsplit_year_range"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.year}: {self.region_places}"


class TargetSplitPart(models.Model):
    split = models.ForeignKey(TargetSplit, on_delete=models.CASCADE, related_name="parts",
                              verbose_name=_("verdeling"))
    municipality = models.ForeignKey("locations.Municipality", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("gemeente"))
    places = models.PositiveIntegerField(_("plaatsen"))

    class Meta:
        ordering = ["split_id", "municipality__cbs_code"]
        verbose_name = _("deel van de verdeling")
        verbose_name_plural = _("delen van de verdeling")
        constraints = [
            models.UniqueConstraint(fields=["split", "municipality"], name="targetsplitpart_once_per_municipality"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.places}"


class TargetSplitAction(models.TextChoices):
    SET = "set", _("aangepast")
    RESET = "reset", _("terug naar de standaardverdeling")


class TargetSplitEvent(models.Model):
    """Append-only: who changed the split of which region and year, when, to what (figures per CBS
    code only)."""

    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("regio"))
    year = models.PositiveSmallIntegerField(_("jaar"))
    action = models.CharField(_("actie"), max_length=10, choices=TargetSplitAction.choices)
    region_places = models.PositiveIntegerField(_("taakstelling regio"))
    parts = models.JSONField(_("verdeling"), default=dict, blank=True,
                             help_text=_("Plaatsen per CBS-code; leeg bij terug naar de standaardverdeling."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("door"))
    created_at = models.DateTimeField(_("op"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("wijziging verdeling taakstelling")
        verbose_name_plural = _("wijzigingen verdeling taakstelling")

    def __str__(self) -> str:
        return f"{self.region} {self.year} {self.action}"
