"""Charts drawn on the server as SVG with matplotlib: the same file in the pages and in the PDFs.

Why like this:
- The pages embed a chart as `<img src="data:image/svg+xml;base64,…">` (svg_data_uri): the
  Content Security Policy allows data: images, whereas inline `<svg>` from matplotlib carries
  style attributes the policy refuses. WeasyPrint renders the same data URI in a PDF.
- No script: matplotlib's SVG has none, and an SVG shown through `<img>` would not run one anyway;
  the tests check both.
- Deterministic: the same input gives the same bytes (a fixed `svg.hashsalt` for the element
  ids, no creation date in the metadata), so a rebuilt report is identical and can be compared.
- Text is drawn as paths (`svg.fonttype` "path") with matplotlib's own DejaVu Sans: the chart
  looks the same in every browser and in WeasyPrint, with no font on the server needed. Screen
  readers get the figures from the table beside each chart (templates/reporting/_chart.html),
  and the title in the SVG's <title>.
- Colour-blind safe: the Okabe–Ito palette, and every series also has its own line style or
  marker, so no series is told apart by colour alone.
- The pyplot state machine is not used (it is not thread safe); rcParams are global, so drawing
  holds a lock while its rc_context is active.
"""

from __future__ import annotations

import base64
import io
import math
import threading
from typing import TYPE_CHECKING

import matplotlib
from django.utils import dateformat, formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure  # a Figure without pyplot: no global backend, no GUI
from matplotlib.ticker import FuncFormatter, MaxNLocator

if TYPE_CHECKING:
    from .trends import CliffMonth, TrendPoint

__all__ = ["gapped", "trend_chart_svg", "cliff_chart_svg", "svg_data_uri", "trend_table", "cliff_table", "weekly_points",
           "PALETTE"]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
PALETTE = {
    "realised": "#0072B2",  # blue
    "occupied": "#D55E00",  # vermillion
    "available": "#009E73",  # bluish green
    "snijverlies": "#CC79A7",  # reddish purple
    "bar": "#0072B2",
}
TEXT_COLOUR = "#1a1a1a"
GRID_COLOUR = "#d0d0d0"
MARKED_POINTS = 62  # up to about two months every measured day gets a marker
FIGSIZE = (8.0, 3.6)  # inches; the SVG scales to the page with CSS (.chart__image)

_RC = {
    "svg.hashsalt": "rcvs-reporting-charts",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": "#6f6f6f",
    "axes.labelcolor": TEXT_COLOUR,
    "xtick.color": TEXT_COLOUR,
    "ytick.color": TEXT_COLOUR,
    "text.color": TEXT_COLOUR,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_LOCK = threading.Lock()


def _number(value: float, _pos: object = None) -> str:
    return formats.number_format(int(round(value)), force_grouping=True)


def _series() -> list[tuple[str, str, str]]:
    return [
        ("realised", _("Gerealiseerd"), "-"),
        ("occupied", _("Bezet"), "--"),
        ("available", _("Beschikbaar"), "-."),
        ("snijverlies", _("Snijverlies"), ":"),
    ]


def _render(fig: Figure, title: str) -> str:
    buffer = io.BytesIO()
    # Date None: no creation time in the file (deterministic). Title: matplotlib writes it as the
    # root's <title> (the SVG's accessible name) and in <metadata>.
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "rcvs", "Title": title})
    return buffer.getvalue().decode("utf-8")


def _empty(ax, message: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=11, parse_math=False)


def gapped(points: list[TrendPoint]) -> tuple[list[float], list[TrendPoint | None]]:
    """The x values and points of a trend line, with a None (drawn as NaN: a break in the line)
    between two snapshot days that are not consecutive: a day without a snapshot is not bridged,
    so nothing is drawn that was not measured."""
    days: list[float] = []
    rows: list[TrendPoint | None] = []
    for index, point in enumerate(points):
        if index and (point.as_of - points[index - 1].as_of).days > 1:
            days.append(date2num(point.as_of) - 0.5)
            rows.append(None)
        days.append(date2num(point.as_of))
        rows.append(point)
    return days, rows


def trend_chart_svg(points: list[TrendPoint], *, title: str) -> str:
    """Realised, occupied, available and snijverlies per snapshot day, as an SVG document."""
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE)
        ax = fig.add_subplot()
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold", parse_math=False)  # a "$" in a name is text
        if not points:
            _empty(ax, _("Geen momentopnamen in deze periode."))
        else:
            days, rows = gapped(points)
            single = len(points) == 1
            marker = "o" if len(points) <= MARKED_POINTS else None
            for name, label, style in _series():
                values = [math.nan if row is None else getattr(row, name) for row in rows]
                ax.plot(days, values, linestyle=style, color=PALETTE[name], linewidth=1.8, label=label,
                        marker=marker, markersize=3.5)
            ax.set_ylabel(_("Bedden"))
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(FuncFormatter(_number))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.6)
            span = (points[-1].as_of - points[0].as_of).days
            locator = AutoDateLocator(minticks=3, maxticks=8)
            ax.xaxis.set_major_locator(locator)
            pattern = "j b" if span <= 92 else "b Y"
            ax.xaxis.set_major_formatter(FuncFormatter(
                lambda value, _pos: dateformat.format(num2date(value).date(), pattern)))
            if single:
                ax.set_xlim(days[0] - 1, days[0] + 1)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=4, frameon=False)
        fig.tight_layout()
        return _render(fig, title)


def cliff_chart_svg(months: list[CliffMonth], *, title: str) -> str:
    """Beds ending per month ahead as a bar chart (value on each bar), as an SVG document."""
    with _LOCK, matplotlib.rc_context(_RC):
        fig = Figure(figsize=FIGSIZE)
        ax = fig.add_subplot()
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold", parse_math=False)
        if not months:
            _empty(ax, _("Geen momentopname om de einddatums uit te lezen."))
        else:
            positions = list(range(len(months)))
            values = [month.beds_ending for month in months]
            bars = ax.bar(positions, values, color=PALETTE["bar"], edgecolor="#003f63", linewidth=0.6, width=0.7)
            ax.bar_label(bars, labels=[_number(v) if v else "" for v in values], padding=2, fontsize=8)
            ax.set_xticks(positions, [dateformat.format(month.month, "b Y") for month in months],
                          rotation=45, ha="right")
            ax.set_ylabel(_("Bedden die aflopen"))
            ax.set_ylim(bottom=0, top=max(max(values) * 1.15, 1))
            ax.yaxis.set_major_formatter(FuncFormatter(_number))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
            ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.6)
            ax.set_axisbelow(True)
        fig.tight_layout()
        return _render(fig, title)


def svg_data_uri(svg: str) -> str:
    """A data: URI for `<img src>`: the CSP allows data: images, not inline SVG with styles."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# --- the data tables beside the charts (same figures, for screen readers and print) ---------------

def weekly_points(points: list[TrendPoint]) -> list[TrendPoint]:
    """The last point of every ISO week (and the period's last point): a readable table of a year."""
    by_week: dict[tuple[int, int], TrendPoint] = {}
    for point in points:
        by_week[point.as_of.isocalendar()[:2]] = point  # points are in date order: the last one wins
    return list(by_week.values())


def trend_table(points: list[TrendPoint]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (formatted in the active language) of a trend chart's table."""
    headers = [_("Datum"), _("Gerealiseerd"), _("Bezet"), _("Beschikbaar"), _("Snijverlies"),
               _("Bezettingsgraad")]
    rows = []
    for point in points:
        rate = point.occupancy_rate
        rows.append([formats.date_format(point.as_of, "SHORT_DATE_FORMAT"), _number(point.realised),
                     _number(point.occupied), _number(point.available), _number(point.snijverlies),
                     "–" if rate is None else f"{formats.number_format(rate, 1)} %"])
    return headers, rows


def cliff_table(months: list[CliffMonth]) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a cliff chart's table: month, beds ending, the locations (code, beds, date)."""
    headers = [_("Maand"), _("Bedden die aflopen"), _("Locaties")]
    rows = []
    for month in months:
        names = "; ".join(
            f"{loc.name} ({loc.code}, {loc.municipality_name}): "
            + ngettext("%(beds)s bed", "%(beds)s bedden", loc.beds) % {"beds": _number(loc.beds)}
            + f", {formats.date_format(loc.end_date, 'SHORT_DATE_FORMAT')}"
            for loc in month.locations
        ) or "–"
        rows.append([dateformat.format(month.month, "F Y"), _number(month.beds_ending), names])
    return headers, rows

