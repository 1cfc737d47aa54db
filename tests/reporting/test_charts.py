"""Server-side SVG charts (reporting/charts.py) and their template (templates/reporting/_chart.html)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import xml.etree.ElementTree as ET

import pypdfium2
import pytest
import weasyprint
from django.template.loader import render_to_string
from django.utils import translation

from reporting.charts import (
    cliff_chart_svg,
    cliff_table,
    gapped,
    svg_data_uri,
    trend_chart_svg,
    trend_table,
    weekly_points,
)
from reporting.trends import CliffMonth, EndingLocation, TrendPoint

SVG = "{http://www.w3.org/2000/svg}"


def points(days=30, start=dt.date(2026, 1, 1)):
    return [TrendPoint(as_of=start + dt.timedelta(days=i), realised=4800 + i, occupied=4300 + i, available=300,
                       snijverlies=100 + i % 7, out_of_service=100 - i % 7) for i in range(days)]


def months():
    ending = EndingLocation(code="AAD-001", name="Het Anker", municipality_name="Aadorp",
                            end_date=dt.date(2027, 1, 15), beds=1250)
    return [CliffMonth(month=dt.date(2026, 12, 1), beds_ending=0, locations=[]),
            CliffMonth(month=dt.date(2027, 1, 1), beds_ending=1250, locations=[ending])]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


@pytest.mark.parametrize("draw", [
    lambda title: trend_chart_svg(points(), title=title),
    lambda title: trend_chart_svg(points(1), title=title),
    lambda title: trend_chart_svg(points(400), title=title),
    lambda title: trend_chart_svg([], title=title),
    lambda title: cliff_chart_svg(months(), title=title),
    lambda title: cliff_chart_svg([], title=title),
])
def test_svg_parses_has_its_title_and_no_script(draw):
    title = "Regio Noord & <Zuid>: capaciteit"
    svg = draw(title)
    root = parse(svg)
    assert root.find(f"{SVG}title").text == title  # the accessible name, escaped correctly
    assert not [el for el in root.iter() if el.tag in (f"{SVG}script", "script", f"{SVG}foreignObject")]
    assert "<script" not in svg.lower()
    for el in root.iter():  # no event handlers, no external references
        assert not [name for name in el.attrib if name.lower().startswith("on")]
        href = el.attrib.get("{http://www.w3.org/1999/xlink}href", el.attrib.get("href", "#"))
        assert href.startswith(("#", "data:")), href
    assert "<dc:date>" not in svg.lower()  # no creation time


def test_identical_input_gives_identical_bytes_and_other_input_other_bytes():
    assert trend_chart_svg(points(), title="A") == trend_chart_svg(points(), title="A")
    assert cliff_chart_svg(months(), title="A") == cliff_chart_svg(months(), title="A")
    assert trend_chart_svg(points(), title="A") != trend_chart_svg(points(31), title="A")
    changed = months()
    changed[1] = CliffMonth(month=changed[1].month, beds_ending=1249, locations=changed[1].locations)
    assert cliff_chart_svg(months(), title="A") != cliff_chart_svg(changed, title="A")


def test_a_day_without_snapshot_breaks_the_line():
    days = points(5)
    del days[2]  # 2026-01-03 missing
    xs, rows = gapped(days)
    assert rows == [days[0], days[1], None, days[2], days[3]]
    assert len(xs) == 5
    assert gapped(points(3))[1] == points(3)
    # and the drawing differs from one that bridges the gap
    assert trend_chart_svg(days, title="T") != trend_chart_svg(
        [TrendPoint(**{**p.__dict__, "as_of": dt.date(2026, 1, 1) + dt.timedelta(days=i)}) for i, p in enumerate(days)],
        title="T")


def test_labels_follow_the_active_language():
    # text is drawn as paths, so compare the drawing: Dutch and English legends differ
    with translation.override("nl"):
        dutch = trend_chart_svg(points(), title="T")
    with translation.override("en"):
        english = trend_chart_svg(points(), title="T")
    assert dutch != english


def test_data_uri_round_trips():
    svg = cliff_chart_svg(months(), title="Capaciteit die afloopt")
    uri = svg_data_uri(svg)
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix):]).decode("utf-8") == svg


def test_tables_hold_the_same_figures_in_dutch_format():
    with translation.override("nl"):
        headers, rows = trend_table(points(2))
        assert headers == ["Datum", "Gerealiseerd", "Bezet", "Beschikbaar", "Snijverlies", "Bezettingsgraad"]
        # 4300 / (4800 - 100) = 91.49 %
        assert rows[0] == ["1-1-2026", "4.800", "4.300", "300", "100", "91,5 %"]
        headers, rows = cliff_table(months())
        assert headers == ["Maand", "Bedden die aflopen", "Locaties"]
        assert rows == [["december 2026", "0", "–"],
                        ["januari 2027", "1.250", "Het Anker (AAD-001, Aadorp): 1.250 bedden, 15-1-2027"]]
    no_beds = TrendPoint(as_of=dt.date(2026, 1, 1), realised=3, occupied=0, available=0, snijverlies=0,
                         out_of_service=3)
    assert trend_table([no_beds])[1][0][-1] == "–"


def test_weekly_points_keep_the_last_day_of_each_iso_week():
    # 2026-01-01 is a Thursday: week 1 ends Sunday 01-04, then whole weeks
    weekly = weekly_points(points(14))
    assert [p.as_of for p in weekly] == [dt.date(2026, 1, 4), dt.date(2026, 1, 11), dt.date(2026, 1, 14)]


def test_chart_template_has_img_alt_and_a_real_table_and_no_inline_style():
    headers, rows = cliff_table(months())
    html = render_to_string("reporting/_chart.html", {
        "chart_uri": svg_data_uri(cliff_chart_svg(months(), title="Capaciteit die afloopt")),
        "title": "Capaciteit die afloopt", "headers": headers, "rows": rows, "collapsed": True})
    assert '<img class="chart__image" src="data:image/svg+xml;base64,' in html
    assert 'alt="Grafiek: Capaciteit die afloopt.' in html
    assert '<caption class="visually-hidden">Capaciteit die afloopt</caption>' in html
    assert '<th scope="row">januari 2027</th><td>1.250</td>' in html
    assert "<details" in html
    assert "style=" not in html and "<script" not in html
    assert "<details" not in render_to_string("reporting/_chart.html", {
        "chart_uri": "data:,", "title": "T", "headers": headers, "rows": rows})


def test_charts_render_in_weasyprint():
    """The same data URI the pages use, in a PDF: it has a page, and the page is not blank."""
    html = render_to_string("reporting/_chart.html", {
        "chart_uri": svg_data_uri(trend_chart_svg(points(90), title="Trend")), "title": "Trend",
        "headers": ["a"], "rows": [["b"]]})
    pdf = weasyprint.HTML(string=f"<html><body>{html}</body></html>").write_pdf()
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    assert len(document) >= 1
    image = document[0].render(scale=1).to_pil().convert("L")
    top = image.crop((0, 0, image.width, image.height // 3))
    dark = sum(top.histogram()[:128])
    assert dark > 500  # lines and axis labels drawn, not an empty box
    # without the chart, the same area is nearly blank (so the count above does measure the chart)
    blank_pdf = weasyprint.HTML(string="<html><body><p>x</p></body></html>").write_pdf()
    blank = pypdfium2.PdfDocument(io.BytesIO(blank_pdf))[0].render(scale=1).to_pil().convert("L")
    assert sum(blank.crop((0, 0, blank.width, blank.height // 3)).histogram()[:128]) < 200
