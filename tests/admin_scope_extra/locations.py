"""Out-of-scope objects for the contact-person admin (issue 9, point 15; see
tests/admin_scope_extra/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _zuid_contact(ctx: Any) -> Any:
    from locations.models import ContactPerson

    return ContactPerson.objects.create(location=ctx.world.loc_c, name="Zuid-contactpersoon",
                                        function="locatiemanager", phone="0592 123 456",
                                        email="contact-zuid@example.org")


OUT_OF_SCOPE: dict[str, Callable[[Any], Any]] = {
    "locations.contactperson": _zuid_contact,
}
NOT_REGIONAL: dict[str, str] = {}
