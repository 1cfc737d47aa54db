"""Reporting: what the region sends and shows, built from dated snapshots, never from "now"."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from locations.models import LocationKind, LocationStatus

# --- daily capacity snapshots (KCIO) ----------------------------------------------------------


class CapacitySnapshot(models.Model):
    """The region's capacity per location as it stood when the snapshot was taken, stamped with
    the day it reports on (`as_of`). One per region and day: taking it again for the same day
    returns this one, so the day's KCIO export gives the same numbers however often it is built."""

    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="capacity_snapshots",
                               verbose_name=_("regio"))
    as_of = models.DateField(_("peildatum"))
    taken_at = models.DateTimeField(_("vastgelegd op"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("vastgelegd door"))

    class Meta:
        ordering = ["region__name", "-as_of"]
        verbose_name = _("capaciteitsmomentopname")
        verbose_name_plural = _("capaciteitsmomentopnamen")
        constraints = [
            models.UniqueConstraint(fields=["region", "as_of"], name="capacitysnapshot_one_per_region_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.as_of.isoformat()}"


class LocationSnapshot(models.Model):
    """One location's line in a snapshot. Every field the KCIO receives is copied, so a later
    edit (or removal) of the location does not change what was reported. The database refuses
    any UPDATE (migration 0001), except the FK to the location going to NULL when it is deleted."""

    snapshot = models.ForeignKey(CapacitySnapshot, on_delete=models.CASCADE, related_name="locations",
                                 verbose_name=_("momentopname"))
    location = models.ForeignKey("locations.Location", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("locatie"))
    municipality_cbs_code = models.CharField(_("CBS-code gemeente"), max_length=6)
    municipality_name = models.CharField(_("gemeente"), max_length=120)
    location_code = models.CharField(_("locatiecode"), max_length=20)
    location_name = models.CharField(_("naam locatie"), max_length=160)
    street = models.CharField(_("straat en huisnummer"), max_length=160)
    postcode = models.CharField(_("postcode"), max_length=7)
    place = models.CharField(_("plaats"), max_length=120)
    kind = models.CharField(_("soort"), max_length=20, choices=LocationKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=LocationStatus.choices)
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    suitable_infants = models.BooleanField(_("geschikt voor zuigelingen"))
    suitable_pets = models.BooleanField(_("geschikt voor huisdieren"))
    suitable_wheelchair = models.BooleanField(_("geschikt voor rolstoel"))
    intake_24_7 = models.BooleanField(_("24/7 intake"))
    realised = models.PositiveIntegerField(_("gerealiseerd"))
    occupied = models.PositiveIntegerField(_("bezet"))
    available = models.PositiveIntegerField(_("beschikbaar"))
    snijverlies = models.PositiveIntegerField(_("snijverlies"))
    out_of_service = models.PositiveIntegerField(_("buiten gebruik"))
    planned = models.PositiveIntegerField(_("gepland"))

    class Meta:
        ordering = ["snapshot_id", "municipality_name", "location_name", "location_code"]
        verbose_name = _("locatie in momentopname")
        verbose_name_plural = _("locaties in momentopname")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "location_code"], name="locationsnapshot_code_once"),
            models.CheckConstraint(
                condition=Q(realised=F("occupied") + F("available") + F("snijverlies") + F("out_of_service")),
                name="locationsnapshot_capacity_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.location_code}"
