"""Reporting models: the board (bestuur) — its decision and action list and its monthly reports.

Neither holds anything about a person: an item's owner is a name or function of the team (never a
resident), and a report is built from snapshots, counts and money only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from locations.models import TimeStamped

__all__ = ["BoardItem", "BoardItemEvent", "BoardItemKind", "BoardItemStatus", "BoardReport", "BoardReportStatus"]


class BoardItemKind(models.TextChoices):
    DECISION = "B", _("Besluit")
    BOTTLENECK = "K", _("Knelpunt")
    ACTION = "A", _("Actie")


class BoardItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In uitvoering")
    DONE = "done", _("Afgerond")
    LAPSED = "lapsed", _("Vervallen")


OPEN_ITEM_STATUSES = (BoardItemStatus.OPEN, BoardItemStatus.IN_PROGRESS)


class BoardItem(TimeStamped):
    """One numbered line of the board's list: B-3 (besluit), K-1 (knelpunt), A-12 (actie).

    The number counts per region and kind and never changes; the database refuses a second B-3 in
    a region, and the service hands out numbers under a lock of the region (reporting/board_items.py),
    so two people adding at once get B-3 and B-4, not an error."""

    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="board_items",
                               verbose_name=_("regio"))
    kind = models.CharField(_("soort"), max_length=1, choices=BoardItemKind.choices)
    number = models.PositiveIntegerField(_("nummer"))
    title = models.CharField(_("titel"), max_length=200)
    description = models.TextField(_("toelichting"), blank=True)
    owner = models.CharField(_("eigenaar"), max_length=120, blank=True,
                             help_text=_("Naam of functie in het team, bijvoorbeeld 'coördinator huisvesting'."))
    due_date = models.DateField(_("uiterste datum"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BoardItemStatus.choices,
                              default=BoardItemStatus.OPEN)
    decided_on = models.DateField(_("vastgesteld in vergadering van"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("aangemaakt door"))

    class Meta:
        ordering = ["region_id", "kind", "number"]
        verbose_name = _("besluit, knelpunt of actie")
        verbose_name_plural = _("besluiten, knelpunten en acties")
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "number"], name="boarditem_number_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=BoardItemKind.values), name="boarditem_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=BoardItemStatus.values), name="boarditem_status_valid"),
            models.CheckConstraint(condition=Q(number__gte=1), name="boarditem_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.title}"

    @property
    def label(self) -> str:
        return f"{self.kind}-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ITEM_STATUSES


class BoardItemEvent(models.Model):
    """Append-only history of an item: who changed what, when (the changed fields' old and new
    values; they are the item's own fields, never a person of the registry)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Aangemaakt")
        CHANGED = "changed", _("Gewijzigd")

    item = models.ForeignKey(BoardItem, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField()
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("wijziging besluitenlijst")
        verbose_name_plural = _("wijzigingen besluitenlijst")

    def __str__(self) -> str:
        return f"{self.item.label} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class BoardReportStatus(models.TextChoices):
    QUEUED = "queued", _("In de wachtrij")
    BUILDING = "building", _("Wordt gemaakt")
    DONE = "done", _("Klaar")
    FAILED = "failed", _("Mislukt")


ACTIVE_REPORT_STATUSES = (BoardReportStatus.QUEUED, BoardReportStatus.BUILDING)


class BoardReport(TimeStamped):
    """A board report of one region for one month, in one language, as built at one moment.

    Asking again builds a new version; the newest finished version is the current one. While a
    version is queued or being built, a new request gets that one: the database allows only one
    active build per (region, month, language). The PDF is kept in the database with its sha256,
    so a download is exactly what was built (no file outside the transaction to lose)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    region = models.ForeignKey("locations.Region", on_delete=models.PROTECT, related_name="board_reports",
                               verbose_name=_("regio"))
    period = models.DateField(_("maand"), help_text=_("De eerste dag van de maand."))
    language = models.CharField(_("taal"), max_length=2, choices=[("nl", "Nederlands"), ("en", "English")],
                                default="nl")
    version = models.PositiveIntegerField(_("versie"), default=1)
    status = models.CharField(_("status"), max_length=20, choices=BoardReportStatus.choices,
                              default=BoardReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(_("stap"), max_length=120, blank=True)
    error = models.CharField(_("fout"), max_length=300, blank=True)
    pdf = models.BinaryField(_("PDF"), null=True, blank=True, editable=False)
    sha256 = models.CharField(_("sha256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("grootte (bytes)"), default=0)
    as_of = models.DateField(_("peildatum"), null=True, blank=True,
                             help_text=_("De dag van de momentopname waarop de kerncijfers berusten."))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("aangevraagd door"),
                                     help_text=_("Leeg: gemaakt door de maandelijkse taak."))
    started_at = models.DateTimeField(_("begonnen op"), null=True, blank=True)
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)

    class Meta:
        ordering = ["region_id", "-period", "language", "-version"]
        verbose_name = _("bestuursrapportage")
        verbose_name_plural = _("bestuursrapportages")
        constraints = [
            models.UniqueConstraint(fields=["region", "period", "language", "version"],
                                    name="boardreport_version_once"),
            models.UniqueConstraint(fields=["region", "period", "language"],
                                    condition=Q(status__in=["queued", "building"]),
                                    name="boardreport_one_active_build"),
            models.CheckConstraint(condition=Q(period__day=1), name="boardreport_period_first_of_month"),
            models.CheckConstraint(condition=Q(language__in=["nl", "en"]), name="boardreport_language_valid"),
            models.CheckConstraint(condition=Q(status__in=BoardReportStatus.values), name="boardreport_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="boardreport_progress_0_100"),
            # Finished means a file with its hash; anything else has none.
            models.CheckConstraint(
                condition=(Q(status="done", pdf__isnull=False, sha256__regex=r"^[0-9a-f]{64}$")
                           | (~Q(status="done") & Q(pdf__isnull=True))),
                name="boardreport_done_has_pdf"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period:%Y-%m} {self.language} v{self.version}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_REPORT_STATUSES
