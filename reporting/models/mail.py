"""Reporting models: the weekday occupancy mail (reporting/occupancy_mail.py).

Who receives it (MailContact, per municipality, with the history of switching off and on in
MailContactEvent) and what each day's mail told a municipality (OccupancyMailing: the snapshot it
was built from and its totals), so that the next mail can say what changed since this one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from locations.models import TimeStamped

__all__ = ["MailContact", "MailContactEvent", "OccupancyMailing", "SwitchedOffVia"]


class SwitchedOffVia(models.TextChoices):
    STAFF = "staff", _("door een gebruiker")
    LINK = "link", _("via de afmeldlink in de mail")


class MailContact(TimeStamped):
    """A person at a municipality (an official, not a resident) who receives the weekday
    occupancy mail. Switching off keeps the row (and says who did it and when) so that it can be
    switched on again; the database keeps the state and its who/when consistent."""

    municipality = models.ForeignKey("locations.Municipality", on_delete=models.CASCADE,
                                     related_name="mail_contacts", verbose_name=_("gemeente"))
    name = models.CharField(_("naam"), max_length=160)
    email = models.EmailField(_("e-mailadres"), max_length=254)
    function = models.CharField(_("functie"), max_length=120, blank=True)
    active = models.BooleanField(_("ontvangt de mail"), default=True)
    switched_off_at = models.DateTimeField(_("afgemeld op"), null=True, blank=True)
    switched_off_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", verbose_name=_("afgemeld door"))
    switched_off_via = models.CharField(_("afgemeld via"), max_length=10, choices=SwitchedOffVia.choices,
                                        blank=True)

    class Meta:
        ordering = ["municipality__name", "name", "pk"]
        verbose_name = _("ontvanger bezettingsmail")
        verbose_name_plural = _("ontvangers bezettingsmail")
        constraints = [
            models.UniqueConstraint(Lower("email"), "municipality", name="mailcontact_email_once_per_municipality",
                                    violation_error_message=_("Dit e-mailadres staat al bij deze gemeente.")),
            # Active: no trace of a switch-off. Switched off: when and how are always known (the
            # user may be empty: the contact itself, through the link, or a user since removed).
            models.CheckConstraint(
                condition=(Q(active=True, switched_off_at__isnull=True, switched_off_by__isnull=True,
                             switched_off_via="")
                           | Q(active=False, switched_off_at__isnull=False, switched_off_via__in=SwitchedOffVia.values)),
                name="mailcontact_switch_off_recorded"),
            models.CheckConstraint(condition=~Q(switched_off_via=SwitchedOffVia.LINK)
                                   | Q(switched_off_by__isnull=True),
                                   name="mailcontact_link_has_no_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality})"


class MailContactEvent(models.Model):
    """Append-only history of a contact: added, changed, switched off or on, removed. Holds no
    name or address (the contact row does), so it can be kept after the contact is removed."""

    class Kind(models.TextChoices):
        CREATED = "created", _("toegevoegd")
        CHANGED = "changed", _("gewijzigd")
        SWITCHED_OFF = "switched_off", _("afgemeld")
        SWITCHED_ON = "switched_on", _("weer aangemeld")
        DELETED = "deleted", _("verwijderd")

    contact = models.ForeignKey(MailContact, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="events", verbose_name=_("ontvanger"))
    contact_ref = models.PositiveIntegerField(_("nummer ontvanger"))  # the id, kept after removal
    municipality = models.ForeignKey("locations.Municipality", on_delete=models.CASCADE, related_name="+",
                                     verbose_name=_("gemeente"))
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices)
    via = models.CharField(_("via"), max_length=10, choices=SwitchedOffVia.choices, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("door"))
    at = models.DateTimeField(_("op"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("gebeurtenis ontvanger bezettingsmail")
        verbose_name_plural = _("gebeurtenissen ontvangers bezettingsmail")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["created", "changed", "switched_off", "switched_on",
                                                         "deleted"]),
                                   name="mailcontactevent_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_ref} {self.kind} {self.at.isoformat()}"


class OccupancyMailing(models.Model):
    """What the occupancy mail of one day told one municipality: built from that day's snapshot
    (immutable, so the per-location figures can always be read back from it) with the totals kept
    here, and the mailing before it, so the "since the last mail" figures stay as they were sent
    however often the mail is rendered again (a retry)."""

    municipality = models.ForeignKey("locations.Municipality", on_delete=models.CASCADE,
                                     related_name="occupancy_mailings", verbose_name=_("gemeente"))
    as_of = models.DateField(_("peildatum"))
    snapshot = models.ForeignKey("reporting.CapacitySnapshot", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("momentopname"))
    municipality_cbs_code = models.CharField(_("CBS-code gemeente"), max_length=6)
    previous = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("vorige mail"))
    locations = models.PositiveIntegerField(_("locaties"))
    realised = models.PositiveIntegerField(_("gerealiseerd"))
    occupied = models.PositiveIntegerField(_("bezet"))
    available = models.PositiveIntegerField(_("beschikbaar"))
    snijverlies = models.PositiveIntegerField(_("snijverlies"))
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        ordering = ["municipality__name", "-as_of"]
        verbose_name = _("bezettingsmail")
        verbose_name_plural = _("bezettingsmails")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "as_of"], name="occupancymailing_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_cbs_code} {self.as_of.isoformat()}"
