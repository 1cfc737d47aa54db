"""Reads for accounts: a user's own API keys."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, User


def api_token_list_for(user: User) -> QuerySet[ApiToken]:
    """The user's own keys that still work, newest first. Only the owner ever lists them."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
