from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from .sessions import expiry_reason

log = logging.getLogger(__name__)


class SessionTimeoutMiddleware:
    """Log out a session that was idle too long or has reached its absolute lifetime
    (SESSION_IDLE_MINUTES, SESSION_IDLE_MINUTES_BESTUUR, SESSION_MAX_HOURS), and send the user to
    the login page with a message, then back to where they were.

    An htmx request gets an HX-Redirect header, so that the browser goes to the login page instead
    of htmx swapping the login form into a fragment. The API answers 401 as for any request
    without valid credentials (an API key in the same request still counts)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            reason = expiry_reason(request.session, user, time.time())
            if reason is not None:
                log.info("Session of user %s ended: %s", user.pk, reason)
                logout(request)
                if not request.path.startswith("/api/"):
                    return self._to_login(request)
        return self.get_response(request)

    def _to_login(self, request: HttpRequest) -> HttpResponse:
        messages.warning(request, _("Je sessie is verlopen. Log opnieuw in om verder te gaan."))
        htmx = request.headers.get("HX-Request") == "true"
        back = request.get_full_path()
        if htmx:
            # The fragment's URL is no page to return to; the page it was on is.
            current = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = (current.path + (f"?{current.query}" if current.query else "")) or "/"
        elif request.method != "GET":
            back = "/"
        url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
        if htmx:
            response = HttpResponse(status=401)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
