"""The token endpoint: integrations exchange a username and password for an API key."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from rcvs.api import ErrorSerializer, error_responses
from rcvs.errors import ApplicationError

from .services import API_TOKEN_NAME_MAX, api_token_create
from .views import lockout_message


class ClientAddressThrottle(ScopedRateThrottle):
    """Counts per client address as django-axes sees it (AXES_CLIENT_IP_HEADERS, REMOTE_ADDR by
    default). DRF's own get_ident believes X-Forwarded-For as sent when NUM_PROXIES is unset, so a
    made-up header with every guess escaped the throttle."""

    def get_ident(self, request: Request) -> str:
        from axes.helpers import get_client_ip_address

        return get_client_ip_address(request._request) or "unknown"


class LockedOut(ApplicationError):
    status_code = 429


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)
    name = serializers.CharField(
        max_length=API_TOKEN_NAME_MAX, required=False, default="API",
        help_text="A label for the key, e.g. the integration that uses it; shown on the API-sleutels page.")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The API key. Shown only in this answer: it is stored as a digest.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="After this moment the key no longer works.")


@extend_schema(
    tags=["auth"],
    summary="Obtain an API key",
    description="Exchange a username and password for a new API key, shown only in this answer. Send it as "
                "'Authorization: Token <key>'. The key carries the user's role and scope, expires after "
                "API_TOKEN_TTL_DAYS and dies when the password changes or the account is deactivated. Keys "
                "are listed and revoked on the page API-sleutels; a user has at most 20 (409, code "
                "'too_many_tokens'). Repeated failures lock the username from "
                "that address for a while (429, code 'locked_out'); requests are also rate-limited (429, "
                "code 'throttled').",
    request=TokenRequestSerializer,
    responses={200: TokenResponseSerializer, **error_responses(400, 409),
               429: OpenApiResponse(ErrorSerializer, description="Locked out or rate-limited.")},
)
class ObtainTokenView(APIView):
    # Credentials are the authentication here; an existing session must not turn this into a
    # CSRF-checked request.
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]
    throttle_scope = "auth_token"

    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # With `request`, django-axes counts a failure and refuses a locked-out username + address
        # before the password is checked.
        user = authenticate(request=request, username=data.validated_data["username"],
                            password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(lockout_message(request), code="locked_out")
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Gebruikersnaam of wachtwoord onjuist, of het account is niet actief.")]})
        token, key = api_token_create(user=user, name=data.validated_data["name"])
        return Response(TokenResponseSerializer({"token": key, "name": token.name, "expires_at": token.expiry}).data)
