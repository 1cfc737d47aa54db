"""Reporting pages: targets (verdeelsleutel, split, realised against target), the normbedrag table
and the compensation per municipality (urls in reporting/urls_targets.py).

Access: the role from reporting/permissions.py (403), the region and municipalities through
locations/selectors.py (404 outside). A gemeente sees its own municipalities' rows only."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from locations.models import Municipality, Region
from locations.selectors import municipality_qs_for
from rcvs.errors import ApplicationError, add_to_form

from . import permissions
from .compensation import CompensationReport, municipality_compensation
from .forms_targets import NormRateForm, PeriodForm, TargetsFilterForm, TargetSplitForm, last_month
from .models import NormRate, TargetInputs, TargetSplitEvent
from .services import norm_rate_create, target_split_reset, target_split_set
from .snapshots import snapshot_today
from .targets import BASE_PLACES, NATIONAL_OFFSET, RegionTarget, region_split, target_progress

# --- scope -------------------------------------------------------------------------------------


def _regions_for(user) -> QuerySet[Region]:
    return permissions.report_regions_for(user)


def _region(request: HttpRequest, code: str | None) -> Region:
    return permissions.report_region(request.user, code)


def _own_municipalities(user, region: Region) -> QuerySet[Municipality] | None:
    """None: every municipality of the region; a gemeente: its own."""
    if user.is_gemeente and not user.is_superuser:
        return municipality_qs_for(user).filter(region=region)
    return None


_require = permissions.require


# --- the verdeelsleutel, filled in --------------------------------------------------------------

def _dec(value: Fraction, places: int) -> Decimal:
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum, ROUND_HALF_UP)


def formula(target: RegionTarget) -> dict:
    """The formula with the inputs filled in and each intermediate step, so the number can be
    checked by hand (rounded for display only; the target itself is computed exactly)."""
    iv_in = Fraction(target.Iv, target.In)
    gv_gn = Fraction(target.Gv) / Fraction(target.Gn)
    mean = (iv_in + gv_gn) / 2
    part = mean * (target.On - NATIONAL_OFFSET)
    return {"iv_in": _dec(iv_in, 6), "gv_gn": _dec(gv_gn, 6), "mean": _dec(mean, 6),
            "on_minus": target.On - NATIONAL_OFFSET, "part": _dec(part, 2), "ov": _dec(BASE_PLACES + part, 2),
            "base": BASE_PLACES, "offset": NATIONAL_OFFSET}


# --- targets page -------------------------------------------------------------------------------

@login_required
def targets(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_read_municipal_figures, request.user)
    # Unbound, the form shows what the page shows: this year, realised as of today.
    form = TargetsFilterForm(request.GET or None, initial={"jaar": snapshot_today().year,
                                                          "peildatum": snapshot_today()})
    valid = form.is_valid() if request.GET else True
    region = _region(request, request.GET.get("regio"))
    regions = list(_regions_for(request.user))
    context = {"form": form, "region": region, "regions": regions,
               "can_manage": permissions.can_manage_targets(request.user)}
    if not valid:
        return render(request, "reporting/targets.html", context, status=400)
    data = form.cleaned_data if request.GET else {}
    as_of = data.get("peildatum") or snapshot_today()
    year = data.get("jaar") or as_of.year
    own = _own_municipalities(request.user, region)
    progress = target_progress(region, year=year, as_of=as_of, municipalities=own)
    inputs = TargetInputs.objects.filter(year=year).first()
    split = None
    if progress.region_target is not None:
        split = region_split(region, year)
    context.update({
        "year": year, "as_of": as_of, "progress": progress, "inputs": inputs, "split": split,
        "formula": formula(progress.region_target) if progress.region_target else None,
        "is_gemeente": own is not None,
        "split_url": reverse("reporting:targets_split") + "?" + urlencode({"regio": region.code, "jaar": year}),
    })
    return render(request, "reporting/targets.html", context)


def _split_context(request: HttpRequest) -> tuple[Region, int]:
    _require(permissions.can_manage_targets, request.user)
    source = request.POST if request.method == "POST" else request.GET
    region = _region(request, source.get("regio"))
    try:
        year = int(source.get("jaar") or snapshot_today().year)
    except ValueError:
        year = 0
    return region, year


@login_required
def targets_split(request: HttpRequest) -> HttpResponse:
    """Edit the split of the region's target (staff). The parts must add up to the target."""
    region, year = _split_context(request)
    back = reverse("reporting:targets") + "?" + urlencode({"regio": region.code, "jaar": year})
    context = {"region": region, "year": year, "back_url": back}
    if not 2022 <= year <= 2100:
        context["error"] = _("Kies een jaar van 2022 tot en met 2100.")
        return render(request, "reporting/targets_split.html", context, status=400)
    try:
        split = region_split(region, year)
    except ApplicationError as error:
        context["error"] = error.message
        return render(request, "reporting/targets_split.html", context, status=400)
    form = TargetSplitForm(request.POST if request.method == "POST" else None, rows=split.rows)
    if request.method == "POST" and form.is_valid():
        try:
            target_split_set(region=region, year=year, places=form.places(), user=request.user)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De verdeling van de taakstelling is opgeslagen."))
            return redirect(back)
    events = (TargetSplitEvent.objects.filter(region=region, year=year).select_related("user")[:20])
    context.update({"split": split, "form": form, "events": events,
                    "form_total": sum(row.places for row in split.rows)})
    return render(request, "reporting/targets_split.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def targets_split_reset(request: HttpRequest) -> HttpResponse:
    region, year = _split_context(request)
    if not 2022 <= year <= 2100:
        raise Http404
    if target_split_reset(region=region, year=year, user=request.user):
        messages.success(request, _("De taakstelling is weer verdeeld naar inwoners (de standaardverdeling)."))
    return redirect(reverse("reporting:targets") + "?" + urlencode({"regio": region.code, "jaar": year}))


# --- normbedrag --------------------------------------------------------------------------------

@login_required
def rates(request: HttpRequest) -> HttpResponse:
    """The dated normbedrag table; a superuser adds a period (overlap refused with a Dutch message)."""
    _require(permissions.can_read_municipal_figures, request.user)
    may_add = request.user.is_superuser
    form = NormRateForm(request.POST or None) if may_add else None
    if request.method == "POST":
        if not may_add:
            raise PermissionDenied
        if form.is_valid():
            try:
                rate = norm_rate_create(**form.cleaned_data)
            except ApplicationError as error:
                add_to_form(form, error)
            else:
                messages.success(request, _("Het normbedrag van € %(amount)s vanaf %(day)s is toegevoegd.")
                                 % {"amount": rate.amount, "day": rate.valid_from.strftime("%d-%m-%Y")})
                return redirect("reporting:rates")
    return render(request, "reporting/rates.html", {"rates": NormRate.objects.order_by("valid_from"), "form": form},
                  status=400 if form is not None and form.errors else 200)


# --- compensation ------------------------------------------------------------------------------

def _ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) ranges, for a short list of missing days."""
    out: list[list[dt.date]] = []
    for day in sorted(days):
        if out and day - out[-1][1] == dt.timedelta(days=1):
            out[-1][1] = day
        else:
            out.append([day, day])
    return [(a, b) for a, b in out]


@login_required
def compensation(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_read_municipal_figures, request.user)
    form = PeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    region = _region(request, request.GET.get("regio"))
    context = {"form": form, "region": region, "regions": list(_regions_for(request.user))}
    if not valid:
        return render(request, "reporting/compensation.html", context, status=400)
    default_start, default_end = last_month(snapshot_today())
    data = form.cleaned_data if request.GET else {}
    start, end = data.get("van") or default_start, data.get("tot") or default_end
    context.update({"start": start, "end": end})
    try:
        report = municipality_compensation(region, start=start, end=end,
                                           municipalities=_own_municipalities(request.user, region))
    except ApplicationError as error:
        context["error"] = error.message
        return render(request, "reporting/compensation.html", context, status=400)
    if request.GET.get("formaat") == "csv":
        return _compensation_csv(report)
    context.update({"report": report, "missing_ranges": _ranges(report.missing_days),
                    "unrated_ranges": _ranges(report.unrated_days),
                    "csv_url": reverse("reporting:compensation") + "?" + urlencode(
                        {"regio": region.code, "van": start.isoformat(), "tot": end.isoformat(), "formaat": "csv"})})
    return render(request, "reporting/compensation.html", context)


def _cell(text: str) -> str:
    """A name a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _compensation_csv(report: CompensationReport) -> HttpResponse:
    """The table as CSV for a spreadsheet in Dutch settings: semicolons, decimal comma, amounts to
    the cent; missing days as a last line, so a sheet never looks complete when it is not."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"vergoeding-{report.region.code}-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel reads UTF-8 only with a byte order mark
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("CBS-code"), _("Gemeente"), _("Plaatsdagen"), _("Bedrag (€)")])
    for row in [*report.rows, report.total]:
        writer.writerow([row.cbs_code, _cell(row.municipality_name), row.place_days,
                         f"{row.amount:.2f}".replace(".", ",")])
    if report.missing_days:
        writer.writerow([_("Dagen zonder momentopname"), " ".join(d.isoformat() for d in report.missing_days)])
    if report.unrated_days:
        writer.writerow([_("Dagen zonder normbedrag"), " ".join(d.isoformat() for d in report.unrated_days)])
    return response
