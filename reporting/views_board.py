"""Reporting pages: board (urls in reporting/urls_board.py).

The board reports (list, request, progress, download) are for staff and bestuur of the region
(`permissions.can_read_reports`, else 403; another region's report is a 404). The decision list
is read by both and kept by staff (`permissions.can_manage_board_items`)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from dateutil.relativedelta import relativedelta
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from locations.models import Region
from locations.selectors import region_qs_for
from rcvs.errors import ApplicationError, add_to_form

from . import permissions
from .board import board_report_qs_for, board_report_request, current_reports, month_start, parse_period
from .board_items import board_item_create, board_item_qs_for, board_item_update
from .models import BoardItem, BoardItemKind, BoardItemStatus, BoardReport, BoardReportStatus


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- board reports ----------------------------------------------------------------------------

class MonthField(forms.CharField):
    """YYYY-MM (what <input type="month"> sends) as the first day of that month."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "JJJJ-MM"})

    def to_python(self, value: str) -> dt.date | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_period(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class ReportRequestForm(forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("Regio"), queryset=Region.objects.none(),
                                    to_field_name="code", empty_label=None)
    period = MonthField(label=gettext_lazy("Maand"))
    language = forms.ChoiceField(label=gettext_lazy("Taal"), choices=[("nl", "Nederlands"), ("en", "English")])

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["region"].error_messages["invalid_choice"] = _("Kies een regio uit de lijst.")


@login_required
@require_http_methods(["GET", "POST"])
def board_reports(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_read_reports(request.user))
    regions = region_qs_for(request.user).order_by("name")
    last_month = month_start(timezone.localdate()) - relativedelta(months=1)
    if request.method == "POST":
        form = ReportRequestForm(request.POST, regions=regions)
        if form.is_valid():
            try:
                report, created = board_report_request(
                    region=form.cleaned_data["region"], period=form.cleaned_data["period"],
                    language=form.cleaned_data["language"], user=request.user)
            except ApplicationError as error:
                add_to_form(form, error)
            else:
                messages.success(request, _("De rapportage wordt gemaakt; deze pagina laat de voortgang zien.")
                                 if created else _("Deze rapportage werd al gemaakt; de voortgang staat hieronder."))
                return redirect(f"{reverse('reporting:board_reports')}#report-{report.uuid}")
    else:
        form = ReportRequestForm(regions=regions, initial={
            "region": regions.first(), "period": last_month.strftime("%Y-%m"), "language": "nl"})
    visible = board_report_qs_for(request.user)
    chosen = request.GET.get("region")
    if chosen:
        visible = visible.filter(region__code=chosen)  # already scoped: another region's code lists nothing
    current_ids = set(current_reports(visible).values_list("pk", flat=True))
    reports = list(visible.order_by("-period", "region__name", "language", "-version")[:60])
    return render(request, "reporting/board_reports.html", {
        "form": form, "reports": reports, "current_ids": current_ids, "several_regions": regions.count() > 1,
    }, status=400 if request.method == "POST" and form.errors else 200)


@login_required
@require_GET
def board_report_status(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """One report's row: what the page polls (htmx) while the report is being built."""
    _require(permissions.can_read_reports(request.user))
    report = get_object_or_404(board_report_qs_for(request.user), uuid=uuid)
    current_ids = set(current_reports(board_report_qs_for(request.user).filter(
        region_id=report.region_id, period=report.period, language=report.language)).values_list("pk", flat=True))
    return render(request, "reporting/board_report_row.html", {"report": report, "current_ids": current_ids})


@login_required
@require_GET
def board_report_download(request: HttpRequest, uuid: UUID) -> HttpResponse:
    _require(permissions.can_read_reports(request.user))
    report = get_object_or_404(board_report_qs_for(request.user).filter(status=BoardReportStatus.DONE), uuid=uuid)
    pdf = bytes(BoardReport.objects.filter(pk=report.pk).values_list("pdf", flat=True).get())
    response = HttpResponse(pdf, content_type="application/pdf")
    # Region code and month only: no personal data in a file name.
    name = f"bestuursrapportage-{report.region.code}-{report.period:%Y-%m}-{report.language}-v{report.version}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-SHA256"] = report.sha256
    response["Cache-Control"] = "private, no-store"
    return response


# --- the decision list ------------------------------------------------------------------------

class BoardItemForm(forms.ModelForm):
    class Meta:
        model = BoardItem
        fields = ["kind", "title", "description", "owner", "due_date", "status", "decided_on"]
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "decided_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["kind"]  # B-3 stays B-3


class ItemFilterForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), to_field_name="code", required=False,
                                    label=gettext_lazy("Regio"), empty_label=gettext_lazy("Alle regio's"))
    status = forms.ChoiceField(required=False, label=gettext_lazy("Status"), choices=[
        ("open", gettext_lazy("Open en in uitvoering")), ("all", gettext_lazy("Alle")),
        *BoardItemStatus.choices])


class AddItemForm(BoardItemForm):
    region = forms.ModelChoiceField(queryset=Region.objects.none(), to_field_name="code", empty_label=None,
                                    label=gettext_lazy("Regio"))

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


@login_required
@require_http_methods(["GET", "POST"])
def board_items(request: HttpRequest) -> HttpResponse:
    _require(permissions.can_read_reports(request.user))
    can_manage = permissions.can_manage_board_items(request.user)
    regions = region_qs_for(request.user).order_by("name")
    add_form = AddItemForm(regions=regions, initial={"region": regions.first()}) if can_manage else None
    if request.method == "POST":
        _require(can_manage)
        add_form = AddItemForm(request.POST, regions=regions)
        if add_form.is_valid():
            data = dict(add_form.cleaned_data)
            try:
                item = board_item_create(user=request.user, **data)
            except ApplicationError as error:
                add_to_form(add_form, error)
            else:
                messages.success(request, _("%(label)s is toegevoegd.") % {"label": item.label})
                return redirect("reporting:board_items")
    filters = ItemFilterForm(request.GET or None)
    filters.fields["region"].queryset = regions
    items = board_item_qs_for(request.user)
    status = "open"
    if filters.is_valid():
        if filters.cleaned_data["region"]:
            items = items.filter(region=filters.cleaned_data["region"])
        status = filters.cleaned_data["status"] or "open"
    if status == "open":
        items = items.filter(status__in=[BoardItemStatus.OPEN, BoardItemStatus.IN_PROGRESS])
    elif status != "all":
        items = items.filter(status=status)
    kinds = {kind: n for n, kind in enumerate(BoardItemKind.values)}
    rows = sorted(items, key=lambda i: (i.region.name, kinds[i.kind], i.number))
    return render(request, "reporting/board_items.html", {
        "items": rows, "filters": filters, "add_form": add_form, "can_manage": can_manage,
        "several_regions": regions.count() > 1,
    }, status=400 if request.method == "POST" and add_form is not None and add_form.errors else 200)


def _shown(name: str, value: object) -> object:
    """A history value as the page shows it: a status by its Dutch label, a date as a date."""
    if value in (None, ""):
        return value
    if name == "status" and value in BoardItemStatus.values:
        return BoardItemStatus(value).label
    if name == "kind" and value in BoardItemKind.values:
        return BoardItemKind(value).label
    if name in ("due_date", "decided_on"):
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            return value
    return value


@login_required
@require_http_methods(["GET", "POST"])
def board_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(permissions.can_read_reports(request.user))
    item = get_object_or_404(board_item_qs_for(request.user), pk=pk)
    _require(permissions.can_manage_board_items(request.user))
    if request.method == "POST":
        form = BoardItemForm(request.POST, instance=BoardItem.objects.get(pk=item.pk), editing=True)
        if form.is_valid():
            try:
                item = board_item_update(user=request.user, item=item, **form.cleaned_data)
            except ApplicationError as error:
                add_to_form(form, error)
            else:
                messages.success(request, _("%(label)s is opgeslagen.") % {"label": item.label})
                return redirect("reporting:board_items")
    else:
        form = BoardItemForm(instance=item, editing=True)
    events = [{"event": event, "changes": [
        (BoardItem._meta.get_field(name).verbose_name, _shown(name, old), _shown(name, new))
        for name, (old, new) in event.changes.items() if name in BoardItemForm.Meta.fields]}
        for event in item.events.select_related("actor").order_by("-at", "-pk")]
    return render(request, "reporting/board_item_edit.html", {"item": item, "form": form, "events": events},
                  status=400 if request.method == "POST" and form.errors else 200)
