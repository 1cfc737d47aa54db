from django.http import HttpRequest

from placements.search import can_search
from placements.selectors import can_place
from reporting.views import available_sections


def roles(request: HttpRequest) -> dict[str, bool]:
    """Flags the templates use to show or hide actions; the views enforce the same rules."""
    user = getattr(request, "user", None)
    can_edit = bool(user and user.is_authenticated and (user.is_gemeente or user.is_beheerder))
    return {"perms_can_edit": can_edit, "perms_can_import": can_edit,
            "perms_can_place": bool(user and can_place(user)),
            "perms_can_search": bool(user and can_search(user)),
            "perms_reporting": bool(user and user.is_authenticated and available_sections(user))}
