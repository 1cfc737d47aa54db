import logging
import re

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)

# A DSN or URL echoed in a driver's message may carry a password: never into the log.
_PASSWORD = re.compile(r"(password\s*=\s*)\S+|(://[^:/@\s]+:)[^@\s]+(@)", re.IGNORECASE)


def _redacted(text: str) -> str:
    return _PASSWORD.sub(lambda m: f"{m.group(1)}***" if m.group(1) else f"{m.group(2)}***{m.group(3)}", text)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for docker compose and load balancers.

    The answer is public (no login, plain HTTP from the container health check), so a failure says
    only that it failed: the driver's message names the database host, port and user, and goes to
    the server log instead.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # reported, not swallowed: the probe must see the failure
        logger.error("healthz: database check failed: %s: %s", type(exc).__name__, _redacted(str(exc)))
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})
