"""The "Casuïstiek" menu flag. Here, not in rcvs.context_processors: rcvs must not import casework
(imports flow reporting → casework → placements → locations → rcvs)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rcvs.accounts.models import Role

from . import selectors


def casework_menu(request: HttpRequest) -> dict[str, Any]:
    """`perms_casework` (the menu item): coordinators and mental coaches, and a gemeente user while a case is
    shared with them. Lazy (templates call it), so pages that don't show the menu pay nothing;
    the views enforce the same rules."""
    user = getattr(request, "user", None)

    def shown() -> bool:
        if user is None or not user.is_authenticated:
            return False
        if selectors.can_casework(user):
            return True
        return user.role == Role.GEMEENTE and selectors.case_qs_for(user).exists()

    # Role only, no query: may open a case (e.g. "Casus openen" on a placement page).
    can_open = bool(user is not None and user.is_authenticated and selectors.can_casework(user))
    return {"perms_casework": shown, "perms_can_casework": can_open}
