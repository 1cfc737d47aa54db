"""Reporting pages: costs (urls in reporting/urls_costs.py).

Who sees what (reporting/permissions.py for the role, locations/selectors.py for the scope):
- staff (`can_manage_costs`): everything of their regions — budget, entries and attachments,
  periods and their status, the declaration documents;
- bestuur: budget against spent and the periods' totals and state: no entries, no invoices,
  no documents (they list suppliers and invoice numbers);
- gemeente: its own municipalities' share of the non-declarable costs per period, nothing else.
Out of scope is a 404, a role without the capability a 403. The region and year go in the query
string (region code and year only); entries by uuid, periods and documents by id.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from locations.models import Region
from locations.selectors import municipality_qs_for, region_qs_for
from rcvs.errors import ApplicationError, add_to_form

from . import costs, permissions
from .forms_costs import BudgetLineForm, CostEntryForm, PeriodForm, TransitionForm, YearForm
from .models import (
    Budget,
    BudgetLine,
    CostEntry,
    DeclarationDocument,
    DeclarationPeriod,
    DeclarationStatus,
)
from .snapshots import snapshot_today

logger = logging.getLogger(__name__)

# --- scope -------------------------------------------------------------------------------------


def _add_error(form, error: ApplicationError) -> None:
    """The service's whole Dutch message on top (it says why), its field hints at the fields."""
    if error.extra.get("fields"):
        form.add_error(None, error.message)
    add_to_form(form, error)


_require = permissions.require


def _is_gemeente(user) -> bool:
    return user.is_gemeente and not user.is_superuser


def _regions_for(user) -> QuerySet[Region]:
    return permissions.report_regions_for(user)


def _region(request: HttpRequest, code: str | None) -> Region:
    return permissions.report_region(request.user, code)


def _entries_for(user) -> QuerySet[CostEntry]:
    return CostEntry.objects.filter(budget_line__budget__region__in=region_qs_for(user)).select_related(
        "budget_line__budget__region")


def _periods_for(user) -> QuerySet[DeclarationPeriod]:
    return DeclarationPeriod.objects.filter(region__in=_regions_for(user)).select_related("region")


def _year(request: HttpRequest) -> tuple[int | None, YearForm]:
    form = YearForm(request.GET or None, initial={"jaar": snapshot_today().year})  # unbound: the year shown
    if request.GET.get("jaar") and not form.is_valid():
        return None, form
    year = form.cleaned_data.get("jaar") if form.is_bound and form.is_valid() else None
    return year or snapshot_today().year, form


def _costs_url(region: Region, year: int, name: str = "reporting:costs") -> str:
    return reverse(name) + "?" + urlencode({"regio": region.code, "jaar": year})


# --- overview: budget against spent, the periods ---------------------------------------------------

@login_required
def costs_overview(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_read_municipal_figures, request.user)
    region = _region(request, request.GET.get("regio"))
    year, form = _year(request)
    context = {"region": region, "regions": list(_regions_for(request.user)), "form": form,
               "can_manage": permissions.can_manage_costs(request.user)}
    if year is None:
        context["error"] = _("Kies een jaar van 2022 tot en met 2100.")
        return render(request, "reporting/costs.html", context, status=400)
    as_of = snapshot_today()
    context.update({"year": year, "as_of": as_of})
    if _is_gemeente(request.user):
        own = set(municipality_qs_for(request.user).filter(region=region).values_list("pk", flat=True))
        shares = []
        for period in DeclarationPeriod.objects.filter(region=region, start__year=year).order_by("start"):
            data = costs.declaration_build(period)
            shares.append({"period": period, "total": data.total_non_declarable, "missing": data.split.missing,
                           "rows": [r for r in data.split.rows if r.municipality_id in own]})
        context.update({"is_gemeente": True, "shares": shares})
        return render(request, "reporting/costs.html", context)
    context["summary"] = costs.cost_summary(region, year=year, as_of=as_of)
    context["budget"] = Budget.objects.filter(region=region, year=year).first()
    return render(request, "reporting/costs.html", context)


# --- budget ---------------------------------------------------------------------------------------

@login_required
def costs_budget(request: HttpRequest) -> HttpResponse:
    """The year's budget lines (staff): create the budget, add a line, change a line."""
    _require(permissions.can_manage_costs, request.user)
    source = request.POST if request.method == "POST" else request.GET
    region = _region(request, source.get("regio"))
    year_form = YearForm(source)
    if not year_form.is_valid() or not year_form.cleaned_data.get("jaar"):
        return render(request, "reporting/costs_budget.html",
                      {"region": region, "error": _("Kies een jaar van 2022 tot en met 2100.")}, status=400)
    year = year_form.cleaned_data["jaar"]
    budget = Budget.objects.filter(region=region, year=year).first()
    line = None
    if source.get("post"):
        if budget is None:
            raise Http404
        post = source.get("post")
        # isascii + isdecimal: "²".isdigit() is True and int("²") raises.
        line = (get_object_or_404(BudgetLine, budget=budget, pk=post)
                if post.isascii() and post.isdecimal() and len(post) <= 12 else None)
        if line is None:
            raise Http404
    initial = {"name": line.name, "amount": line.amount, "position": line.position} if line else None
    form = BudgetLineForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if budget is None:
                budget = costs.budget_create(user=request.user, region=region, year=year)
            costs.budget_line_save(user=request.user, budget=budget, line=line, name=form.cleaned_data["name"],
                                   amount=form.cleaned_data["amount"],
                                   position=form.cleaned_data.get("position") or 0)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("De begrotingspost is opgeslagen."))
            return redirect(_costs_url(region, year, "reporting:costs_budget"))
    lines = list(budget.lines.order_by("position", "name")) if budget else []
    return render(request, "reporting/costs_budget.html",
                  {"region": region, "year": year, "budget": budget, "lines": lines, "form": form, "line": line,
                   "total": sum((x.amount for x in lines), costs.ZERO),
                   "back_url": _costs_url(region, year)},
                  status=400 if form.errors else 200)


# --- entries ----------------------------------------------------------------------------------------

@login_required
def costs_entries(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    region = _region(request, request.GET.get("regio"))
    year, form = _year(request)
    if year is None:
        return render(request, "reporting/costs_entries.html",
                      {"region": region, "form": form, "error": _("Kies een jaar van 2022 tot en met 2100.")},
                      status=400)
    entries = costs.cost_entries(region, year=year).select_related("budget_line")
    closed = list(DeclarationPeriod.objects.filter(region=region, start__year=year)
                  .exclude(status=DeclarationStatus.CONCEPT))
    rows = [{"entry": e, "closed": any(p.start <= e.date <= p.end for p in closed)} for e in entries]
    return render(request, "reporting/costs_entries.html",
                  {"region": region, "year": year, "rows": rows, "form": form,
                   "total": sum((getattr(r["entry"], costs.vat_basis()) for r in rows), costs.ZERO),
                   "add_url": _costs_url(region, year, "reporting:costs_entry_add"),
                   "back_url": _costs_url(region, year)})


def _entry_form_page(request: HttpRequest, *, region: Region, year: int, entry: CostEntry | None) -> HttpResponse:
    lines = BudgetLine.objects.filter(budget__region=region).select_related("budget").order_by(
        "-budget__year", "position", "name")
    initial = None
    if entry is not None:
        initial = {key: getattr(entry, key) for key in costs.ENTRY_FIELDS}
    form = CostEntryForm(request.POST if request.method == "POST" else None,
                         request.FILES if request.method == "POST" else None,
                         lines=lines, editing=entry is not None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if entry is None:
                saved = costs.cost_entry_create(user=request.user, region=region, data=form.data_for_service(),
                                                attachment=form.cleaned_data.get("attachment"))
            else:
                saved = costs.cost_entry_update(user=request.user, entry=entry, data=form.data_for_service(),
                                                attachment=form.cleaned_data.get("attachment"),
                                                remove_attachment=form.cleaned_data.get("remove_attachment", False))
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("De kostenpost is opgeslagen."))
            return redirect(_costs_url(region, saved.date.year, "reporting:costs_entries"))
    return render(request, "reporting/costs_entry_form.html",
                  {"form": form, "entry": entry, "region": region, "year": year,
                   "back_url": _costs_url(region, year, "reporting:costs_entries")},
                  status=400 if form.errors else 200)


@login_required
def costs_entry_add(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    source = request.POST if request.method == "POST" else request.GET
    region = _region(request, source.get("regio"))
    year, _form = _year(request)
    return _entry_form_page(request, region=region, year=year or snapshot_today().year, entry=None)


@login_required
def costs_entry_edit(request: HttpRequest, uuid) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    entry = get_object_or_404(_entries_for(request.user), uuid=uuid)
    region = entry.budget_line.budget.region
    return _entry_form_page(request, region=region, year=entry.date.year, entry=entry)


@login_required
def costs_entry_delete(request: HttpRequest, uuid) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    entry = get_object_or_404(_entries_for(request.user), uuid=uuid)
    region = entry.budget_line.budget.region
    back = _costs_url(region, entry.date.year, "reporting:costs_entries")
    if request.method == "POST":
        try:
            costs.cost_entry_delete(user=request.user, entry=entry)
        except ApplicationError as error:
            return render(request, "reporting/costs_entry_delete.html",
                          {"entry": entry, "error": error.message, "back_url": back}, status=400)
        messages.success(request, _("De kostenpost is verwijderd."))
        return redirect(back)
    return render(request, "reporting/costs_entry_delete.html", {"entry": entry, "back_url": back})


@login_required
def costs_attachment(request: HttpRequest, uuid) -> FileResponse:
    """The invoice of an entry: staff of the entry's region only (never public: no MEDIA_URL)."""
    _require(permissions.can_manage_costs, request.user)
    entry = get_object_or_404(_entries_for(request.user), uuid=uuid)
    if not entry.attachment:
        raise Http404
    # Only the three checked kinds are ever stored; anything else (an old file) goes out as bytes.
    extension = entry.attachment.name.rsplit(".", 1)[-1].lower()
    content_type = costs.ATTACHMENT_CONTENT_TYPES.get(extension, "application/octet-stream")
    if extension not in costs.ATTACHMENT_CONTENT_TYPES:
        extension = "bin"
    try:
        handle = entry.attachment.open("rb")
    except FileNotFoundError as exc:  # the row outlived its file (a restore without MEDIA_ROOT): say so, no 500
        logger.error("attachment of cost entry %s missing from storage", entry.pk)
        raise Http404(_("Het bestand van deze bijlage ontbreekt.")) from exc
    response = FileResponse(handle, content_type=content_type, as_attachment=True,
                            filename=f"bijlage-{entry.date.isoformat()}.{extension}")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- periods ----------------------------------------------------------------------------------------

@login_required
def costs_periods(request: HttpRequest) -> HttpResponse:
    """The region's declaration periods (staff): add one, or the year's two half years."""
    _require(permissions.can_manage_costs, request.user)
    source = request.POST if request.method == "POST" else request.GET
    region = _region(request, source.get("regio"))
    year_form = YearForm(source)
    year = (year_form.cleaned_data.get("jaar") if year_form.is_valid() else None) or snapshot_today().year
    form = PeriodForm(request.POST if request.method == "POST" and "label" in request.POST else None)
    status = 200
    if request.method == "POST":
        if request.POST.get("halfjaren"):
            if not year_form.is_valid() or not year_form.cleaned_data.get("jaar"):
                status = 400
                messages.error(request, _("Kies een jaar van 2022 tot en met 2100."))
            else:
                made = costs.declaration_periods_ensure(user=request.user, region=region, year=year)
                messages.success(request, _("De halfjaarperiodes van %(year)s staan klaar (%(n)s).")
                                 % {"year": year, "n": len(made)})
                return redirect(_costs_url(region, year, "reporting:costs_periods"))
        elif form.is_valid():
            try:
                period = costs.declaration_period_create(user=request.user, region=region, **form.cleaned_data)
            except ApplicationError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("De periode is aangemaakt."))
                return redirect(_costs_url(region, period.start.year, "reporting:costs_periods"))
        if form.errors:
            status = 400
    periods = DeclarationPeriod.objects.filter(region=region).order_by("-start")
    return render(request, "reporting/costs_periods.html",
                  {"region": region, "year": year, "periods": periods, "form": form,
                   "back_url": _costs_url(region, year)}, status=status)


@login_required
def costs_period_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a concept period's name, dates or deadline (staff)."""
    _require(permissions.can_manage_costs, request.user)
    period = get_object_or_404(_periods_for(request.user), pk=pk)
    initial = {"label": period.label, "start": period.start, "end": period.end, "deadline": period.deadline}
    form = PeriodForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            costs.declaration_period_update(user=request.user, period=period, **form.cleaned_data)
        except ApplicationError as error:
            _add_error(form, error)
        else:
            messages.success(request, _("De periode is gewijzigd."))
            return redirect("reporting:costs_period", pk=period.pk)
    return render(request, "reporting/costs_period_edit.html", {"form": form, "period": period},
                  status=400 if form.errors else 200)


def _allowed_next(period: DeclarationPeriod) -> list[tuple[str, str]]:
    return [(s, DeclarationStatus(s).label) for s in DeclarationStatus.values
            if s in costs.TRANSITIONS.get(period.status, set())]


@login_required
def costs_period(request: HttpRequest, pk: int) -> HttpResponse:
    """One period's declaration: figures, split, documents. Staff and bestuur (bestuur: no
    entries, no documents)."""
    _require(permissions.can_read_reports, request.user)
    period = get_object_or_404(_periods_for(request.user), pk=pk)
    staff = permissions.can_manage_costs(request.user)
    data = costs.declaration_build(period)
    return render(request, "reporting/costs_period.html",
                  {"period": period, "d": data, "staff": staff,
                   "documents": costs.latest_documents(period) if staff else {},
                   "next_statuses": _allowed_next(period) if staff else [],
                   "events": period.events.select_related("by").order_by("at", "pk"),
                   "back_url": _costs_url(period.region, period.start.year)})


@login_required
@require_POST
def costs_period_transition(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    period = get_object_or_404(_periods_for(request.user), pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Kies een geldige status."))
        return redirect("reporting:costs_period", pk=period.pk)
    try:
        costs.declaration_period_transition(user=request.user, period=period, to_status=form.cleaned_data["to_status"],
                                            note=form.cleaned_data["note"])
    except ApplicationError as error:
        messages.error(request, error.message)
        response = costs_period(request, pk)
        response.status_code = 400
        return response
    messages.success(request, _("De status van de declaratie is gewijzigd."))
    return redirect("reporting:costs_period", pk=period.pk)


@login_required
@require_POST
def costs_period_build(request: HttpRequest, pk: int) -> HttpResponse:
    """Build the documents of the current figures now (the daily job does it by itself)."""
    _require(permissions.can_manage_costs, request.user)
    period = get_object_or_404(_periods_for(request.user), pk=pk)
    costs.declaration_documents_build(period=period, user=request.user)
    messages.success(request, _("De declaratiedocumenten zijn bijgewerkt."))
    return redirect("reporting:costs_period", pk=period.pk)


@login_required
def costs_document(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_manage_costs, request.user)
    document = get_object_or_404(DeclarationDocument.objects.filter(period__in=_periods_for(request.user)), pk=pk)
    period = document.period
    content_type = ("application/pdf" if document.kind == DeclarationDocument.Kind.PDF
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response = HttpResponse(bytes(document.content), content_type=content_type)
    name = (f"declaratie-{period.region.code}-{period.start.isoformat()}-{period.end.isoformat()}"
            f"-{document.sha256[:8]}.{document.kind}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

