"""The registry: regions, municipalities, reception locations, their rooms and contacts.

Capacity is never stored as a typed number: it is computed from rooms (see selectors.py).
The one stored count, `Room.occupants`, is written only by the placement service and checked
by the database (0 <= occupants <= beds, nobody in a blocked room).
"""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

POSTCODE_RE = r"^[1-9][0-9]{3} ?[A-Z]{2}$"
postcode_validator = RegexValidator(POSTCODE_RE, _("Voer een geldige postcode in, bijvoorbeeld 9401 AB."))
cbs_code_validator = RegexValidator(r"^GM[0-9]{4}$", _("Een CBS-gemeentecode heeft de vorm GM0106."))


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        abstract = True


class Region(TimeStamped):
    """A samenwerkingsverband: the unit that scopes all data and all users."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("naam"), max_length=120, unique=True)
    single_men_to_transit = models.BooleanField(
        _("alleenstaande mannen naar doorstroomlocatie"), default=False,
        help_text=_("Alleenreizende mannen worden alleen op een doorstroomlocatie geplaatst, als de regio "
                    "daarvoor kiest."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("regio")
        verbose_name_plural = _("regio's")

    def __str__(self) -> str:
        return self.name


class Municipality(TimeStamped):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="municipalities",
                               verbose_name=_("regio"))
    cbs_code = models.CharField(_("CBS-code"), max_length=6, unique=True, validators=[cbs_code_validator])
    name = models.CharField(_("naam"), max_length=120)
    population = models.PositiveIntegerField(_("inwoners op 1 januari"))
    population_year = models.PositiveSmallIntegerField(
        _("peiljaar inwoners"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    land_area_km2 = models.DecimalField(_("landoppervlakte (km²)"), max_digits=8, decimal_places=2)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("gemeente")
        verbose_name_plural = _("gemeenten")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="municipality_unique_name_per_region"),
            models.CheckConstraint(condition=Q(land_area_km2__gt=0), name="municipality_area_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class MunicipalityPopulation(TimeStamped):
    """A municipality's population on 1 January of a year (CBS), kept per year: the verdeelsleutel
    of year Y reads the figures of Y−1, the split of year Y's non-declarable costs those of Y, so
    one "current" figure on the municipality cannot serve both. The municipality's own
    population/population_year stays the figure the registry shows (and counts as that year's
    figure when the table has none)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="populations",
                                     verbose_name=_("gemeente"))
    year = models.PositiveSmallIntegerField(_("jaar (1 januari)"),
                                            validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    population = models.PositiveIntegerField(_("inwoners op 1 januari"))
    source = models.CharField(_("bron"), max_length=200, blank=True, help_text=_("Bijvoorbeeld: CBS Statline."))

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["municipality__name", "-year"]
        verbose_name = _("inwonertal op 1 januari")
        verbose_name_plural = _("inwonertallen op 1 januari")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="municipalitypopulation_once_per_year"),
            models.CheckConstraint(condition=Q(population__gt=0), name="municipalitypopulation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} {self.year}: {self.population}"


class LocationKind(models.TextChoices):
    GOO = "goo", _("GOO")
    PARTICULIER = "particulier", _("Particulier")
    DOORSTROOM = "doorstroom", _("Doorstroomlocatie")
    INTAKE_24H = "intake_24h", _("24-uurs intake")
    CRISIS = "crisis", _("Crisisnoodopvang")


class LocationStatus(models.TextChoices):
    PREPARING = "preparing", _("In voorbereiding")
    OPEN = "open", _("Open")
    CLOSING = "closing", _("Sluit")
    CLOSED = "closed", _("Gesloten")


# Beds of locations in these states are realised (built and usable); see README, "Capacity".
REALISED_STATUSES = (LocationStatus.OPEN, LocationStatus.CLOSING)


class Location(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="locations",
                                     verbose_name=_("gemeente"))
    code = models.CharField(
        _("locatiecode"), max_length=20, unique=True,
        validators=[RegexValidator(r"^[A-Z0-9][A-Z0-9-]*$", _("Alleen hoofdletters, cijfers en '-'."))],
        help_text=_("Vaste code van de locatie, bijvoorbeeld ASS-003; gebruikt bij import en export."),
    )
    name = models.CharField(_("naam"), max_length=160)
    street = models.CharField(_("straat en huisnummer"), max_length=160)
    postcode = models.CharField(_("postcode"), max_length=7, validators=[postcode_validator])
    place = models.CharField(_("plaats"), max_length=120)
    latitude = models.DecimalField(_("breedtegraad"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("lengtegraad"), max_digits=8, decimal_places=5, null=True, blank=True)
    kind = models.CharField(_("soort"), max_length=20, choices=LocationKind.choices, default=LocationKind.GOO)
    status = models.CharField(_("status"), max_length=20, choices=LocationStatus.choices,
                              default=LocationStatus.OPEN)
    opening_date = models.DateField(_("openingsdatum"), null=True, blank=True)
    end_date = models.DateField(_("einddatum"), null=True, blank=True)

    suitable_infants = models.BooleanField(_("geschikt voor zuigelingen"), default=False)
    suitable_pets = models.BooleanField(_("geschikt voor huisdieren"), default=False)
    suitable_wheelchair = models.BooleanField(_("geschikt voor rolstoel"), default=False)
    suitable_care = models.BooleanField(_("geschikt voor zorgbehoefte"), default=False)
    has_stairs = models.BooleanField(_("traplopen"), default=False)
    has_bunk_beds = models.BooleanField(_("stapelbedden"), default=False)
    is_remote = models.BooleanField(_("afgelegen (eigen vervoer nodig)"), default=False)
    intake_24_7 = models.BooleanField(_("24/7 intake"), default=False)

    target_families = models.BooleanField(_("doelgroep gezinnen"), default=True)
    target_singles = models.BooleanField(_("doelgroep alleenreizenden"), default=True)
    target_single_men = models.BooleanField(_("doelgroep alleenstaande mannen"), default=False)

    notes = models.TextField(_("opmerkingen"), blank=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("locatie")
        verbose_name_plural = _("locaties")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(opening_date__isnull=True) | Q(end_date__gte=F("opening_date")),
                name="location_end_not_before_opening",
                violation_error_message=_("De einddatum mag niet voor de openingsdatum liggen."),
            ),
            models.CheckConstraint(condition=Q(kind__in=LocationKind.values), name="location_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=LocationStatus.values), name="location_status_valid"),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90) & Q(latitude__lte=90) & Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="location_coordinates_valid",
                violation_error_message=_("Vul beide coördinaten in, binnen het geldige bereik, of geen van beide."),
            ),
        ]
        indexes = [models.Index(fields=["end_date"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"

    @property
    def is_realised(self) -> bool:
        return self.status in REALISED_STATUSES

    def primary_contact(self) -> ContactPerson | None:
        """Whom to call about this location: the first point of contact, else the first by name
        (ContactPerson's default ordering says exactly that)."""
        return self.contacts.first()


class ContactPerson(TimeStamped):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="contacts",
                                 verbose_name=_("locatie"))
    name = models.CharField(_("naam"), max_length=120)
    function = models.CharField(_("functie"), max_length=120, blank=True)
    phone = models.CharField(
        _("telefoon"), max_length=20,
        validators=[RegexValidator(r"^\+?[0-9 ()-]{8,20}$", _("Voer een geldig telefoonnummer in."))],
    )
    email = models.EmailField(_("e-mail"), blank=True)
    is_primary = models.BooleanField(_("eerste aanspreekpunt"), default=False)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["-is_primary", "name"]
        verbose_name = _("contactpersoon")
        verbose_name_plural = _("contactpersonen")

    def __str__(self) -> str:
        return self.name


class RoomOccupancy(models.TextChoices):
    HOUSEHOLD = "household", _("Eén huishouden")
    SHARED = "shared", _("Gedeeld (alleenreizenden)")


class RoomState(models.TextChoices):
    AVAILABLE = "available", _("Beschikbaar")
    BLOCKED = "blocked", _("Geblokkeerd")


class Room(TimeStamped):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms",
                                 verbose_name=_("locatie"))
    number = models.CharField(_("kamernummer"), max_length=20)
    floor = models.SmallIntegerField(_("verdieping"), default=0,
                                     validators=[MinValueValidator(-2), MaxValueValidator(40)])
    beds = models.PositiveSmallIntegerField(_("bedden"), validators=[MinValueValidator(1), MaxValueValidator(6)])
    bunk_beds = models.PositiveSmallIntegerField(_("waarvan in stapelbed"), default=0)
    step_free = models.BooleanField(_("bereikbaar zonder trap"), default=False)
    wheelchair_accessible = models.BooleanField(_("rolstoeltoegankelijk"), default=False)
    occupancy = models.CharField(_("gebruik"), max_length=20, choices=RoomOccupancy.choices,
                                 default=RoomOccupancy.HOUSEHOLD)
    state = models.CharField(_("staat"), max_length=20, choices=RoomState.choices, default=RoomState.AVAILABLE)
    blocked_reason = models.CharField(_("reden blokkade"), max_length=200, blank=True)
    blocked_until = models.DateField(_("geblokkeerd tot"), null=True, blank=True)
    # Persons staying in the room now. Written only by the placement service under a row lock;
    # a periodic job reconciles it with the placements.
    occupants = models.PositiveSmallIntegerField(_("bewoners"), default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["location_id", "floor", "number"]
        verbose_name = _("kamer")
        verbose_name_plural = _("kamers")
        constraints = [
            models.UniqueConstraint(fields=["location", "number"], name="room_unique_number_per_location",
                                    violation_error_message=_("Deze locatie heeft al een kamer met dit nummer.")),
            models.CheckConstraint(condition=Q(beds__gte=1) & Q(beds__lte=6), name="room_beds_1_to_6",
                                   violation_error_message=_("Een kamer heeft 1 tot en met 6 bedden.")),
            models.CheckConstraint(condition=Q(bunk_beds__lte=F("beds")), name="room_bunks_within_beds",
                                   violation_error_message=_("Er zijn meer stapelbedden dan bedden.")),
            models.CheckConstraint(condition=Q(occupants__lte=F("beds")), name="room_not_overbooked"),
            models.CheckConstraint(
                condition=Q(state=RoomState.AVAILABLE) | Q(occupants=0), name="room_blocked_is_empty",
                violation_error_message=_("Een kamer met bewoners kan niet worden geblokkeerd."),
            ),
            models.CheckConstraint(
                condition=Q(state=RoomState.AVAILABLE) | ~Q(blocked_reason=""), name="room_blocked_has_reason",
                violation_error_message=_("Geef een reden voor de blokkade."),
            ),
            models.CheckConstraint(condition=Q(state__in=RoomState.values), name="room_state_valid"),
            models.CheckConstraint(condition=Q(occupancy__in=RoomOccupancy.values), name="room_occupancy_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.location.name} – {self.number}"

    @property
    def is_blocked(self) -> bool:
        return self.state == RoomState.BLOCKED
