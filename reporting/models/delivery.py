"""Reporting models: the KCIO delivery of a day's snapshot (reporting/delivery.py).

Destinations are configured per deployment (settings KCIO_DELIVERY_*), not per region: the KCIO
is one national receiver and every region of an installation sends it the same way. A model per
region would be one more place where a token could end up in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["KcioDelivery", "KcioDeliveryMethod", "KcioDeliveryReason"]


class KcioDeliveryMethod(models.TextChoices):
    HTTPS = "https", _("HTTPS")
    MAIL = "mail", _("e-mail")


class KcioDeliveryReason(models.TextChoices):
    SCHEDULED = "scheduled", _("dagelijkse taak")
    EXPORT_NOW = "export_now", _("nu exporteren")
    RESEND = "resend", _("opnieuw versturen")


class KcioDelivery(models.Model):
    """One send of a region's snapshot of one day: the first (sequence 1, by the daily job or
    "export now") and each resend (2, 3, ...). Its attempts, status, next attempt and last error
    are those of its outbox message, which carries only this row's id.

    Every send of one day carries the same idempotency key to the receiver
    (`kcio-<region>-<yyyy-mm-dd>`), so a resend or a retried attempt is never counted twice.
    Sequence 1 exists once per region and day (the database says so): the daily job, a retry of
    it and "export now" all find the one there is."""

    # The snapshot fixes the region and the day (one snapshot per region and day), so neither is
    # repeated here where it could disagree.
    snapshot = models.ForeignKey("reporting.CapacitySnapshot", on_delete=models.PROTECT, related_name="deliveries",
                                 verbose_name=_("momentopname"))
    sequence = models.PositiveSmallIntegerField(_("volgnummer"), default=1,
                                                help_text=_("1 is de eerste verzending, 2 en verder zijn herhalingen."))
    reason = models.CharField(_("aanleiding"), max_length=20, choices=KcioDeliveryReason.choices)
    method = models.CharField(_("methode"), max_length=10, choices=KcioDeliveryMethod.choices)
    file_format = models.CharField(_("bestandsformaat"), max_length=10)
    hxl = models.BooleanField(_("HXL-rij"), default=False)
    # Where it went, without secrets: scheme, host and path of the URL (no query, no user info), or
    # the mail address(es). Filled in when an attempt is made.
    destination = models.CharField(_("bestemming"), max_length=300, blank=True)
    outbox_message = models.OneToOneField("outbox.OutboxMessage", on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("uitgaand bericht"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("aangevraagd door"))
    delivered_at = models.DateTimeField(_("afgeleverd op"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP-status van de ontvanger"), null=True, blank=True)
    response_note = models.CharField(_("antwoord van de ontvanger"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        ordering = ["snapshot__region__name", "-snapshot__as_of", "-sequence"]
        verbose_name = _("KCIO-levering")
        verbose_name_plural = _("KCIO-leveringen")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "sequence"], name="kciodelivery_sequence_once"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="kciodelivery_sequence_positive"),
            models.CheckConstraint(condition=Q(method__in=KcioDeliveryMethod.values), name="kciodelivery_method_valid"),
            models.CheckConstraint(condition=Q(file_format__in=["csv", "json", "xlsx"]),
                                   name="kciodelivery_format_valid"),
            models.CheckConstraint(condition=Q(reason__in=KcioDeliveryReason.values), name="kciodelivery_reason_valid"),
            # The first send is the scheduled one or "export now"; only later ones are resends.
            models.CheckConstraint(condition=Q(sequence=1, reason__in=["scheduled", "export_now"])
                                   | Q(sequence__gt=1, reason="resend"), name="kciodelivery_reason_fits_sequence"),
        ]

    def __str__(self) -> str:
        return f"KCIO {self.snapshot} #{self.sequence}"

    @property
    def error_text(self) -> str:
        """The outbox message's last error for the page: the Dutch sentence without the Python
        exception name the outbox puts in front ("DeliveryRetry: ...")."""
        error = self.outbox_message.last_error
        name, sep, rest = error.partition(": ")
        return rest if sep and name in ("DeliveryRetry", "PermanentError") else error
