"""Pages of one's own account (API keys) and the lockout answer after too many failed logins."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rcvs.errors import ApplicationError, NotFound, add_to_form

from .forms import ApiTokenCreateForm
from .selectors import api_token_list_for
from .services import api_token_create, api_token_revoke


def lockout_message(request: HttpRequest) -> str:
    minutes = max(1, int(get_cool_off(request).total_seconds() // 60))
    return _("Te veel mislukte inlogpogingen. Inloggen met deze gebruikersnaam is vanaf dit adres %(minutes)d "
             "minuten geblokkeerd. Probeer het daarna opnieuw, of vraag de beheerder van je regio de blokkade "
             "op te heffen.") % {"minutes": minutes}


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a login attempt while locked out (429)."""
    retry_after = str(int(get_cool_off(request).total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"message": lockout_message(request), "code": "locked_out"}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": lockout_message(request)}, status=429)
    response["Retry-After"] = retry_after
    return response


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API keys; POST makes a new one and shows it this once (never stored in plain)."""
    form = ApiTokenCreateForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            token, new_key = api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            form = ApiTokenCreateForm()
    response = render(request, "accounts/api_tokens.html", {
        "form": form,
        "tokens": api_token_list_for(request.user),
        "new_key": new_key,
        "ttl_days": settings.API_TOKEN_TTL_DAYS,
    }, status=400 if form.errors else 200)
    # The page may hold a new key: no cache, browser or proxy, may keep it.
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    try:
        token = api_token_revoke(user=request.user, public_id=str(public_id))
    except NotFound as error:
        return render(request, "accounts/not_found.html", {"message": error.message}, status=404)
    messages.success(request, _("API-sleutel ‘%(name)s’ is ingetrokken.") % {"name": token.name})
    return redirect("accounts:api_tokens")
