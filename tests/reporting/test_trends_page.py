"""The trends page (reporting:trends): figures from the snapshots, scope per persona, bad input.

Uses the hand-made snapshots of test_trends.py (Noord on 2026-11-01, -03, -04; Zuid on 11-01).
The page's default period is the last 12 months up to today, which holds them while today is
before 2027-11-01; the tests that need a fixed window ask for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from rcvs.accounts.models import Role
from tests.factories import UserFactory
from tests.reporting.test_trends import anker, build_history, make_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(world):
    return build_history(world)

URL = reverse("reporting:trends")
WINDOW = {"periode": "eigen", "van": "2026-10-01", "tot": "2026-11-30"}


def get(client, **params):
    return client.get(URL, params)


def chart_svgs(html: str) -> list[str]:
    return [base64.b64decode(data).decode("utf-8")
            for data in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)]


def row(html: str, first_cell: str) -> list[str]:
    """The cells of the table row whose row header is `first_cell`."""
    match = re.search(rf'<tr><th scope="row">{re.escape(first_cell)}</th>(.*?)</tr>', html, re.S)
    assert match, f"no row {first_cell!r}"
    return re.findall(r"<td>(.*?)</td>", match.group(1), re.S)


def test_staff_sees_the_region_trend_and_cliff(history, personas, login):
    response = get(login(personas.coordinator), **WINDOW)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trends: Regio Noord" in html
    # the last point of the window (2026-11-04): realised 13, occupied 7, available 0, snijverlies 0
    assert re.search(r'id="latest-realised">13<', html) and re.search(r'id="latest-occupied">7<', html)
    assert row(html, "1-11-2026") == ["20", "9", "4", "1", "64,3 %"]
    assert row(html, "3-11-2026") == ["20", "13", "1", "0", "92,9 %"]
    assert row(html, "4-11-2026") == ["13", "7", "0", "0", "100,0 %"]
    assert "2-11-2026" not in html  # no snapshot that day: no point, nothing guessed
    # the cliff from the end of the window (11-30), read from the snapshot of 11-04: AAD-001 in January
    assert row(html, "januari 2027")[0] == "13"
    assert row(html, "november 2026") == ["0", "–"]
    assert "momentopname van 4 november 2026" in html
    assert "Er is geen recente momentopname aan het einde van de periode: de laatste is van 4 november 2026." in html
    svgs = chart_svgs(html)
    assert len(svgs) == 2
    titles = [ET.fromstring(svg.encode()).find("{http://www.w3.org/2000/svg}title").text for svg in svgs]
    assert titles == ["Regio Noord: capaciteit en bezetting", "Regio Noord: capaciteit die afloopt per maand"]


def test_page_is_served_under_the_csp_without_inline_style_or_script(history, personas, login):
    response = get(login(personas.coordinator))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data:" in policy
    html = response.content.decode()
    assert " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # only external scripts
    assert not re.search(r"\son[a-z]+=", html)


def test_default_period_is_the_last_twelve_months(history, personas, login):
    today = timezone.localdate()
    response = get(login(personas.coordinator))
    html = response.content.decode()
    assert response.status_code == 200
    start = today.replace(year=today.year - 1) + dt.timedelta(days=1) if not (
        today.month == 2 and today.day == 29) else dt.date(today.year - 1, 3, 1)
    assert f"Van {start.day} " in html
    assert '<option value="12" selected>' in html


def test_staff_sees_one_municipality(history, personas, login):
    html = get(login(personas.coordinator), gemeente=history.mun_b.pk, **WINDOW).content.decode()
    assert "Trends: Gemeente Beekdal" in html
    assert row(html, "1-11-2026") == ["7", "5", "2", "0", "71,4 %"]
    assert row(html, "4-11-2026") == ["0", "0", "0", "0", "–"]
    # Beekdal's cliff from 11-30 (snapshot of 11-04): BEE-001 no longer there, nothing ends
    assert "In totaal lopen 0 bedden af." in html


def test_a_custom_period_and_the_cliff_as_of_its_end(history, personas, login):
    html = get(login(personas.bestuur), periode="eigen", van="2026-11-02", tot="2026-11-03").content.decode()
    assert row(html, "3-11-2026") == ["20", "13", "1", "0", "92,9 %"]
    assert "1-11-2026" not in html
    # as of 11-03: BEE-001 ends 11-30 (7 beds), AAD-001 in January
    assert row(html, "november 2026")[0] == "7"
    assert "De Beuk (BEE-001, Beekdal): 7 bedden, 30-11-2026" in html
    # dates without a period choice count as a chosen period
    html = get(login(personas.bestuur), van="2026-11-02", tot="2026-11-03").content.decode()
    assert '<option value="eigen" selected>' in html and "1-11-2026" not in html


def test_no_stale_warning_when_the_last_snapshot_is_of_the_end_or_the_day_before(history, personas, login):
    client = login(personas.coordinator)
    for end in ("2026-11-04", "2026-11-05"):  # the 5th: that day's snapshot is not taken yet in the morning
        html = get(client, periode="eigen", van="2026-11-01", tot=end).content.decode()
        assert "momentopname van 4 november 2026" in html and "geen recente momentopname" not in html
    html = get(client, periode="eigen", van="2026-11-01", tot="2026-11-06").content.decode()
    assert "geen recente momentopname" in html


def test_cliff_without_a_snapshot_says_so(history, personas, login):
    html = get(login(personas.coordinator), periode="eigen", van="2026-10-01", tot="2026-10-31").content.decode()
    assert "Er zijn in deze periode geen momentopnamen gemaakt." in html
    assert "Er is geen momentopname op of voor het einde van de periode" in html


def test_gemeente_sees_only_its_own_municipality(history, personas, login):
    client = login(personas.gemeente_a)
    html = get(client, **WINDOW).content.decode()
    assert "Trends: Gemeente Aadorp" in html
    assert row(html, "1-11-2026") == ["13", "4", "2", "1", "57,1 %"]
    assert "Hele regio" not in html and "Beekdal" not in html
    assert get(client, gemeente=history.mun_b.pk).status_code == 404  # the other municipality of its region
    assert get(client, gemeente=history.mun_c.pk).status_code == 404
    assert get(client, regio="zuid").status_code == 404
    assert get(client, regio="noord").status_code == 200  # its own region's code, still only Aadorp


def test_outsider_sees_its_own_region_and_nothing_of_noord(history, personas, login):
    client = login(personas.outsider)
    html = get(client, **WINDOW).content.decode()
    assert "Trends: Regio Zuid" in html and "Noord" not in html and "Aadorp" not in html
    assert get(client, regio="noord").status_code == 404
    assert get(client, gemeente=history.mun_a.pk).status_code == 404
    assert get(client, regio="noord", gemeente=history.mun_a.pk).status_code == 404
    assert get(client, gemeente=999999).status_code == 404


def test_only_get_and_head(history, personas, login):
    client = login(personas.coordinator)
    assert client.post(URL, WINDOW).status_code == 405
    assert client.head(URL).status_code == 200


def test_roles_without_reporting_are_refused(history, personas, login, client):
    assert get(login(personas.belteam)).status_code == 403
    coach = UserFactory(username="coach", role=Role.MENTAL_COACH, regions=[history.noord])
    assert get(login(coach)).status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response.headers["Location"]


def test_a_user_of_several_regions_chooses_one(history, personas, login):
    boss = UserFactory(username="boss", role=Role.BESTUUR, regions=[history.noord, history.zuid])
    client = login(boss)
    html = get(client, **WINDOW).content.decode()
    assert 'name="regio"' in html and "Trends: Regio Noord" in html  # first by name
    html = get(client, regio="zuid", **WINDOW).content.decode()
    assert "Trends: Regio Zuid" in html and row(html, "1-11-2026") == ["5", "0", "5", "0", "0,0 %"]
    # the region changed while a Noord municipality was still chosen: the chosen region is shown
    html = get(client, regio="zuid", gemeente=history.mun_a.pk, **WINDOW).content.decode()
    assert "Trends: Regio Zuid" in html
    # a single-region user gets no region chooser
    assert 'name="regio"' not in get(login(personas.coordinator)).content.decode()


@pytest.mark.parametrize(("params", "message"), [
    ({"periode": "eigen", "van": "2026-13-45", "tot": "2026-11-30"}, "Voer een geldige datum in."),
    ({"periode": "eigen", "van": "gisteren", "tot": "2026-11-30"}, "Voer een geldige datum in."),
    ({"periode": "eigen", "van": "2026-11-30", "tot": "2026-11-01"}, "De begindatum ligt na de einddatum."),
    ({"periode": "eigen", "van": "2026-11-01"}, "zowel de begin- als de einddatum"),
    ({"periode": "eigen", "van": "2019-01-01", "tot": "2026-11-30"}, "De periode is te lang"),
    ({"periode": "7"}, "Selecteer een geldige keuze."),
    ({"gemeente": "abc"}, "Kies een gemeente uit de lijst."),
])
def test_bad_input_is_a_400_with_a_dutch_message(history, personas, login, params, message):
    response = get(login(personas.coordinator), **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'class="error-summary"' in html
    assert not chart_svgs(html)


def test_an_end_date_in_the_future_is_refused(history, personas, login):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = get(login(personas.coordinator), periode="eigen", van="2026-11-01", tot=tomorrow.isoformat())
    assert response.status_code == 400
    assert "De einddatum ligt in de toekomst" in response.content.decode()


def test_queries_do_not_grow_with_the_snapshots(history, personas, login, django_assert_max_num_queries):
    client = login(personas.coordinator)
    get(client, **WINDOW)
    with django_assert_max_num_queries(14) as few:
        assert get(client, **WINDOW).status_code == 200
    for day in range(5, 30):
        make_snapshot(history.noord, dt.date(2026, 11, day), [
            anker(realised=13, occupied=7, available=0, snijverlies=0, out_of_service=6)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert get(client, **WINDOW).status_code == 200


def test_a_long_series_has_a_weekly_table(history, personas, login):
    for day in range(5, 31):
        make_snapshot(history.noord, dt.date(2026, 11, day), [
            anker(realised=13, occupied=7, available=0, snijverlies=0, out_of_service=6)])
    for offset in range(61):  # 2026-09-01 to 10-31
        make_snapshot(history.noord, dt.date(2026, 9, 1) + dt.timedelta(days=offset), [
            anker(realised=13, occupied=7, available=0, snijverlies=0, out_of_service=6)])
    client = login(personas.coordinator)
    html = get(client, periode="eigen", van="2026-09-01", tot="2026-11-30").content.decode()
    assert "Per week: de laatste dag met een momentopname van elke week." in html
    assert "<tr><th scope=\"row\">1-11-2026</th>" in html  # Sunday: the last day of its week
    assert "<tr><th scope=\"row\">3-11-2026</th>" not in html  # a Tuesday
    html = get(client, periode="eigen", van="2026-11-01", tot="2026-11-30").content.decode()
    assert "Per week" not in html and "<tr><th scope=\"row\">3-11-2026</th>" in html


def test_the_reporting_index_links_the_trends_page(history, personas, login):
    assert URL in login(personas.gemeente_a).get(reverse("reporting:index")).content.decode()
    assert URL in login(personas.bestuur).get(reverse("reporting:index")).content.decode()
