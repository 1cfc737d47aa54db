"""API plumbing shared by every app: JSON errors with a message and a code.

Every error the API answers has the same shape, documented once as `Error` in the schema:
`{"message": str, "code": str, "errors"?: {field: [str]}, "extra"?: {...}}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from rcvs.errors import ApplicationError


class ErrorSerializer(serializers.Serializer):
    """Schema of every error body; the exception handler below produces it."""

    message = serializers.CharField(help_text="Human-readable message (Dutch).")
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. invalid, not_authenticated, forbidden, not_found, "
                  "room_occupied."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False,
        help_text="Per-field messages for code 'invalid'; errors not tied to one field are under "
                  "'non_field_errors'.",
    )
    extra = serializers.DictField(required=False, help_text="Further details of a domain error.")


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema responses for the given error statuses, for use in `extend_schema(responses=...)`."""
    descriptions = {
        400: "Invalid input or a refused domain action (code 'invalid' or a domain code).",
        401: "Not authenticated (code 'not_authenticated').",
        403: "Authenticated but not allowed to change this object (code 'forbidden').",
        404: "Does not exist or lies outside the user's scope (code 'not_found').",
        409: "Conflicts with the current state.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in statuses}


def _field_errors(fields: dict[str, Any]) -> dict[str, Any]:
    # Django keys errors of the whole object "__all__"; the API speaks DRF's name for them.
    return {(api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): value
            for key, value in fields.items()}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render every error as {"message", "code", "errors"?, "extra"?}.

    Domain errors (ApplicationError) carry their own status; DRF validation errors keep their
    per-field messages under "errors"."""
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"message": exc.message, "code": exc.code}
        if exc.extra.get("fields"):
            body["errors"] = _field_errors(exc.extra["fields"])
        extra = {k: v for k, v in exc.extra.items() if k != "fields"}
        if extra:
            body["extra"] = extra
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Niet gevonden."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {api_settings.NON_FIELD_ERRORS_KEY:
                                                                          response.data}
        response.data = {"message": _("De invoer is niet geldig."), "code": "invalid", "errors": errors}
    else:
        detail = response.data.get("detail", response.data) if isinstance(response.data, dict) else response.data
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error")
        response.data = {"message": str(detail), "code": code}
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response.data["code"] = "not_authenticated"
    elif response.status_code == status.HTTP_403_FORBIDDEN and response.data["code"] == "permission_denied":
        # One code for "not allowed", whether DRF or a service (rcvs.errors.PermissionDenied) refused.
        response.data["code"] = "forbidden"
    return response
