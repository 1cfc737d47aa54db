"""HTML views for importing and exporting locations and rooms (see importing.py).

Upload → preview (nothing written) → "Import uitvoeren". Between preview and apply the uploaded
bytes wait in a private file under var/imports, named by a random token that only this user's
session knows; apply reads the file again and validates it again, because the registry may have
changed since the preview.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .importing import (
    CSV_CONTENT_TYPE,
    MAX_UPLOAD_BYTES,
    SHEET_LOCATIONS,
    SHEET_ROOMS,
    XLSX_CONTENT_TYPE,
    ImportRejected,
    build_plan,
    export_csv,
    export_xlsx,
    import_apply,
    user_can_import,
)

SESSION_KEY = "locations_import_pending"
# A preview older than this is stale: the user should look at the registry again first.
PENDING_MAX_AGE_SECONDS = 2 * 60 * 60
ALLOWED_EXTENSIONS = (".xlsx", ".csv")
EXPORT_SHEETS = {"locaties": SHEET_LOCATIONS, "kamers": SHEET_ROOMS}


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Bestand"),
        help_text=gettext_lazy("Het ingevulde sjabloon als .xlsx, of één blad als .csv (maximaal 5 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_EXTENSIONS):
            raise forms.ValidationError(_("Kies een bestand van het type .xlsx of .csv."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Het bestand is groter dan %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20})
        return upload


# --- the upload waiting between preview and apply ----------------------------------------------

def _pending_dir() -> Path:
    return Path(settings.BASE_DIR) / "var" / "imports"


def _pending_path(token: str) -> Path:
    return _pending_dir() / f"{token}.upload"


def _purge_stale_uploads() -> None:
    """Previews that were never applied leave files behind; remove those past their age."""
    cutoff = time.time() - PENDING_MAX_AGE_SECONDS
    for path in _pending_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue


def _discard_pending(request: HttpRequest) -> None:
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        _pending_path(pending["token"]).unlink(missing_ok=True)


def _store_pending(request: HttpRequest, content: bytes, filename: str) -> str:
    _discard_pending(request)
    directory = _pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _purge_stale_uploads()
    token = secrets.token_urlsafe(32)
    # Readable by this process only: the file holds the registry data the user uploaded.
    fd = os.open(_pending_path(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    request.session[SESSION_KEY] = {
        "token": token, "filename": filename, "user_id": request.user.pk, "created": time.time(),
    }
    return token


def _load_pending(request: HttpRequest, token: str) -> tuple[bytes, str] | None:
    """The upload previewed by this user in this session, if the token matches and it is fresh.
    The path comes from the session, never from the form, so a posted token cannot reach files."""
    pending = request.session.get(SESSION_KEY)
    if not pending or not token or not constant_time_compare(pending["token"], token):
        return None
    if pending["user_id"] != request.user.pk or time.time() - pending["created"] > PENDING_MAX_AGE_SECONDS:
        _discard_pending(request)
        return None
    try:
        return _pending_path(pending["token"]).read_bytes(), pending["filename"]
    except FileNotFoundError:
        request.session.pop(SESSION_KEY, None)
        return None


# --- views --------------------------------------------------------------------------------------

def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "locations/import.html",
                  {"forbidden_message": _("U mag geen locaties importeren.")}, status=403)


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    if not user_can_import(request.user):
        return _forbidden(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            content = upload.read()
            plan = build_plan(user=request.user, content=content, filename=upload.name)
            if plan.errors:
                return render(request, "locations/import.html", {"form": ImportUploadForm(), "plan": plan})
            token = _store_pending(request, content, plan.filename) if plan.has_changes else ""
            return render(request, "locations/import_preview.html", {"plan": plan, "token": token})
    else:
        form = ImportUploadForm()
    return render(request, "locations/import.html", {"form": form})


@login_required
@require_POST
def import_apply_view(request: HttpRequest) -> HttpResponse:
    if not user_can_import(request.user):
        return _forbidden(request)
    pending = _load_pending(request, request.POST.get("token", ""))
    if pending is None:
        messages.error(request, _("Dit voorbeeld is verlopen of hoort niet bij u. Upload het bestand opnieuw."))
        return redirect("locations:import")
    content, filename = pending
    try:
        plan = import_apply(user=request.user, content=content, filename=filename)
    except ImportRejected as exc:
        _discard_pending(request)
        messages.error(request, _("De import is niet uitgevoerd; er is niets gewijzigd. De gegevens zijn sinds "
                                  "het voorbeeld veranderd of een regel werd geweigerd."))
        return render(request, "locations/import.html", {"form": ImportUploadForm(), "plan": exc.plan})
    _discard_pending(request)
    messages.success(request, _("Import van %(filename)s uitgevoerd: %(summary)s.")
                     % {"filename": filename, "summary": plan.summary(done=True)})
    return redirect("locations:import")


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
@never_cache
def export(request: HttpRequest) -> HttpResponse:
    """The template filled with every location and room the user can see."""
    fmt = request.GET.get("formaat", "xlsx").lower()
    stamp = timezone.localdate().strftime("%Y-%m-%d")
    if fmt == "xlsx":
        return _attachment(export_xlsx(user=request.user), XLSX_CONTENT_TYPE, f"rcvs-locaties-{stamp}.xlsx")
    if fmt == "csv":
        sheet_param = request.GET.get("blad", "locaties").lower()
        if sheet_param not in EXPORT_SHEETS:
            return HttpResponseBadRequest(_("Onbekend blad; kies blad=locaties of blad=kamers."))
        content = export_csv(user=request.user, sheet=EXPORT_SHEETS[sheet_param])
        return _attachment(content, CSV_CONTENT_TYPE, f"rcvs-{sheet_param}-{stamp}.csv")
    return HttpResponseBadRequest(_("Onbekend formaat; kies formaat=xlsx of formaat=csv."))


@login_required
@require_GET
def export_template(request: HttpRequest) -> HttpResponse:
    return _attachment(export_xlsx(user=request.user, empty=True), XLSX_CONTENT_TYPE,
                       "rcvs-sjabloon-locaties.xlsx")

