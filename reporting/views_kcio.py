"""Reporting pages: kcio (urls in reporting/urls_kcio.py) — export history, download, what changed
since the previous snapshot, resend and "export now". Staff only (permissions.can_manage_exports,
else 403), and only snapshots of the user's regions (locations.selectors.region_qs_for, else 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from locations.selectors import region_qs_for
from rcvs.errors import ApplicationError

from . import kcio, permissions
from .delivery import (
    delivery_export_now,
    delivery_method,
    delivery_resend,
    filename,
    kcio_snapshot_qs_for,
    receiver_key,
    snapshot_diff,
)
from .models import CapacitySnapshot
from .snapshots import snapshot_today

PER_PAGE = 31


def _require_staff(request: HttpRequest) -> None:
    if not permissions.can_manage_exports(request.user):
        raise PermissionDenied


def _snapshot(request: HttpRequest, snapshot_id: int) -> CapacitySnapshot:
    return get_object_or_404(kcio_snapshot_qs_for(request.user), pk=snapshot_id)


def _history_context(request: HttpRequest, region_code: str | None = None) -> dict:
    regions = list(region_qs_for(request.user).order_by("name"))
    if not regions:
        raise Http404
    code = region_code or request.GET.get("regio") or regions[0].code
    region = next((r for r in regions if r.code == code), None)
    if region is None:
        raise Http404
    snapshots = kcio_snapshot_qs_for(request.user).filter(region=region)
    page = Paginator(snapshots, PER_PAGE).get_page(request.GET.get("pagina"))
    rows = []
    for snapshot in page.object_list:
        sends = list(snapshot.deliveries.all())
        rows.append({"snapshot": snapshot, "last": sends[0] if sends else None, "sends": sends})
    today = snapshot_today()
    return {"regions": regions, "region": region, "page": page, "rows": rows, "formats": list(kcio.FORMATS),
            "method": delivery_method(), "today": today,
            "has_today": any(row["snapshot"].as_of == today for row in rows) if page.number == 1 else None}


@login_required
@require_GET
def kcio_history(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    return render(request, "reporting/kcio_history.html", _history_context(request))


@login_required
@require_GET
def kcio_download(request: HttpRequest, snapshot_id: int, fmt: str) -> HttpResponse:
    _require_staff(request)
    if fmt not in kcio.FORMATS:
        raise Http404
    snapshot = _snapshot(request, snapshot_id)
    hxl = fmt == "csv" and request.GET.get("hxl") == "1"
    response = HttpResponse(kcio.render(snapshot, fmt, hxl=hxl), content_type=kcio.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(snapshot, fmt)}"'
    return response


@login_required
@require_GET
def kcio_diff(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    _require_staff(request)
    snapshot = _snapshot(request, snapshot_id)
    return render(request, "reporting/kcio_diff.html", {"diff": snapshot_diff(snapshot), "snapshot": snapshot})


@login_required
@require_http_methods(["GET", "POST"])
def kcio_resend(request: HttpRequest, snapshot_id: int) -> HttpResponse:
    """GET asks for confirmation; POST sends the day's file again with the same Idempotency-Key."""
    _require_staff(request)
    snapshot = _snapshot(request, snapshot_id)
    context = {"snapshot": snapshot, "sends": list(snapshot.deliveries.all()), "key": receiver_key(snapshot),
               "method": delivery_method(), "error": None}
    if request.method == "POST":
        try:
            delivery = delivery_resend(snapshot=snapshot, user=request.user)
        except ApplicationError as error:
            context["error"] = error.message
            return render(request, "reporting/kcio_resend.html", context, status=400)
        messages.success(request, _("De export van %(day)s wordt opnieuw verstuurd (verzending %(n)s).")
                         % {"day": snapshot.as_of.strftime("%d-%m-%Y"), "n": delivery.sequence})
        return redirect(f"{reverse('reporting:kcio_history')}?regio={snapshot.region.code}")
    return render(request, "reporting/kcio_resend.html", context)


@login_required
@require_POST
def kcio_export_now(request: HttpRequest, region_code: str) -> HttpResponse:
    """Take today's snapshot if it is missing and send it, once: a second press sends nothing."""
    _require_staff(request)
    region = get_object_or_404(region_qs_for(request.user), code=region_code)
    try:
        result = delivery_export_now(region=region, user=request.user)
    except ApplicationError as error:
        context = _history_context(request, region.code)
        context["error"] = error.message
        return render(request, "reporting/kcio_history.html", context, status=400)
    day = result.snapshot.as_of.strftime("%d-%m-%Y")
    if result.delivery is None:
        messages.warning(request, _("De momentopname van %(day)s is vastgelegd; levering aan het KCIO staat uit "
                                    "(KCIO_DELIVERY_METHOD=off), er is niets verstuurd.") % {"day": day})
    elif result.delivery_created:
        messages.success(request, _("De export van %(day)s is vastgelegd en wordt verstuurd.") % {"day": day})
    else:
        messages.info(request, _("De export van %(day)s was al verstuurd of wacht op verzending; er is niets "
                                 "opnieuw verstuurd. Gebruik 'Opnieuw versturen' om hem nog eens te sturen.")
                      % {"day": day})
    return redirect(f"{reverse('reporting:kcio_history')}?regio={region.code}")

