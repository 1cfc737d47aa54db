from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BELTEAM = "belteam", _("Belteam")
    COORDINATOR = "coordinator", _("Coördinator")
    GEMEENTE = "gemeente", _("Gemeente")
    BESTUUR = "bestuur", _("Bestuur")
    BEHEERDER = "beheerder", _("Beheerder")


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
