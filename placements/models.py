"""Placement requests, households and placements (bed bookings), with an append-only event log.

Never double-book: a placement occupies beds through PlacementRoom rows. The database guards it
twice: Room.occupants (kept by the placement service under row locks) may not exceed the beds,
and a room given to one household can hold only one active PlacementRoom (partial unique index).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from locations.models import Location, Municipality, Region, Room, TimeStamped


class RequestSource(models.TextChoices):
    LCVS = "lcvs", _("LCVS/KCIO")
    MUNICIPALITY = "municipality", _("Gemeente")
    OWN_REGION = "own_region", _("Eigen regio")
    TRANSFER = "transfer", _("Overplaatsing")
    OTHER_REGION = "other_region", _("Andere regio")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normaal")
    HIGH = "high", _("Hoog")
    ACUTE = "acute", _("Acuut")


class RequestStatus(models.TextChoices):
    NEW = "new", _("Nieuw")
    IN_PROGRESS = "in_progress", _("In behandeling")
    RESERVED = "reserved", _("Gereserveerd")
    PLACED = "placed", _("Geplaatst")
    CANCELLED = "cancelled", _("Geannuleerd")
    FORWARDED = "forwarded", _("Doorgezet")


OPEN_REQUEST_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS, RequestStatus.RESERVED)


class PreferenceReason(models.TextChoices):
    SCHOOL = "school", _("School")
    WORK = "work", _("Werk")
    FAMILY = "family", _("Familie")
    CARE = "care", _("Zorg")
    OTHER = "other", _("Overig")


class PlacementRequest(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="placement_requests",
                               verbose_name=_("regio"))
    source = models.CharField(_("bron"), max_length=20, choices=RequestSource.choices,
                              default=RequestSource.LCVS)
    external_reference = models.CharField(_("kenmerk aanvrager"), max_length=60, blank=True)
    received_at = models.DateTimeField(_("ontvangen op"))
    requested_by_name = models.CharField(_("aangevraagd door"), max_length=120, blank=True)
    requested_by_organisation = models.CharField(_("organisatie aanvrager"), max_length=120, blank=True)
    requested_by_phone = models.CharField(_("telefoon aanvrager"), max_length=20, blank=True)
    urgency = models.CharField(_("urgentie"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    expected_arrival = models.DateTimeField(_("verwachte aankomst"))
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices,
                              default=RequestStatus.NEW)

    pets_kind = models.CharField(_("soort huisdier(en)"), max_length=60, blank=True)
    pets_count = models.PositiveSmallIntegerField(_("aantal huisdieren"), default=0,
                                                  validators=[MaxValueValidator(10)])
    needs_wheelchair = models.BooleanField(_("rolstoel"), default=False)
    reduced_mobility = models.BooleanField(
        _("beperkt mobiel"), default=False, help_text=_("Geen trappen en geen bovenste stapelbed."))
    care_need = models.BooleanField(
        _("zorgbehoefte"), default=False,
        help_text=_("Alleen aanvinken; details horen in de casuïstiek, niet hier."))
    own_transport = models.BooleanField(_("eigen vervoer"), default=False)
    preferred_municipality = models.ForeignKey(Municipality, on_delete=models.SET_NULL, null=True, blank=True,
                                               related_name="+", verbose_name=_("voorkeursgemeente"))
    preference_reason = models.CharField(_("reden voorkeur"), max_length=20, choices=PreferenceReason.choices,
                                         blank=True)
    notes = models.TextField(_("opmerkingen"), blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("aangemaakt door"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("in behandeling bij"))

    class Meta:
        ordering = ["received_at"]
        verbose_name = _("plaatsingsverzoek")
        verbose_name_plural = _("plaatsingsverzoeken")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=RequestStatus.values), name="request_status_valid"),
            models.CheckConstraint(condition=Q(source__in=RequestSource.values), name="request_source_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="request_urgency_valid"),
            models.CheckConstraint(condition=Q(pets_count=0) | ~Q(pets_kind=""), name="request_pets_have_kind",
                                   violation_error_message=_("Vul de soort huisdier in.")),
            models.CheckConstraint(
                condition=Q(preferred_municipality__isnull=True) | ~Q(preference_reason=""),
                name="request_preference_has_reason",
                violation_error_message=_("Geef een reden voor de voorkeursgemeente.")),
        ]
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return _("Verzoek %(ref)s") % {"ref": str(self.uuid)[:8]}


class Sex(models.TextChoices):
    FEMALE = "f", _("Vrouw")
    MALE = "m", _("Man")
    OTHER = "x", _("Anders / onbekend")


class Relation(models.TextChoices):
    MAIN = "main", _("Hoofdaanvrager")
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Kind")
    PARENT = "parent", pgettext_lazy("relatie", "Ouder")
    SIBLING = "sibling", _("Broer/zus")
    OTHER = "other", _("Overig familielid")


class HouseholdMember(TimeStamped):
    """A person in a placement request. Only what placing needs: no health data here."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(PlacementRequest, on_delete=models.CASCADE, related_name="members",
                                verbose_name=_("verzoek"))
    first_name = models.CharField(_("voornaam"), max_length=80)
    last_name = models.CharField(_("achternaam"), max_length=80)
    date_of_birth = models.DateField(_("geboortedatum"))
    sex = models.CharField(_("geslacht"), max_length=1, choices=Sex.choices)
    nationality = models.CharField(_("nationaliteit"), max_length=40, default="Oekraïens")
    relation = models.CharField(_("relatie tot hoofdaanvrager"), max_length=20, choices=Relation.choices)
    v_number = models.CharField(_("V-nummer"), max_length=10, blank=True,
                                validators=[RegexValidator(r"^[0-9]{10}$", _("Een V-nummer heeft 10 cijfers."))])
    bsn = models.CharField(_("BSN"), max_length=9, blank=True,
                           validators=[RegexValidator(r"^[0-9]{9}$", _("Een BSN heeft 9 cijfers."))])
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["request_id", "position", "pk"]
        verbose_name = _("gezinslid")
        verbose_name_plural = _("gezinsleden")
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=Q(relation="main"),
                                    name="member_one_main_applicant",
                                    violation_error_message=_("Een huishouden heeft één hoofdaanvrager.")),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="member_sex_valid"),
            models.CheckConstraint(condition=Q(relation__in=Relation.values), name="member_relation_valid"),
        ]
        indexes = [models.Index(fields=["last_name", "date_of_birth"]), models.Index(fields=["v_number"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        return years - ((day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day))

    def is_infant_on(self, day: dt.date) -> bool:
        """A zuigeling: younger than settings.PLACEMENT_INFANT_MONTHS months on the given day."""
        months = (day.year - self.date_of_birth.year) * 12 + day.month - self.date_of_birth.month
        if day.day < self.date_of_birth.day:
            months -= 1
        return months < settings.PLACEMENT_INFANT_MONTHS


class PlacementStatus(models.TextChoices):
    RESERVED = "reserved", _("Gereserveerd")
    CONFIRMED = "confirmed", _("Bevestigd")
    ARRIVED = "arrived", _("Aangekomen")
    DEPARTED = "departed", _("Vertrokken")
    RELEASED = "released", _("Vrijgegeven")


# Statuses in which a placement holds beds: they count as occupied in capacity at once.
ACTIVE_PLACEMENT_STATUSES = (PlacementStatus.RESERVED, PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED)


class DepartureReason(models.TextChoices):
    TRANSFER = "transfer", _("Overplaatsing")
    OWN_HOUSING = "own_housing", _("Eigen woonruimte")
    RETURN_UKRAINE = "return_ukraine", _("Terug naar Oekraïne")
    UNKNOWN = "unknown", _("Vertrokken met onbekende bestemming")
    OTHER = "other", _("Overig")


class Placement(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    request = models.ForeignKey(PlacementRequest, on_delete=models.PROTECT, related_name="placements",
                                verbose_name=_("verzoek"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="placements",
                                 verbose_name=_("locatie"))
    status = models.CharField(_("status"), max_length=20, choices=PlacementStatus.choices,
                              default=PlacementStatus.RESERVED)
    persons = models.PositiveSmallIntegerField(_("personen"), validators=[MinValueValidator(1)])
    reserved_at = models.DateTimeField(_("gereserveerd op"))
    reserved_until = models.DateTimeField(_("reservering geldig tot"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("aangekomen op"), null=True, blank=True)
    departed_on = models.DateField(_("vertrokken op"), null=True, blank=True)
    departure_reason = models.CharField(_("reden vertrek"), max_length=20, choices=DepartureReason.choices,
                                        blank=True)
    departure_note = models.CharField(_("toelichting vertrek"), max_length=200, blank=True)
    transferred_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="transferred_to", verbose_name=_("overgeplaatst van"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("geplaatst door"))

    class Meta:
        ordering = ["-reserved_at"]
        verbose_name = _("plaatsing")
        verbose_name_plural = _("plaatsingen")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlacementStatus.values), name="placement_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=PlacementStatus.DEPARTED) | (Q(departed_on__isnull=False) & ~Q(departure_reason="")),
                name="placement_departure_complete"),
            # One household holds beds at one location at a time.
            models.UniqueConstraint(fields=["request"], condition=Q(status__in=ACTIVE_PLACEMENT_STATUSES),
                                    name="placement_one_active_per_request"),
        ]
        indexes = [models.Index(fields=["status", "reserved_until"]), models.Index(fields=["location", "status"])]

    def __str__(self) -> str:
        return f"{self.request} → {self.location.name}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_PLACEMENT_STATUSES


class PlacementRoom(models.Model):
    """The beds a placement uses in one room. `active` and `exclusive` are copies kept by the
    service so that the database itself can forbid a second household in a household room."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="rooms",
                                  verbose_name=_("plaatsing"))
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="placement_rooms",
                             verbose_name=_("kamer"))
    persons = models.PositiveSmallIntegerField(_("personen"), validators=[MinValueValidator(1), MaxValueValidator(6)])
    active = models.BooleanField(default=True)
    exclusive = models.BooleanField(default=True, help_text=_("Kamer voor één huishouden"))

    class Meta:
        ordering = ["placement_id", "room_id"]
        verbose_name = _("kamer van plaatsing")
        verbose_name_plural = _("kamers van plaatsing")
        constraints = [
            models.UniqueConstraint(fields=["room"], condition=Q(active=True, exclusive=True),
                                    name="placementroom_one_household_per_room"),
            models.UniqueConstraint(fields=["placement", "room"], name="placementroom_unique_room_per_placement"),
            models.CheckConstraint(condition=Q(persons__gte=1) & Q(persons__lte=6), name="placementroom_persons_1_6"),
        ]

    def __str__(self) -> str:
        return f"{self.room_id}: {self.persons}"


class PlacementEvent(models.Model):
    """Append-only: every step of a request or placement — who, when, from, to, why."""

    class Kind(models.TextChoices):
        REQUEST_CREATED = "request_created", _("Verzoek ontvangen")
        REQUEST_STATUS = "request_status", _("Status verzoek gewijzigd")
        RESERVED = "reserved", _("Gereserveerd")
        CONFIRMED = "confirmed", _("Bevestigd")
        ARRIVED = "arrived", _("Aangekomen")
        DEPARTED = "departed", _("Vertrokken")
        RELEASED = "released", _("Reservering vrijgegeven")
        EXPIRED = "expired", _("Reservering verlopen")
        TRANSFERRED = "transferred", _("Overgeplaatst")
        SWAPPED = "swapped", _("Geruild")
        FORWARDED = "forwarded", _("Doorgezet naar andere regio")
        MAIL_SENT = "mail_sent", _("Bericht aan locatie verstuurd")
        TRANSFER_REQUESTED = "transfer_requested", _("Overplaatsing gevraagd")
        TRANSFER_REQUEST_CANCELLED = "transfer_request_cancelled", _("Aanvraag overplaatsing ingetrokken")

    request = models.ForeignKey(PlacementRequest, on_delete=models.CASCADE, related_name="events")
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("gebeurtenis")
        verbose_name_plural = _("gebeurtenissen")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class SupraRegionalStatus(models.TextChoices):
    DRAFT = "draft", _("Concept")
    SENT = "sent", _("Verzonden")
    ACCEPTED = "accepted", _("Geaccepteerd")
    PLACED_ELSEWHERE = "placed_elsewhere", _("Elders geplaatst")
    REJECTED = "rejected", _("Afgewezen")


class SupraRegionalRequest(TimeStamped):
    """A bovenregionale verplaatsing: asked at the national coordination (KCIO) when nothing fits
    in the region, or received from another region. Carries only what the receiving side needs;
    names only when the user adds them on purpose."""

    class Direction(models.TextChoices):
        OUTGOING = "outgoing", _("Uitgaand")
        INCOMING = "incoming", _("Inkomend")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="supra_regional_requests")
    request = models.ForeignKey(PlacementRequest, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="supra_regional_requests")
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.OUTGOING)
    counterpart = models.CharField(_("andere regio / KCIO"), max_length=120, default="KCIO")
    status = models.CharField(_("status"), max_length=20, choices=SupraRegionalStatus.choices,
                              default=SupraRegionalStatus.SENT)
    household_size = models.PositiveSmallIntegerField(_("aantal personen"), validators=[MinValueValidator(1)])
    composition = models.JSONField(_("samenstelling naar leeftijd"), default=dict)
    needs = models.JSONField(_("behoeften"), default=dict)
    earliest_date = models.DateField(_("vroegste datum"))
    contact_name = models.CharField(_("contactpersoon"), max_length=120)
    contact_phone = models.CharField(_("telefoon"), max_length=20)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    names = models.TextField(_("namen (alleen als bewust toegevoegd)"), blank=True)
    note = models.TextField(_("toelichting"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bovenregionaal verzoek")
        verbose_name_plural = _("bovenregionale verzoeken")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SupraRegionalStatus.values), name="supra_status_valid"),
        ]

    def __str__(self) -> str:
        return _("%(counterpart)s: %(n)s pers. (%(status)s)") % {
            "counterpart": self.counterpart, "n": self.household_size, "status": self.get_status_display()}


class TransferKind(models.TextChoices):
    TRANSFER = "transfer", _("Overplaatsing")
    SWAP = "swap", _("Ruil")


class TransferOrigin(models.TextChoices):
    CASE = "case", _("Casus")
    OTHER = "other", _("Overig")


class TransferRequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Uitgevoerd")
    CANCELLED = "cancelled", _("Ingetrokken")


# One word of lower-case letters, digits and underscores: a category code, never a sentence.
REASON_CATEGORY_PATTERN = r"^[a-z0-9_]{1,40}$"


class TransferRequest(TimeStamped):
    """Someone (a coordinator or mental coach working on a case) asks the belteam to move a
    household: an overplaatsing or a ruil. It carries a reason *category* only — a code such as
    "overlast" — and no free text at all, because the belteam that carries it out may never
    see case content. The case it came from is linked from the casework side (CaseTransfer);
    placements does not know casework (see placements/origins.py for how the link is shown).

    While a request is open, the belteam may carry out a transfer or swap of that placement
    (normally the coordinators' work); carrying it out marks the request done in the same
    transaction."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="transfer_requests",
                                  verbose_name=_("plaatsing"))
    kind = models.CharField(_("soort"), max_length=10, choices=TransferKind.choices, default=TransferKind.TRANSFER)
    reason_category = models.CharField(_("reden (categorie)"), max_length=40,
                                       validators=[RegexValidator(REASON_CATEGORY_PATTERN)])
    origin = models.CharField(_("gevraagd vanuit"), max_length=10, choices=TransferOrigin.choices,
                              default=TransferOrigin.OTHER)
    status = models.CharField(_("status"), max_length=10, choices=TransferRequestStatus.choices,
                              default=TransferRequestStatus.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("gevraagd door"))
    done_at = models.DateTimeField(_("uitgevoerd op"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("uitgevoerd door"))
    result_placement = models.ForeignKey(Placement, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("nieuwe plaatsing"))
    cancelled_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("ingetrokken door"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("aanvraag overplaatsing")
        verbose_name_plural = _("aanvragen overplaatsing")
        constraints = [
            models.UniqueConstraint(fields=["placement"], condition=Q(status="open"),
                                    name="transferrequest_one_open_per_placement",
                                    violation_error_message=_("Voor deze plaatsing loopt al een aanvraag.")),
            models.CheckConstraint(condition=Q(kind__in=TransferKind.values), name="transferrequest_kind_valid"),
            models.CheckConstraint(condition=Q(origin__in=TransferOrigin.values),
                                   name="transferrequest_origin_valid"),
            models.CheckConstraint(condition=Q(status__in=TransferRequestStatus.values),
                                   name="transferrequest_status_valid"),
            models.CheckConstraint(condition=Q(reason_category__regex=REASON_CATEGORY_PATTERN),
                                   name="transferrequest_reason_is_a_code"),
            # Open has no outcome; done has when and where to; cancelled has when.
            models.CheckConstraint(
                condition=(Q(status="open") & Q(done_at__isnull=True) & Q(result_placement__isnull=True)
                           & Q(cancelled_at__isnull=True))
                | (Q(status="done") & Q(done_at__isnull=False) & Q(result_placement__isnull=False)
                   & Q(cancelled_at__isnull=True))
                | (Q(status="cancelled") & Q(cancelled_at__isnull=False) & Q(done_at__isnull=True)),
                name="transferrequest_outcome_complete"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return _("%(kind)s gevraagd (%(status)s)") % {"kind": self.get_kind_display(),
                                                     "status": self.get_status_display()}

    @property
    def is_open(self) -> bool:
        return self.status == TransferRequestStatus.OPEN

    @property
    def reason_label(self) -> str:
        """The code as a word for the screen: "lichamelijke_beperking" → "lichamelijke beperking"."""
        return self.reason_category.replace("_", " ")
