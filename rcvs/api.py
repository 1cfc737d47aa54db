"""API plumbing shared by every app: JSON errors with a message and a code.

Every error the API answers has the same shape, documented once as `Error` in the schema:
`{"message": str, "code": str, "errors"?: {field: [str]}, "extra"?: {...}}`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from rcvs.errors import ApplicationError

logger = logging.getLogger(__name__)


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


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """DRF's limit/offset paging, with a ceiling and a 400 for numbers that are not numbers.

    DRF passes any offset and (without max_limit) any limit to the database as they come, and
    PostgreSQL answers a LIMIT beyond its bigint range with an error: a 500 for one bad parameter.
    A limit above the ceiling is lowered to it (the response's `next` link tells the client how to
    go on); a limit or offset that is not a whole number, is negative, or is absurdly large is
    refused with a Dutch message."""

    max_limit = 500
    max_offset = 10_000_000  # far beyond any list here, far below what the database can take

    def _number(self, request: Any, name: str, *, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or not raw.strip():
            return None
        raw = raw.strip()
        if raw.isascii() and raw.isdigit():
            raw = raw.lstrip("0") or "0"
        if not (raw.isascii() and raw.isdigit()) or int(raw[:19]) < minimum:
            raise exceptions.ValidationError({name: [
                _("Geef voor %(name)s een heel getal vanaf %(min)s.") % {"name": name, "min": minimum}]})
        return int(raw) if len(raw) <= 18 else 10**18  # int() of a very long text is slow: cap first

    def get_limit(self, request: Any) -> int | None:
        limit = self._number(request, self.limit_query_param, minimum=1)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request: Any) -> int:
        offset = self._number(request, self.offset_query_param, minimum=0) or 0
        if offset > self.max_offset:
            raise exceptions.ValidationError({self.offset_query_param: [
                _("Geef voor %(name)s een getal tot en met %(max)s.") % {"name": self.offset_query_param,
                                                                     "max": self.max_offset}]})
        return offset


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
    if isinstance(exc, DataError | OverflowError | ValueError):
        # Last line of defence: input that slipped past the serializers (a number beyond the
        # database's range, a text too long for its column) is the client's error, not a 500.
        # Fields validate their ranges; this only catches what they missed. The log names the
        # operation and the kind of error, never the value, which may be personal data.
        view = context.get("view")
        logger.warning("Invalid input reached %s.%s: %s", type(view).__name__, getattr(view, "action", None),
                       type(exc).__name__)
        set_rollback()
        return Response({"message": _("Ongeldige invoer."), "code": "invalid"}, status=status.HTTP_400_BAD_REQUEST)
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


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: an API path that matches no URL (e.g. a malformed UUID) answers in the API's
    error shape too, not with the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"message": _("Niet gevonden."), "code": "not_found"}, status=404)
    return page_not_found(request, exception)
