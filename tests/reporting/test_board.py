"""The board report: its figures against a month worked out by hand, the PDF read back with pypdf,
a page rendered to PNG (pypdfium2) for a person to look at, the command, and the monthly job.

Region Noord, October 2026 (tests/conftest.py world):

  snapshot 2026-09-30 (previous period's last):  AAD-001 10 realised, 8 occupied, 2 available
                                                  BEE-001  7 realised, 5 occupied, 1 available, 1 snijverlies
  snapshot 2026-10-15                            (not the last one of October: ignored)
  snapshot 2026-10-30 (October's last; none on the 31st):
       AAD-001 13 realised, 4 occupied, 2 available, 1 snijverlies, 6 out of service, ends 2027-01-15
       BEE-001  7 realised, 5 occupied, 2 available, ends 2027-08-01
       BEE-002  0 realised (in voorbereiding), 5 planned
  snapshot 2026-11-05                            (after the period: ignored)
  Zuid's snapshot 2026-10-30                     (another region: ignored)

  key figures 30-10: 2 locations, 20 realised, 9 occupied, 4 available, 1 snijverlies, 6 out of service,
                     occupancy 9 / (20 − 6) = 64,3 %;   30-09: 2, 17, 13, 3, 1, 0 → 13 / 17 = 76,5 %
  ending: within 3 months (to 30-01-2027) AAD-001 13 beds; within 6: the same; within 12: + BEE-001 7 beds
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from locations.models import LocationStatus
from placements.models import PlacementEvent, SupraRegionalRequest
from placements.services import placement_confirm, placement_reserve
from reporting import board
from reporting.board_items import board_item_create, board_item_update
from reporting.models import BoardReport, BoardReportStatus, CapacitySnapshot, LocationSnapshot
from tests.factories import CaseFactory, ensure_case_categories, make_request

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)
PNG_PATH = Path("/tmp/rcvs-board-report-page1.png")


def line(snapshot, code, municipality, *, realised, occupied=0, available=0, snijverlies=0, out_of_service=0,
         planned=0, end_date=None, status=LocationStatus.OPEN, name=None):
    return LocationSnapshot.objects.create(
        snapshot=snapshot, municipality_cbs_code=municipality.cbs_code, municipality_name=municipality.name,
        location_code=code, location_name=name or f"Locatie {code}", street="Straat 1", postcode="9401 AB",
        place="Plaats", kind="goo", status=status, end_date=end_date, suitable_infants=False, suitable_pets=False,
        suitable_wheelchair=False, intake_24_7=False, realised=realised, occupied=occupied, available=available,
        snijverlies=snijverlies, out_of_service=out_of_service, planned=planned)


def snapshot(region, day):
    return CapacitySnapshot.objects.create(region=region, as_of=day, taken_at=timezone.now())


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def october(world, personas):
    w = world
    s = snapshot(w.noord, dt.date(2026, 9, 30))
    line(s, "AAD-001", w.mun_a, realised=10, occupied=8, available=2, name="Het Anker")
    line(s, "BEE-001", w.mun_b, realised=7, occupied=5, available=1, snijverlies=1, name="De Beuk")
    s = snapshot(w.noord, dt.date(2026, 10, 15))
    line(s, "AAD-001", w.mun_a, realised=18, occupied=14, available=4, name="Het Anker")
    s = snapshot(w.noord, dt.date(2026, 10, 30))
    line(s, "AAD-001", w.mun_a, realised=13, occupied=4, available=2, snijverlies=1, out_of_service=6,
         end_date=dt.date(2027, 1, 15), name="Het Anker")
    line(s, "BEE-001", w.mun_b, realised=7, occupied=5, available=2, end_date=dt.date(2027, 8, 1), name="De Beuk")
    line(s, "BEE-002", w.mun_b, realised=0, planned=5, status=LocationStatus.PREPARING, name="Nieuwbouw")
    s = snapshot(w.noord, dt.date(2026, 11, 5))
    line(s, "AAD-001", w.mun_a, realised=55, occupied=51, available=4, name="Het Anker")
    s = snapshot(w.zuid, dt.date(2026, 10, 30))
    line(s, "CRA-001", w.mun_c, realised=500, occupied=1, available=499, name="De Cirkel")
    return w


def move_events(request, day):
    PlacementEvent.objects.filter(request=request).update(at=at(day))


@pytest.fixture
def movements(october, personas):
    """Two placements confirmed in October (1 and 3 persons), one in November; one supra-regional
    request out in October (4 persons)."""
    w = october
    first = make_request(region=w.noord)
    placement_confirm(user=personas.coordinator, placement=placement_reserve(
        user=personas.coordinator, request=first, allocation=[(w.rooms_a[0].pk, 1)]))
    move_events(first, dt.date(2026, 10, 3))
    second = make_request(region=w.noord, members=[
        {"first_name": "Iryna", "last_name": "Testenko", "date_of_birth": dt.date(1985, 1, 1), "sex": "f",
         "relation": "main"},
        {"first_name": "Petro", "last_name": "Testenko", "date_of_birth": dt.date(2015, 1, 1), "sex": "m",
         "relation": "child"},
        {"first_name": "Anna", "last_name": "Testenko", "date_of_birth": dt.date(2017, 1, 1), "sex": "f",
         "relation": "child"}])
    placement_confirm(user=personas.coordinator, placement=placement_reserve(
        user=personas.coordinator, request=second, allocation=[(w.rooms_a[2].pk, 3)]))
    move_events(second, dt.date(2026, 10, 31))
    third = make_request(region=w.noord)
    placement_confirm(user=personas.coordinator, placement=placement_reserve(
        user=personas.coordinator, request=third, allocation=[(w.rooms_b[0].pk, 1)]))
    move_events(third, dt.date(2026, 11, 1))
    supra = SupraRegionalRequest.objects.create(region=w.noord, household_size=4, earliest_date=OCTOBER,
                                                contact_name="Contact", contact_phone="0592 000 000")
    SupraRegionalRequest.objects.filter(pk=supra.pk).update(created_at=at(dt.date(2026, 10, 20)))
    return w


@pytest.fixture
def cases(october):
    """October: 7 cases of one category, 2 of another (a small number); November: 1 (ignored)."""
    from casework.models import Case, CaseCategory

    ensure_case_categories()
    overlast = CaseCategory.objects.get(code="overlast")
    other = CaseCategory.objects.exclude(pk=overlast.pk).order_by("pk").first()
    household = make_request(region=october.noord)
    made = [CaseFactory(household=household, region=october.noord, category=overlast) for _ in range(7)]
    made += [CaseFactory(household=household, region=october.noord, category=other) for _ in range(2)]
    for case in made:
        Case.objects.filter(pk=case.pk).update(created_at=at(dt.date(2026, 10, 12)))
    late = CaseFactory(household=household, region=october.noord, category=other)
    Case.objects.filter(pk=late.pk).update(created_at=at(dt.date(2026, 11, 2)))
    return {"overlast": overlast.name, "other": other.name}


@pytest.fixture
def items(october, personas):
    from reporting.models import BoardItem, BoardItemEvent

    w = october
    decision = board_item_create(user=personas.coordinator, region=w.noord, kind="B",
                                 title="Noodopvang Beekdal verlengen", owner="bestuurssecretaris")
    action = board_item_create(user=personas.coordinator, region=w.noord, kind="A",
                               title="Contract Het Anker heronderhandelen", owner="coördinator huisvesting",
                               due_date=dt.date(2026, 12, 15))
    BoardItem.objects.filter(pk__in=[decision.pk, action.pk]).update(created_at=at(dt.date(2026, 9, 10)))
    BoardItemEvent.objects.filter(item__in=[decision, action]).update(at=at(dt.date(2026, 9, 10)))
    board_item_update(user=personas.coordinator, item=decision, status="done")
    BoardItemEvent.objects.filter(item=decision, kind="changed").update(at=at(dt.date(2026, 10, 5)))
    # Closed in November: in October's report it still stands open.
    board_item_update(user=personas.coordinator, item=action, status="done")
    BoardItemEvent.objects.filter(item=action, kind="changed").update(at=at(dt.date(2026, 11, 3)))
    later = board_item_create(user=personas.coordinator, region=w.noord, kind="K", title="Te weinig rolstoelplekken")
    return {"decision": decision, "action": action, "later": later}


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


# --- the figures ------------------------------------------------------------------------------

def test_key_figures_are_the_last_snapshot_of_the_period_against_the_previous_periods(october):
    data = board.board_report_data(october.noord, period=OCTOBER)
    assert (data.as_of, data.previous_as_of) == (dt.date(2026, 10, 30), dt.date(2026, 9, 30))
    rows = {row.label: (row.value, row.previous, row.change) for row in data.key_rows}
    assert rows == {
        "Locaties in gebruik": (2, 2, 0), "Gerealiseerde bedden": (20, 17, 3), "Bezet": (9, 13, -4),
        "Beschikbaar": (4, 3, 1), "Snijverlies": (1, 1, 0), "Buiten gebruik": (6, 0, 6),
        "Bezettingsgraad": (Decimal("64.3"), Decimal("76.5"), Decimal("-12.2")),
    }


def test_a_month_without_a_snapshot_says_so_and_shows_no_figures(world):
    data = board.board_report_data(world.noord, period=OCTOBER)
    assert data.as_of is None and data.key_rows == []
    text = pdf_text(board.render_board_pdf(data))
    assert "Voor deze periode is geen momentopname van de capaciteit gemaakt." in text


def test_movements_count_the_events_of_the_period_only(movements):
    rows = {row.label: (row.households, row.persons)
            for row in board.placement_movements(movements.noord, start=OCTOBER, end_exclusive=dt.date(2026, 11, 1))}
    assert rows["Plaatsingen"] == (2, 4)
    assert rows["Vertrekken"] == (0, 0)
    assert rows["Bovenregionale verzoeken, uitgaand"] == (1, 4)
    assert rows["Bovenregionale verzoeken, inkomend"] == (0, 0)


def test_casework_shows_small_counts_as_under_five_and_then_no_total(cases, october):
    counts = board.casework_counts(october.noord, start=OCTOBER, end_exclusive=dt.date(2026, 11, 1))
    assert dict(counts.rows) == {cases["overlast"]: "7", cases["other"]: "<5"}
    assert counts.total is None  # 9 − 7 would give the "<5" away


def test_items_stand_as_they_were_at_the_end_of_the_period(items, october):
    data = board.board_items_for_report(october.noord, period_start=OCTOBER, period_end=dt.date(2026, 11, 1))
    assert [(i.label, i.status_then) for i in data["open"]] == [("A-1", "open")]
    assert [(i.label, i.status_then) for i in data["recent"]] == [("B-1", "done")]


# --- the PDF ----------------------------------------------------------------------------------

def test_the_pdf_reads_back_with_the_figures_sections_and_small_counts(october, movements, cases, items):
    built = board.build_board_report(october.noord, period=OCTOBER)
    assert built.pdf.startswith(b"%PDF") and built.as_of == dt.date(2026, 10, 30)
    text = pdf_text(built.pdf)
    for title in ("Bestuursrapportage Regio Noord", "1. Kerncijfers", "2. Capaciteit en bezetting door de tijd",
                  "3. Capaciteit die afloopt", "4. Plaatsingen, vertrek, overplaatsingen en bovenregionale verzoeken",
                  "5. Casuïstiek", "6. Taakstelling", "7. Kosten en declaraties", "8. Besluiten- en actielijst"):
        assert title in text, title
    assert "oktober 2026" in text and "Peildatum kerncijfers: 30 oktober 2026" in text
    assert "Gerealiseerde bedden 20 17 +3" in text
    assert "Bezet 9 13 −4" in text
    assert "Bezettingsgraad 64,3 % 76,5 % −12,2 procentpunt" in text
    assert "Plaatsingen 2 4" in text
    assert f"{cases['other']} <5" in text and f"{cases['overlast']} 7" in text
    assert "Geen totaal" in text
    assert "A-1 Contract Het Anker heronderhandelen" in text and "B-1 Noodopvang Beekdal verlengen" in text
    assert "K-1" not in text  # made after October
    # The other region and the snapshots outside the period are nowhere.
    assert "De Cirkel" not in text and "CRA-001" not in text and "499" not in text
    assert "5-11-2026" not in text and "55" not in text
    # No person of the registry: the households' names are not in it.
    assert "Testenko" not in text and "Olena" not in text


def test_the_ending_capacity_by_location_within_3_6_and_12_months(october):
    data = board.board_report_data(october.noord, period=OCTOBER)
    assert not data.cliff.missing
    assert data.cliff.data["summary"] == [{"months": 3, "locations": 1, "beds": 13},
                                          {"months": 6, "locations": 1, "beds": 13},
                                          {"months": 12, "locations": 2, "beds": 20}]
    assert [(row["location"].code, row["window"]) for row in data.cliff.data["locations"]] == [
        ("AAD-001", 3), ("BEE-001", 12)]
    text = pdf_text(board.render_board_pdf(data))
    assert "Het Anker AAD-001 Aadorp 15 januari 2027 13 3 maanden" in text


def test_a_page_renders_to_png_for_a_person_to_look_at(october, movements, cases, items):
    built = board.build_board_report(october.noord, period=OCTOBER)
    document = pypdfium2.PdfDocument(built.pdf)
    assert len(document) >= 2
    image = document[0].render(scale=1.5).to_pil()
    image.save(PNG_PATH)
    assert image.size[0] > 800 and image.getextrema() != ((255, 255), (255, 255), (255, 255))
    for n in range(1, min(len(document), 4)):
        document[n].render(scale=1.5).to_pil().save(PNG_PATH.with_name(f"rcvs-board-report-page{n + 1}.png"))


def test_english_when_asked(october):
    built = board.build_board_report(october.noord, period=OCTOBER, language="en")
    text = pdf_text(built.pdf)
    assert "October 2026" in text and "oktober" not in text


# --- the command ------------------------------------------------------------------------------

def test_command_writes_the_pdf(october, tmp_path):
    target = tmp_path / "rapport.pdf"
    call_command("board_report", "--region", "noord", "--period", "2026-10", "--output", str(target))
    text = pdf_text(target.read_bytes())
    assert "Bestuursrapportage Regio Noord" in text and "Gerealiseerde bedden 20 17 +3" in text
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "nergens", "--period", "2026-10"], "Geen regio met code 'nergens'."),
    (["--region", "noord", "--period", "oktober"], "Ongeldige maand 'oktober'"),
    (["--region", "noord", "--period", "2026-13"], "Ongeldige maand '2026-13'"),
    (["--region", "noord", "--period", "2026-10", "--language", "de"], "kies nl of en"),
])
def test_command_refuses_bad_input_with_a_dutch_message(october, tmp_path, args, message):
    target = tmp_path / "rapport.pdf"
    with pytest.raises(CommandError, match=message):
        call_command("board_report", *args, "--output", str(target))
    assert not target.exists()


def test_command_refuses_a_missing_directory(october, tmp_path):
    with pytest.raises(CommandError, match="bestaat niet"):
        call_command("board_report", "--region", "noord", "--period", "2026-10", "--output",
                     str(tmp_path / "nergens" / "r.pdf"))


# --- stored reports: request, build, monthly --------------------------------------------------

def test_a_request_is_built_after_commit_with_progress_to_100(october, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    assert created and len(callbacks) == 1
    report.refresh_from_db()
    assert (report.status, report.progress, report.step, report.version) == ("done", 100, "Klaar", 1)
    assert report.as_of == dt.date(2026, 10, 30) and len(report.sha256) == 64
    import hashlib

    assert hashlib.sha256(bytes(report.pdf)).hexdigest() == report.sha256 and report.size == len(report.pdf)


def test_a_second_request_while_one_is_queued_gets_that_one(october, personas):
    first, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    second, again = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.coordinator)
    assert created and not again and second.pk == first.pk
    assert BoardReport.objects.count() == 1


def test_the_database_allows_one_active_build_per_month_and_language(october):
    from django.db import IntegrityError, transaction

    BoardReport.objects.create(region=october.noord, period=OCTOBER, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardReport.objects.create(region=october.noord, period=OCTOBER, version=2)
    BoardReport.objects.create(region=october.noord, period=OCTOBER, version=2, language="en")


def test_a_finished_report_gets_a_new_version_on_request(october, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    with django_capture_on_commit_callbacks(execute=True):
        second, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    assert created and second.version == 2
    current = board.current_reports(BoardReport.objects.all())
    assert [r.pk for r in current] == [second.pk]


def test_a_hung_build_counts_as_failed_and_does_not_block(october, personas, settings):
    hung = BoardReport.objects.create(region=october.noord, period=OCTOBER, status="building",
                                      started_at=timezone.now() - dt.timedelta(minutes=settings.BOARD_REPORT_STALE_MINUTES + 1))
    report, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    hung.refresh_from_db()
    assert created and report.version == 2 and hung.status == "failed" and hung.error


@pytest.mark.parametrize(("period", "language", "code"), [
    (dt.date(2099, 1, 1), "nl", "period_in_future"), (OCTOBER, "de", "invalid"), (dt.date(2026, 10, 2), "nl", "invalid"),
])
def test_a_bad_request_is_refused_and_writes_nothing(october, personas, period, language, code):
    from rcvs.errors import ApplicationError

    with pytest.raises(ApplicationError) as error:
        board.board_report_request(region=october.noord, period=period, language=language, user=personas.bestuur)
    assert error.value.code == code
    assert not BoardReport.objects.exists()


def test_a_failed_build_is_recorded_without_its_exception_text(october, personas, monkeypatch):
    report = BoardReport.objects.create(region=october.noord, period=OCTOBER)

    def broken(*args, **kwargs):
        raise RuntimeError("Olena Testenko")  # whatever the text, it is not stored

    monkeypatch.setattr(board, "render_board_pdf", broken)
    with pytest.raises(RuntimeError):
        board.board_report_run(report.pk)
    report.refresh_from_db()
    assert report.status == "failed" and "RuntimeError" in report.error and "Olena" not in report.error
    assert report.pdf is None


def test_running_a_finished_report_again_does_nothing(october, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    report.refresh_from_db()
    finished_at, sha = report.finished_at, report.sha256
    board.board_report_run(report.pk)
    report.refresh_from_db()
    assert (report.finished_at, report.sha256) == (finished_at, sha)


def test_monthly_job_queues_last_month_for_every_region_once(october, django_capture_on_commit_callbacks):
    from reporting.tasks_board import build_monthly_board_reports

    today = dt.date(2026, 11, 1)
    with django_capture_on_commit_callbacks(execute=True):
        made = board.board_reports_monthly(today=today)
    assert sorted(r.region.code for r in made) == ["noord", "zuid"]
    reports = BoardReport.objects.order_by("region__code")
    assert [(r.region.code, r.period, r.status, r.requested_by) for r in reports] == [
        ("noord", OCTOBER, "done", None), ("zuid", OCTOBER, "done", None)]
    # Again (the next day of BOARD_REPORT_DAYS, or a retry): nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        assert board.board_reports_monthly(today=dt.date(2026, 11, 2)) == []
    assert BoardReport.objects.count() == 2
    assert build_monthly_board_reports.name == "reporting.tasks_board.build_monthly_board_reports"


def test_monthly_job_retries_a_failed_month_but_not_forever(october, settings):
    for version in range(1, settings.BOARD_REPORT_MAX_FAILURES):
        BoardReport.objects.create(region=october.noord, period=OCTOBER, version=version, status="failed")
    made = board.board_reports_monthly(today=dt.date(2026, 11, 2))
    assert {r.region.code for r in made} == {"noord", "zuid"}
    BoardReport.objects.filter(region=october.noord).update(status="failed")
    BoardReport.objects.filter(region=october.zuid).delete()
    made = board.board_reports_monthly(today=dt.date(2026, 11, 3))
    assert [r.region.code for r in made] == ["zuid"]  # Noord failed BOARD_REPORT_MAX_FAILURES times


def test_the_beat_schedule_runs_the_monthly_job(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["board-report-monthly"]
    assert entry["task"] == "reporting.tasks_board.build_monthly_board_reports"
    assert 1 in entry["schedule"].day_of_month


def test_report_status_names_only_known_states(october):
    assert set(BoardReportStatus.values) == {"queued", "building", "done", "failed"}


def test_a_request_that_never_reached_a_worker_does_not_block_for_ever(october, personas, settings):
    queued = BoardReport.objects.create(region=october.noord, period=OCTOBER, status="queued")
    BoardReport.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=settings.BOARD_REPORT_STALE_MINUTES + 1))
    report, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    queued.refresh_from_db()
    assert created and report.version == 2 and queued.status == "failed"


def test_a_broker_that_is_down_leaves_the_request_committed_and_queued(october, personas, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    def down(report_id):
        raise ConnectionError("broker down")

    monkeypatch.setattr(board, "_enqueue", down)
    with django_capture_on_commit_callbacks(execute=True):
        report, created = board.board_report_request(region=october.noord, period=OCTOBER, user=personas.bestuur)
    report.refresh_from_db()
    assert created and report.status == "queued"


def test_the_demo_list_is_seeded_once(world):
    from reporting.demo import board as demo
    from reporting.models import BoardItem

    summary = demo.seed(world.noord, seed=7, as_of=dt.date(2026, 11, 15))
    assert summary and BoardItem.objects.filter(region=world.noord).count() == len(demo.DEMO_ITEMS)
    assert demo.seed(world.noord, seed=7, as_of=dt.date(2026, 11, 15)) is None
    assert BoardItem.objects.filter(region=world.noord).count() == len(demo.DEMO_ITEMS)
    assert sorted(BoardItem.objects.filter(region=world.noord, kind="A").values_list("number", flat=True)) == [1, 2, 3, 4]


def test_gathering_the_report_takes_a_bounded_number_of_queries(october, movements, cases, items,
                                                                 django_assert_max_num_queries):
    """Aggregated in the database: more locations, events, cases or items add no queries."""
    from reporting.board_items import board_item_create

    for n in range(10):
        board_item_create(user=None, region=october.noord, kind="A", title=f"Extra {n}")
    with django_assert_max_num_queries(30):
        board.board_report_data(october.noord, period=OCTOBER)


def test_a_report_of_a_month_not_yet_over_says_so(world):
    today = timezone.localdate()
    current = board.board_report_data(world.noord, period=today.replace(day=1))
    assert current.partial
    assert "Deze maand was nog niet voorbij" in pdf_text(board.render_board_pdf(current))
    assert not board.board_report_data(world.noord, period=OCTOBER).partial
