"""One small error hierarchy for the domain.

Services raise these; HTML views show them as form errors and the API renders them as JSON
(`{"message": ..., "code": ..., "extra": ...}`) with the status that fits.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status_code = 400

    def __init__(self, message: str, code: str = "invalid", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.extra = extra or {}


class PermissionDenied(ApplicationError):
    status_code = 403


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


def add_to_form(form: Any, error: ApplicationError, rename: dict[str, str] | None = None) -> None:
    """Show a service error on a Django form: on the fields the service names (renamed where the
    form calls a field differently), the rest as a form-wide error."""
    fields = error.extra.get("fields") or {}
    if not fields:
        form.add_error(None, error.message)
    for name, msgs in fields.items():
        name = (rename or {}).get(name, name)
        form.add_error(name if name in form.fields else None, msgs)
