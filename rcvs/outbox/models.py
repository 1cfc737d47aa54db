from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .registry import CHANNELS


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("wacht op verzending")
    SENDING = "sending", _("wordt verzonden")
    DELIVERED = "delivered", _("verzonden")
    FAILED = "failed", _("mislukt")


class OutboxMessage(models.Model):
    """One side effect to perform once the change that caused it has committed: a mail, later an
    HTTP delivery. Written in the caller's transaction (so it exists exactly when the change does),
    delivered by the worker. The payload holds ids, not personal data: the handler reads the rows
    when it delivers, so nothing about a person is copied into this table."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("soort"), max_length=100)
    channel = models.CharField(_("kanaal"), max_length=20, choices=[(c, c) for c in CHANNELS])
    payload = models.JSONField(_("gegevens"), default=dict, blank=True)
    idempotency_key = models.CharField(
        _("idempotentiesleutel"), max_length=200,
        help_text=_("Eén bericht per sleutel: wie hetzelfde bericht twee keer aanbiedt, krijgt het bestaande."))
    # Scopes the message for the beheerder (admin). SET_NULL keeps the record if a region is ever
    # removed; it is then visible to a superuser only.
    region = models.ForeignKey("locations.Region", verbose_name=_("regio"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="outbox_messages")
    status = models.CharField(_("status"), max_length=20, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    next_attempt_at = models.DateTimeField(_("volgende poging"))
    last_attempt_at = models.DateTimeField(_("laatste poging"), null=True, blank=True)
    last_error = models.TextField(_("laatste fout"), blank=True)
    # Handed to the broker at this time (by the after-commit push or the dispatcher); the
    # dispatcher does not hand it out again until OUTBOX_DISPATCH_LEASE_SECONDS have passed.
    dispatched_at = models.DateTimeField(_("aangeboden aan de wachtrij"), null=True, blank=True)
    # The lease of the worker that is sending it: while it runs no other worker sends the message.
    claimed_until = models.DateTimeField(_("geclaimd tot"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(_("verzonden op"), null=True, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("uitgaand bericht")
        verbose_name_plural = _("uitgaande berichten")
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="outbox_unique_idempotency_key"),
            models.CheckConstraint(condition=Q(status__in=OutboxStatus.values), name="outbox_status_valid"),
            models.CheckConstraint(condition=~Q(status=OutboxStatus.DELIVERED) | Q(delivered_at__isnull=False),
                                   name="outbox_delivered_has_time"),
            models.CheckConstraint(
                condition=~Q(status=OutboxStatus.SENDING) | Q(claimed_until__isnull=False, claim_token__isnull=False),
                name="outbox_sending_has_lease"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    def may_be_claimed(self, now: dt.datetime) -> bool:
        """Whether a worker may start an attempt now: a pending message whose retry time has come,
        or one whose sender's lease ran out (that worker died or was killed mid-attempt). Delivered
        and failed messages are final; a live lease belongs to another worker."""
        if self.status == OutboxStatus.PENDING:
            return self.next_attempt_at <= now
        if self.status == OutboxStatus.SENDING:
            return self.claimed_until is not None and self.claimed_until < now
        return False
