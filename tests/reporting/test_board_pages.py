"""The board pages: reports (list, request, progress, download) and the B/K/A decision list.

Who: staff (coordinator, beheerder) and bestuur of the region read and request reports; bestuur
reads the decision list, only staff changes it; belteam and gemeente get 403; the outsider
(beheerder of Zuid) finds nothing of Noord (404)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reporting.board_items import board_item_create
from reporting.models import BoardItem, BoardItemEvent, BoardReport

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)
LIST = reverse("reporting:board_reports")
ITEMS = reverse("reporting:board_items")


def done_report(region, *, period=OCTOBER, version=1, language="nl") -> BoardReport:
    pdf = b"%PDF-1.7 test"
    import hashlib

    return BoardReport.objects.create(region=region, period=period, version=version, language=language,
                                      status="done", progress=100, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
                                      size=len(pdf), finished_at=timezone.now())


@pytest.fixture
def reports(world):
    return {"noord": done_report(world.noord), "zuid": done_report(world.zuid)}


# --- reports ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["bestuur", "coordinator", "beheerder"])
def test_staff_and_bestuur_see_their_regions_reports_and_download_them(who, personas, login, reports):
    client = login(getattr(personas, who))
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert str(reports["noord"].uuid) in html and str(reports["zuid"].uuid) not in html
    download = client.get(reverse("reporting:board_report_download", args=[reports["noord"].uuid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content == b"%PDF-1.7 test"
    assert download["Content-Disposition"] == 'attachment; filename="bestuursrapportage-noord-2026-10-nl-v1.pdf"'


@pytest.mark.parametrize("who", ["belteam", "gemeente_a"])
def test_belteam_and_gemeente_are_refused(who, personas, login, reports):
    client = login(getattr(personas, who))
    uuid = reports["noord"].uuid
    for url in (LIST, reverse("reporting:board_report_download", args=[uuid]),
                reverse("reporting:board_report_status", args=[uuid]), ITEMS):
        assert client.get(url).status_code == 403, url
    assert client.post(LIST, {"region": "noord", "period": "2026-10", "language": "nl"}).status_code == 403
    assert BoardReport.objects.count() == 2


def test_the_outsider_finds_nothing_of_noord(personas, login, reports):
    client = login(personas.outsider)
    uuid = reports["noord"].uuid
    assert client.get(reverse("reporting:board_report_download", args=[uuid])).status_code == 404
    assert client.get(reverse("reporting:board_report_status", args=[uuid])).status_code == 404
    html = client.get(LIST).content.decode()
    assert str(uuid) not in html and "Regio Noord" not in html
    # Asking for Noord's report: not a region of theirs, so the form refuses it; nothing queued.
    response = client.post(LIST, {"region": "noord", "period": "2026-10", "language": "nl"})
    assert response.status_code == 400 and "Kies een regio uit de lijst." in response.content.decode()
    assert BoardReport.objects.filter(region__code="noord").count() == 1


def test_anonymous_goes_to_the_login(client, reports):
    response = client.get(reverse("reporting:board_report_download", args=[reports["noord"].uuid]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_report_still_being_built_is_not_downloadable(world, personas, login):
    building = BoardReport.objects.create(region=world.noord, period=OCTOBER, status="building", progress=35,
                                          step="Capaciteit die afloopt")
    client = login(personas.bestuur)
    assert client.get(reverse("reporting:board_report_download", args=[building.uuid])).status_code == 404
    row = client.get(reverse("reporting:board_report_status", args=[building.uuid]))
    html = row.content.decode()
    # The row polls itself while the build runs, and shows how far it is.
    assert 'hx-trigger="every 2s"' in html and 'value="35"' in html and "Capaciteit die afloopt" in html


def test_a_finished_row_stops_polling_and_offers_the_file(world, personas, login, reports):
    html = login(personas.bestuur).get(reverse("reporting:board_report_status", args=[reports["noord"].uuid])).content.decode()
    assert "hx-trigger" not in html
    assert reverse("reporting:board_report_download", args=[reports["noord"].uuid]) in html
    assert "actueel" in html


def test_bestuur_requests_a_report_and_the_page_shows_it(world, personas, login, django_capture_on_commit_callbacks,
                                                         monkeypatch):
    from reporting import board

    queued = []
    monkeypatch.setattr(board, "_enqueue", queued.append)
    client = login(personas.bestuur)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"region": "noord", "period": "2026-10", "language": "en"})
    assert response.status_code == 302
    report = BoardReport.objects.get()
    assert (report.region, report.period, report.language, report.requested_by, report.status) == (
        world.noord, OCTOBER, "en", personas.bestuur, "queued")
    assert queued == [report.pk]
    html = client.get(LIST).content.decode()
    assert f'id="report-{report.uuid}"' in html and "hx-get" in html


@pytest.mark.parametrize(("period", "message"), [
    ("2099-01", "is nog niet begonnen"), ("oktober", "Ongeldige maand"), ("", "Dit veld is vereist."),
])
def test_a_bad_month_is_refused_with_400_and_a_dutch_message(world, personas, login, period, message):
    response = login(personas.coordinator).post(LIST, {"region": "noord", "period": period, "language": "nl"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not BoardReport.objects.exists()


# --- the decision list ------------------------------------------------------------------------

@pytest.fixture
def noord_items(world, personas):
    a = board_item_create(user=personas.coordinator, region=world.noord, kind="A", title="Contract verlengen",
                          owner="coördinator huisvesting", due_date=dt.date(2026, 12, 15))
    z = board_item_create(user=None, region=world.zuid, kind="B", title="Zuid-besluit")
    return {"noord": a, "zuid": z}


def test_bestuur_reads_the_list_but_cannot_change_it(personas, login, noord_items):
    client = login(personas.bestuur)
    page = client.get(ITEMS)
    html = page.content.decode()
    assert page.status_code == 200 and "A-1" in html and "Contract verlengen" in html and "Zuid-besluit" not in html
    assert "Punt toevoegen" not in html
    assert client.post(ITEMS, {"region": "noord", "kind": "B", "title": "X", "status": "open"}).status_code == 403
    edit = reverse("reporting:board_item_edit", args=[noord_items["noord"].pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "Anders", "status": "done"}).status_code == 403
    assert BoardItem.objects.count() == 2
    assert BoardItem.objects.get(pk=noord_items["noord"].pk).title == "Contract verlengen"


def test_staff_adds_an_item_and_gets_the_next_number(personas, login, noord_items):
    client = login(personas.coordinator)
    response = client.post(ITEMS, {"region": "noord", "kind": "A", "title": "Tweede actie", "owner": "teamleider",
                                   "status": "open"})
    assert response.status_code == 302
    item = BoardItem.objects.get(title="Tweede actie")
    assert (item.label, item.region.code, item.created_by) == ("A-2", "noord", personas.coordinator)
    assert BoardItemEvent.objects.filter(item=item, kind="created").count() == 1


def test_staff_edits_an_item_and_the_history_shows_it(personas, login, noord_items):
    client = login(personas.coordinator)
    item = noord_items["noord"]
    edit = reverse("reporting:board_item_edit", args=[item.pk])
    response = client.post(edit, {"title": "Contract verlengen", "owner": "coördinator huisvesting",
                                  "due_date": "2026-12-15", "status": "in_progress", "decided_on": "2026-11-20"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.decided_on, item.label) == ("in_progress", dt.date(2026, 11, 20), "A-1")
    event = BoardItemEvent.objects.filter(item=item, kind="changed").get()
    assert event.changes == {"status": ["open", "in_progress"], "decided_on": [None, "2026-11-20"]}
    assert event.actor == personas.coordinator
    html = client.get(edit).content.decode()
    assert "Geschiedenis" in html and "Open → In uitvoering" in html and "20 november 2026" in html


def test_an_item_without_a_title_is_refused_with_400(personas, login, noord_items):
    response = login(personas.coordinator).post(ITEMS, {"region": "noord", "kind": "B", "title": " ", "status": "open"})
    assert response.status_code == 400 and "Dit veld is vereist." in response.content.decode()
    assert BoardItem.objects.count() == 2


def test_the_outsider_cannot_open_or_add_to_noords_list(personas, login, noord_items):
    client = login(personas.outsider)
    edit = reverse("reporting:board_item_edit", args=[noord_items["noord"].pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"title": "Overgenomen", "status": "done"}).status_code == 404
    response = client.post(ITEMS, {"region": "noord", "kind": "B", "title": "Ingebroken", "status": "open"})
    assert response.status_code == 400
    assert not BoardItem.objects.filter(title__in=["Overgenomen", "Ingebroken"]).exists()
    html = client.get(ITEMS + "?region=noord&status=all").content.decode()
    assert "Contract verlengen" not in html


def test_gemeente_and_belteam_cannot_open_the_list(personas, login, noord_items):
    for who in ("gemeente_a", "belteam"):
        client = login(getattr(personas, who))
        assert client.get(ITEMS).status_code == 403
        assert client.get(reverse("reporting:board_item_edit", args=[noord_items["noord"].pk])).status_code == 403


def test_the_reporting_start_page_lists_the_board_sections_for_bestuur(personas, login):
    html = login(personas.bestuur).get(reverse("reporting:index")).content.decode()
    assert LIST in html and ITEMS in html


def test_board_templates_carry_no_inline_script_or_style():
    from pathlib import Path

    for path in Path("templates/reporting").glob("board*.html"):
        text = path.read_text()
        if path.name.endswith("_pdf.html"):
            continue
        assert "<script" not in text and "style=" not in text and not re.search(r"\son[a-z]+=", text), path


def test_the_report_list_takes_a_bounded_number_of_queries(world, personas, login, django_assert_max_num_queries):
    for month in range(1, 11):
        done_report(world.noord, period=dt.date(2026, month, 1))
        BoardReport.objects.create(region=world.noord, period=dt.date(2026, month, 1), version=2,
                                   requested_by=personas.coordinator)
    client = login(personas.bestuur)
    with django_assert_max_num_queries(15):
        assert client.get(LIST).status_code == 200
