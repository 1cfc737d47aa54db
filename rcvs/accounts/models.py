from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class Role(models.TextChoices):
    BELTEAM = "belteam", _("Belteam")
    COORDINATOR = "coordinator", _("Coördinator")
    GEMEENTE = "gemeente", _("Gemeente")
    BESTUUR = "bestuur", _("Bestuur")
    BEHEERDER = "beheerder", _("Beheerder")
    MENTAL_COACH = "mental_coach", _("Mental coach")


class User(AbstractUser):
    """A person using rcvs. What they may see is bounded by their regions (and, for a
    municipality user, by their municipalities); what they may do by their role."""

    role = models.CharField(_("rol"), max_length=20, choices=Role.choices, default=Role.BELTEAM)
    regions = models.ManyToManyField(
        "locations.Region", verbose_name=_("regio's"), related_name="users", blank=True
    )
    municipalities = models.ManyToManyField(
        "locations.Municipality",
        verbose_name=_("gemeenten"),
        related_name="users",
        blank=True,
        help_text=_("Alleen voor de rol gemeente: de gemeenten waarvan deze gebruiker locaties beheert."),
    )
    # Need-to-know right for coordinators (mental coaches have it by their role): health and other
    # special-category data in cases. Only a superuser grants it (rcvs/accounts/admin.py).
    special_category_access = models.BooleanField(
        _("mag bijzondere persoonsgegevens inzien"), default=False,
        help_text=_("Gezondheid en andere bijzondere persoonsgegevens in casussen. Alleen voor coördinatoren "
                    "die dat voor hun werk nodig hebben; een mental coach ziet ze door zijn rol."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("gebruiker")
        verbose_name_plural = _("gebruikers")

    @property
    def is_gemeente(self) -> bool:
        return self.role == Role.GEMEENTE

    @property
    def is_beheerder(self) -> bool:
        return self.role == Role.BEHEERDER or self.is_superuser

    @property
    def sees_all_regions(self) -> bool:
        """Only a superuser crosses region boundaries; a beheerder administers their own regions."""
        return self.is_superuser


class ApiToken(AbstractAuthToken):
    """An API key of one user, kept by django-rest-knox as a SHA-512 digest: the plain key is shown
    once when it is made and never stored. `token_key` (the first characters of the key) narrows
    the lookup and lets the owner recognise a key in the list; it is not enough to authenticate.

    The owner names each key (which integration uses it) and sees when it was last used, so a key
    nobody uses any more can be revoked. Every key expires (`expiry`, API_TOKEN_TTL_DAYS)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("naam"), max_length=100)
    # knox allows a key without expiry; here none may exist, and the database says so.
    expiry = models.DateTimeField(_("verloopt"))
    last_used_at = models.DateTimeField(_("laatst gebruikt"), null=True, blank=True)
    # True only for a key made on the API-sleutels page from a session that had passed the second
    # factor (rcvs.accounts.otp.IsOtpVerified); a key from the password-only token endpoint gets
    # no case content.
    otp_verified = models.BooleanField(_("met tweede factor gemaakt"), default=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API-sleutel")
        verbose_name_plural = _("API-sleutels")

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
