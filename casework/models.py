"""Casework: cases about residents, their timeline, referrals, shares and the read log.

Special-category data (health and the like, AVG art. 9) lives only in `CaseEntryVersion.text`
of entries marked `special_category`, and possibly in `Referral.note`/`rejection_reason` and
`Case.closed_note`. None of those is ever copied into a history table: entries and versions have
no simple-history at all, and the historised models exclude those free-text fields.

Location and municipality of a case are not stored: they follow from the household's active
placement (see selectors.case_qs_for), so a transfer moves the case with the household.

`CaseAccess` is the read log. The database itself keeps it append-only (triggers installed by
migration 0002): no UPDATE, no TRUNCATE, and DELETE only of rows older than the cutoff the
retention service sets with `SET LOCAL rcvs.retention_cutoff` inside its own transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from locations.models import Region, TimeStamped
from placements.models import HouseholdMember, PlacementRequest, TransferRequest, Urgency


class CaseCategory(TimeStamped):
    """A configurable category. In a special category (health, trauma, substance use, care)
    entries default to special-category data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("naam"), max_length=120)
    special_category = models.BooleanField(
        _("bijzondere persoonsgegevens"), default=False,
        help_text=_("Aantekeningen in casussen van deze categorie zijn standaard bijzondere persoonsgegevens."))
    active = models.BooleanField(_("actief"), default=True)
    position = models.PositiveSmallIntegerField(_("volgorde"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("casuscategorie")
        verbose_name_plural = _("casuscategorieën")

    def __str__(self) -> str:
        return self.name


class LegalBasis(TimeStamped):
    """The legal basis for processing special-category data in a region: the mandate of the
    municipalities under articles 6 and 7 of the Tw Oek. Without one valid on a day, no
    special-category entry can be stored for that region on that day."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="legal_bases",
                               verbose_name=_("regio"))
    description = models.CharField(_("omschrijving"), max_length=300,
                                   default="Mandaat gemeenten o.g.v. art. 6 en 7 Tw Oek")
    reference = models.CharField(_("besluit / kenmerk"), max_length=120)
    valid_from = models.DateField(_("geldig vanaf"))
    valid_until = models.DateField(_("geldig tot en met"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("vastgelegd door"))

    class Meta:
        ordering = ["region_id", "-valid_from"]
        verbose_name = _("grondslag")
        verbose_name_plural = _("grondslagen")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                                   name="legalbasis_period_valid",
                                   violation_error_message=_("De einddatum ligt voor de begindatum.")),
            models.CheckConstraint(condition=~Q(reference=""), name="legalbasis_has_reference",
                                   violation_error_message=_("Vul het besluit of kenmerk in.")),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.reference}"


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_behandeling", _("In behandeling")
    REFERRED = "doorverwezen", _("Doorverwezen")
    CLOSED = "afgesloten", _("Afgesloten")


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.REFERRED)


class ClosedReason(models.TextChoices):
    RESOLVED = "opgelost", _("Opgelost")
    REFERRED_DONE = "overgedragen", _("Overgedragen aan zorg of hulpverlening")
    LEFT = "vertrokken", _("Bewoner vertrokken uit de regio")
    NO_ACTION = "geen_actie", _("Geen actie nodig")
    OTHER = "overig", _("Overig")


class Case(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cases", verbose_name=_("regio"))
    number = models.CharField(_("nummer"), max_length=20)
    household = models.ForeignKey(PlacementRequest, on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("huishouden"))
    subject = models.ForeignKey(HouseholdMember, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="cases", verbose_name=_("bewoner"),
                                help_text=_("Leeg: de casus gaat over het hele huishouden."))
    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="cases",
                                 verbose_name=_("categorie"))
    urgency = models.CharField(_("urgentie"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    closed_reason = models.CharField(_("reden afsluiten"), max_length=20, choices=ClosedReason.choices, blank=True)
    # Free text: may say more than it should, so it is kept out of the history table.
    closed_note = models.TextField(_("toelichting afsluiten"), blank=True)
    closed_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="owned_cases", verbose_name=_("eigenaar"))
    co_workers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_worked_cases",
                                        verbose_name=_("medewerkers"))
    follow_up_on = models.DateField(_("opvolgen op"), null=True, blank=True)
    summary = models.CharField(
        _("titel"), max_length=200,
        help_text=_("Een neutrale titel, zonder gezondheidsgegevens of andere bijzondere persoonsgegevens."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("aangemaakt door"))
    assigned_at = models.DateTimeField(_("eigenaar gewijzigd op"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("laatste activiteit"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["closed_note"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("casus")
        verbose_name_plural = _("casussen")
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="case_number_unique_per_region"),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_status_valid"),
            models.CheckConstraint(condition=Q(urgency__in=Urgency.values), name="case_urgency_valid"),
            models.CheckConstraint(condition=Q(closed_reason="") | Q(closed_reason__in=ClosedReason.values),
                                   name="case_closed_reason_valid"),
            # Closed exactly when it has a reason and a moment; an open case has neither.
            models.CheckConstraint(
                condition=(Q(status=CaseStatus.CLOSED) & ~Q(closed_reason="") & Q(closed_at__isnull=False))
                | (~Q(status=CaseStatus.CLOSED) & Q(closed_reason="") & Q(closed_at__isnull=True)),
                name="case_closed_complete",
                violation_error_message=_("Een afgesloten casus heeft een reden en een datum.")),
            models.CheckConstraint(condition=~Q(summary=""), name="case_has_summary"),
        ]
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["follow_up_on"]),
        ]

    def __str__(self) -> str:
        return _("Casus %(number)s") % {"number": self.number}

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class EntryKind(models.TextChoices):
    NOTE = "notitie", _("Notitie")
    PHONE = "telefoongesprek", _("Telefoongesprek")
    HOME_VISIT = "huisbezoek", _("Huisbezoek")
    MEETING = "overleg", _("Overleg")
    ACTION = "actie", _("Actie")


class CaseEntry(TimeStamped):
    """One item of a case's timeline. Its text lives in CaseEntryVersion; no history table."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries", verbose_name=_("casus"))
    kind = models.CharField(_("soort"), max_length=20, choices=EntryKind.choices, default=EntryKind.NOTE)
    special_category = models.BooleanField(_("bijzondere persoonsgegevens"), default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("auteur"))
    occurred_at = models.DateTimeField(_("tijdstip"))
    locks_at = models.DateTimeField(_("vergrendeld vanaf"))
    pseudonymised_at = models.DateTimeField(_("gepseudonimiseerd op"), null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("aantekening")
        verbose_name_plural = _("aantekeningen")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="caseentry_kind_valid"),
        ]
        indexes = [models.Index(fields=["case", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        """After locks_at an edit no longer rewrites the text: it appends a visible new version."""
        return (now or timezone.now()) >= self.locks_at


class CaseEntryVersion(TimeStamped):
    entry = models.ForeignKey(CaseEntry, on_delete=models.CASCADE, related_name="versions",
                              verbose_name=_("aantekening"))
    number = models.PositiveSmallIntegerField(_("versie"))
    text = models.TextField(_("tekst"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("auteur"))

    class Meta:
        ordering = ["entry_id", "number"]
        verbose_name = _("versie van aantekening")
        verbose_name_plural = _("versies van aantekeningen")
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="caseentryversion_one_number_per_entry"),
            models.CheckConstraint(condition=Q(number__gte=1), name="caseentryversion_number_positive"),
        ]

    def __str__(self) -> str:
        return _("versie %(n)s") % {"n": self.number}


class ReferralKind(models.TextChoices):
    MENTAL_COACH = "mental_coach", _("Mental coach van het team")
    GP_MENTAL_HEALTH = "huisarts_ggz", _("Huisarts / GGZ")
    NEIGHBOURHOOD_TEAM = "wijkteam", _("Wijkteam")
    VEILIG_THUIS = "veilig_thuis", _("Veilig Thuis")
    POLICE = "politie", _("Politie")
    OTHER = "overig", _("Overig")


class ReferralStatus(models.TextChoices):
    SENT = "verstuurd", _("Verstuurd")
    ACCEPTED = "geaccepteerd", _("Geaccepteerd")
    REJECTED = "afgewezen", _("Afgewezen")
    COMPLETED = "afgerond", _("Afgerond")


class Referral(TimeStamped):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("casus"))
    to_kind = models.CharField(_("verwezen naar"), max_length=20, choices=ReferralKind.choices)
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="referrals_received", verbose_name=_("mental coach"))
    to_organisation = models.CharField(_("organisatie"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ReferralStatus.choices,
                              default=ReferralStatus.SENT)
    # Both free texts may carry health information: never in the history table.
    rejection_reason = models.TextField(_("reden afwijzing"), blank=True)
    note = models.TextField(_("toelichting"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("verwezen door"))
    sent_at = models.DateTimeField(_("verstuurd op"))
    answered_at = models.DateTimeField(_("beantwoord op"), null=True, blank=True)
    completed_at = models.DateTimeField(_("afgerond op"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["note", "rejection_reason"])

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("verwijzing")
        verbose_name_plural = _("verwijzingen")
        constraints = [
            models.CheckConstraint(condition=Q(to_kind__in=ReferralKind.values), name="referral_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"),
            # A referral goes to somebody: a mental coach of the team by name, anyone else by organisation.
            models.CheckConstraint(
                condition=(Q(to_kind=ReferralKind.MENTAL_COACH) & Q(to_user__isnull=False))
                | (~Q(to_kind=ReferralKind.MENTAL_COACH) & Q(to_user__isnull=True) & ~Q(to_organisation="")),
                name="referral_has_recipient",
                violation_error_message=_("Kies naar wie de verwijzing gaat.")),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.REJECTED) | (~Q(rejection_reason="") & Q(answered_at__isnull=False)),
                name="referral_rejection_has_reason",
                violation_error_message=_("Geef een reden voor de afwijzing.")),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.ACCEPTED) | Q(answered_at__isnull=False),
                name="referral_accepted_answered"),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="referral_completed_has_date"),
        ]
        indexes = [models.Index(fields=["to_user", "status"])]

    def __str__(self) -> str:
        return f"{self.get_to_kind_display()} ({self.get_status_display()})"


class CaseShare(TimeStamped):
    """A case shared with one municipality user, for a purpose, until a date. Active while not
    revoked and `until` is today or later."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares", verbose_name=_("casus"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_shares",
                             verbose_name=_("gedeeld met"))
    purpose = models.TextField(_("doel"))
    until = models.DateField(_("gedeeld tot en met"))
    include_special = models.BooleanField(_("inclusief bijzondere persoonsgegevens"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("gedeeld door"))
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("ingetrokken door"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("gedeelde casus")
        verbose_name_plural = _("gedeelde casussen")
        constraints = [
            models.CheckConstraint(condition=~Q(purpose=""), name="caseshare_has_purpose",
                                   violation_error_message=_("Geef het doel van het delen.")),
        ]
        indexes = [models.Index(fields=["user", "until"])]

    def __str__(self) -> str:
        return _("Gedeeld tot %(until)s") % {"until": self.until}

    def is_active_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.until >= day


class AccessPart(models.TextChoices):
    CASE = "case", _("Casus")
    ENTRIES = "entries", _("Aantekeningen")
    SPECIAL = "special", _("Bijzondere persoonsgegevens")
    REFERRALS = "referrals", _("Verwijzingen")
    SHARES = "shares", _("Delen")
    EXPORT = "export", _("Export")
    PDF = "pdf", _("PDF")
    SUBJECT_ACCESS = "subject_access", _("Inzageverzoek")
    SIGNAL = "signal", _("SIGNAL-deling")
    HISTORY = "history", _("Wie heeft dit ingezien")


class AccessChannel(models.TextChoices):
    PAGE = "page", _("Pagina")
    API = "api", _("API")
    EXPORT = "export", _("Export")
    PDF = "pdf", _("PDF")


class CaseAccess(models.Model):
    """The read log: one row per view of case content. Append-only in the database (see the
    module docstring). No foreign keys on purpose: ON DELETE of a user or a case would need an
    UPDATE or DELETE of these rows, and the log must outlive both; the username is a snapshot."""

    at = models.DateTimeField(_("tijdstip"), default=timezone.now)
    user_id = models.BigIntegerField(_("gebruiker (id)"))
    username = models.CharField(_("gebruikersnaam"), max_length=150)
    case_id = models.BigIntegerField(_("casus (id)"), null=True, blank=True)
    case_uuid = models.UUIDField(_("casus"), null=True, blank=True)
    region_id = models.BigIntegerField(_("regio (id)"), null=True, blank=True)
    part = models.CharField(_("onderdeel"), max_length=20, choices=AccessPart.choices)
    channel = models.CharField(_("kanaal"), max_length=10, choices=AccessChannel.choices)
    break_glass = models.BooleanField(_("buiten eigen caseload"), default=False)
    reason = models.TextField(_("reden"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("inzage")
        verbose_name_plural = _("inzagelog")
        constraints = [
            models.CheckConstraint(condition=Q(part__in=AccessPart.values), name="caseaccess_part_valid"),
            models.CheckConstraint(condition=Q(channel__in=AccessChannel.values), name="caseaccess_channel_valid"),
            models.CheckConstraint(condition=Q(break_glass=False) | ~Q(reason=""),
                                   name="caseaccess_break_glass_has_reason"),
        ]
        indexes = [
            models.Index(fields=["case_id", "at"]),
            models.Index(fields=["user_id", "at"]),
            models.Index(fields=["region_id", "break_glass", "at"]),
            models.Index(fields=["at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M} {self.part}"


class SignalShare(models.Model):
    """An anonymised summary of a case shared with the inter-regional group, as the user
    reviewed it (the text is what was shown for copying)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="signal_shares", verbose_name=_("casus"))
    text = models.TextField(_("samenvatting"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("gedeeld door"))
    created_at = models.DateTimeField(_("gedeeld op"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("SIGNAL-deling")
        verbose_name_plural = _("SIGNAL-delingen")
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="signalshare_has_text")]

    def __str__(self) -> str:
        return f"SIGNAL {self.created_at:%Y-%m-%d}"


class RetentionRun(models.Model):
    """What one run of the nightly retention job did: counts only (never a name, an id of a
    person or any text), so that a superuser can see that the rules are applied."""

    ran_at = models.DateTimeField(_("uitgevoerd op"), default=timezone.now)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    entries_pseudonymised = models.PositiveIntegerField(_("aantekeningen gepseudonimiseerd"), default=0)
    versions_pseudonymised = models.PositiveIntegerField(_("versies gepseudonimiseerd"), default=0)
    free_texts_pseudonymised = models.PositiveIntegerField(
        _("vrije teksten gepseudonimiseerd"), default=0,
        help_text=_("Toelichtingen en redenen van verwijzingen en afsluitingen."))
    cases_deleted = models.PositiveIntegerField(_("casussen verwijderd"), default=0)
    entries_deleted = models.PositiveIntegerField(_("aantekeningen verwijderd"), default=0)
    versions_deleted = models.PositiveIntegerField(_("versies verwijderd"), default=0)
    referrals_deleted = models.PositiveIntegerField(_("verwijzingen verwijderd"), default=0)
    shares_deleted = models.PositiveIntegerField(_("delingen verwijderd"), default=0)
    signal_shares_deleted = models.PositiveIntegerField(_("SIGNAL-delingen verwijderd"), default=0)
    history_rows_deleted = models.PositiveIntegerField(_("historieregels verwijderd"), default=0)
    read_log_rows_deleted = models.PositiveIntegerField(_("inzageregels verwijderd"), default=0)

    class Meta:
        ordering = ["-ran_at", "-pk"]
        verbose_name = _("bewaartermijnrun")
        verbose_name_plural = _("bewaartermijnruns")

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M}"


class CaseTransfer(models.Model):
    """A transfer or swap asked for from a case: links the case to the placements'
    TransferRequest (which carries no case content, only a reason category, for the belteam).
    Removing a case (retention) removes the link, not the request: the placements record of
    what was asked and done stays."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("casus"))
    transfer_request = models.OneToOneField(TransferRequest, on_delete=models.PROTECT, related_name="case_link",
                                            verbose_name=_("aanvraag overplaatsing"))
    created_at = models.DateTimeField(_("gevraagd op"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("overplaatsing vanuit casus")
        verbose_name_plural = _("overplaatsingen vanuit casussen")

    def __str__(self) -> str:
        return f"{self.case} → {self.transfer_request}"
