"""Reporting pages: trends (urls in reporting/urls_trends.py).

One page, `reporting:trends`: a region's (staff, bestuur) or a municipality's (also a gemeente,
for its own) realised, occupied, available and snijverlies per snapshot day over a period, and
the capacity cliff for the months after the period's end, each chart with its table.

Access: the role (permissions.can_read_municipal_figures) or 403; the region and municipality
through the scoping functions, outside them 404. A gemeente never gets a region-wide figure.
Bad input (a malformed date or number, a reversed or too long period, a future end) is a 400
with the Dutch message in the page.
"""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from locations.selectors import municipality_qs_for, region_qs_for

from . import permissions
from .charts import cliff_chart_svg, cliff_table, svg_data_uri, trend_chart_svg, trend_table, weekly_points
from .trends import capacity_cliff, municipality_trend, region_trend, snapshot_on_or_before

PERIODS = [("3", gettext_lazy("Laatste 3 maanden")), ("12", gettext_lazy("Laatste 12 maanden")),
           ("eigen", gettext_lazy("Zelf kiezen (van – tot en met)"))]
DEFAULT_PERIOD = "12"
# A daily table of more points than this is folded into <details> and shown per week.
DAILY_TABLE_MAX_POINTS = 62


class TrendsForm(forms.Form):
    """The chooser. Region and municipality are plain values here: whether they are in the user's
    scope is the view's question (404), not a form error."""

    regio = forms.CharField(label=gettext_lazy("Regio"), required=False, widget=forms.Select)
    gemeente = forms.CharField(label=gettext_lazy("Gemeente"), required=False, widget=forms.Select)
    periode = forms.ChoiceField(label=gettext_lazy("Periode"), choices=PERIODS, required=False)
    van = forms.DateField(label=gettext_lazy("Van"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    tot = forms.DateField(label=gettext_lazy("Tot en met"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, today: dt.date, regions: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["regio"].widget.choices = [(region.code, region.name) for region in regions]

    def offer_municipalities(self, municipalities: list, *, whole_region: bool) -> None:
        choices = [("", _("Hele regio"))] if whole_region else []
        self.fields["gemeente"].widget.choices = choices + [(str(m.pk), m.name) for m in municipalities]

    def clean_gemeente(self) -> int | None:
        value = self.cleaned_data["gemeente"].strip()
        if not value:
            return None
        if not (value.isascii() and value.isdecimal()) or len(value) > 12:  # "²".isdigit() is True
            raise forms.ValidationError(_("Kies een gemeente uit de lijst."), code="invalid")
        return int(value)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        period = data.get("periode") or ""
        start, end = data.get("van"), data.get("tot")
        if not period:
            period = "eigen" if (start or end) else DEFAULT_PERIOD
        data["periode"] = period
        if period != "eigen":
            end = self.today
            start = end - relativedelta(months=int(period)) + dt.timedelta(days=1)
        else:
            if start is None or end is None:
                raise forms.ValidationError(_("Vul bij een zelfgekozen periode zowel de begin- als de einddatum in."),
                                            code="period_incomplete")
            if start > end:
                raise forms.ValidationError(_("De begindatum ligt na de einddatum."), code="period_reversed")
            if end > self.today:
                raise forms.ValidationError(
                    _("De einddatum ligt in de toekomst; kies uiterlijk vandaag (%(today)s).")
                    % {"today": formats.date_format(self.today, "SHORT_DATE_FORMAT")}, code="period_future")
            if (end - start).days + 1 > settings.TRENDS_MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    _("De periode is te lang: kies hoogstens %(days)s dagen.")
                    % {"days": settings.TRENDS_MAX_PERIOD_DAYS}, code="period_too_long")
        data["start"], data["end"] = start, end
        return data


def _subject(user, data: dict, *, regions, municipalities):
    """The region and (optional) municipality asked for, inside the user's scope, or 404."""
    municipality = None
    if data.get("gemeente") is not None:
        municipality = municipalities.filter(pk=data["gemeente"]).first()
        if municipality is None:
            raise Http404
    code = data.get("regio") or ""
    if permissions.can_read_reports(user):
        if code:
            region = regions.filter(code=code).first()
        elif municipality is not None:
            region = municipality.region
        else:
            region = regions.order_by("name").first()
        if region is None:
            raise Http404
        if municipality is not None and municipality.region_id != region.pk:
            # The region chooser was changed while a municipality of the previous region was
            # still chosen (the form submits on change): show the newly chosen region.
            municipality = None
    else:
        # A gemeente: its own municipality only, never the whole region.
        if municipality is None:
            municipality = municipalities.order_by("region__name", "name").first()
            if municipality is None:
                raise Http404
        region = municipality.region
        if code and code != region.code:
            raise Http404
    return region, municipality


def _query(request: HttpRequest):
    """The GET parameters with the period made explicit, so the chooser shows what is shown:
    no period and no dates is the default period; dates without a period are a chosen period."""
    query = request.GET.copy()
    if not query.get("periode"):
        query["periode"] = "eigen" if (query.get("van") or query.get("tot")) else DEFAULT_PERIOD
    return query


@require_safe
@login_required
def trends(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not permissions.can_read_municipal_figures(user):
        raise PermissionDenied
    today = timezone.localdate()
    whole_region = permissions.can_read_reports(user)
    regions = region_qs_for(user) if whole_region else region_qs_for(user).none()
    municipalities = municipality_qs_for(user)
    region_list = list(regions.order_by("name"))
    form = TrendsForm(_query(request), today=today, regions=region_list)
    context = {"form": form, "show_region_chooser": len(region_list) > 1}
    if not form.is_valid():
        form.offer_municipalities(list(municipalities.order_by("region__name", "name")), whole_region=whole_region)
        return render(request, "reporting/trends.html", context, status=400)
    data = form.cleaned_data
    region, municipality = _subject(user, data, regions=regions, municipalities=municipalities)
    form.offer_municipalities(list(municipalities.filter(region=region).order_by("name")), whole_region=whole_region)
    start, end = data["start"], data["end"]
    if municipality is not None:
        points = municipality_trend(municipality, start=start, end=end)
        subject = _("Gemeente %(name)s") % {"name": municipality.name}
    else:
        points = region_trend(region, start=start, end=end)
        subject = region.name
    cliff_months = settings.TRENDS_CLIFF_MONTHS
    cliff = capacity_cliff(region, as_of=end, months=cliff_months, municipality=municipality)
    cliff_snapshot = snapshot_on_or_before(region, end)

    trend_title = _("%(subject)s: capaciteit en bezetting") % {"subject": subject}
    cliff_title = _("%(subject)s: capaciteit die afloopt per maand") % {"subject": subject}
    table_points = weekly_points(points) if len(points) > DAILY_TABLE_MAX_POINTS else points
    trend_headers, trend_rows = trend_table(table_points)
    cliff_headers, cliff_rows = cliff_table(cliff)
    context.update({
        "region": region, "municipality": municipality, "subject": subject, "start": start, "end": end,
        "latest": points[-1] if points else None, "point_count": len(points),
        "trend": {"chart_uri": svg_data_uri(trend_chart_svg(points, title=trend_title)), "title": trend_title,
                  "headers": trend_headers, "rows": trend_rows, "weekly": table_points is not points},
        "cliff": {"chart_uri": svg_data_uri(cliff_chart_svg(cliff, title=cliff_title)), "title": cliff_title,
                  "headers": cliff_headers, "rows": cliff_rows},
        "cliff_months": cliff_months, "cliff_snapshot": cliff_snapshot,
        # Today's snapshot is taken in the morning (KCIO_EXPORT_HOUR): yesterday's is not stale.
        "cliff_snapshot_stale": cliff_snapshot is not None and (end - cliff_snapshot.as_of).days > 1,
        "cliff_beds": sum(month.beds_ending for month in cliff),
    })
    return render(request, "reporting/trends.html", context)
