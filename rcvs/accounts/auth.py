"""API authentication with hashed, expiring API keys (django-rest-knox), as `Authorization: Token <key>`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication

from .models import ApiToken

# Record "last used" at most once a minute per key: a write on every API call would be noise.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token check (digest compared in constant time, expired keys deleted, inactive users
    refused) plus the key's last use, which the owner sees on the API-sleutels page."""

    def validate_user(self, auth_token: ApiToken) -> tuple[Any, ApiToken]:
        user, token = super().validate_user(auth_token)
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "rcvs.accounts.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An API key, sent as `Token <key>`. Get one on the page API-sleutels or from "
                           "POST /api/v1/auth/token/. Every key expires.",
        }
