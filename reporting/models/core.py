"""Reporting: what the region sends and shows, built from dated snapshots, never from "now"."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from locations.models import LocationKind, LocationStatus, TimeStamped

__all__ = ["CapacitySnapshot", "LocationSnapshot", "DateRange", "NormRate", "TargetInputs"]

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


# --- money and targets --------------------------------------------------------------------------


class DateRange(models.Func):
    """PostgreSQL's daterange(lower, upper, bounds); a NULL upper bound is open-ended."""

    function = "DATERANGE"
    output_field = DateRangeField()


class NormRate(TimeStamped):
    """The normbedrag per realised place per day, national (the same for every region), by date.

    A dated table, never a constant: the rate changed three times in three years. Periods may not
    overlap: the database refuses it (exclusion constraint over the closed range
    [valid_from, valid_until]; an empty valid_until is open-ended), so no day can have two rates."""

    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(_("geldig tot en met"), null=True, blank=True,
                                   help_text=_("Leeg: geldt tot er een volgend normbedrag is vastgesteld."))
    amount = models.DecimalField(_("bedrag per plaats per dag (€)"), max_digits=8, decimal_places=2)
    note = models.CharField(_("bron of toelichting"), max_length=300, blank=True)

    class Meta:
        ordering = ["valid_from"]
        verbose_name = _("normbedrag")
        verbose_name_plural = _("normbedragen")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="normrate_amount_positive"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                                   name="normrate_period_not_reversed"),
            ExclusionConstraint(
                name="normrate_no_overlapping_periods",
                expressions=[(DateRange("valid_from", "valid_until", models.Value("[]")), RangeOperators.OVERLAPS)],
                violation_error_message=_("Deze periode overlapt met een bestaand normbedrag."),
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_until.isoformat() if self.valid_until else "…"
        return f"€ {self.amount} ({self.valid_from.isoformat()} – {until})"


class TargetInputs(TimeStamped):
    """The national inputs of the verdeelsleutel for one year, kept so that a target can be
    recomputed and explained afterwards. The region's own figures (Iv, Gv) are the sums of its
    municipalities' population and land area."""

    year = models.PositiveSmallIntegerField(_("jaar"), unique=True,
                                            validators=[MinValueValidator(2022), MaxValueValidator(2100)])
    national_places_asked = models.PositiveIntegerField(_("landelijk gevraagde plaatsen (On)"))
    national_population = models.PositiveIntegerField(_("inwoners Nederland (In)"))
    national_land_area_km2 = models.DecimalField(_("landoppervlakte Nederland in km² (Gn)"), max_digits=10,
                                                 decimal_places=2)
    source_note = models.CharField(_("bron"), max_length=300, blank=True,
                                   help_text=_("Bijvoorbeeld: CBS, 1 januari van het voorgaande jaar; brief van het ministerie."))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("invoer verdeelsleutel")
        verbose_name_plural = _("invoer verdeelsleutel")
        constraints = [
            models.CheckConstraint(condition=Q(national_places_asked__gt=0) & Q(national_population__gt=0)
                                   & Q(national_land_area_km2__gt=0), name="targetinputs_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: On={self.national_places_asked}"
