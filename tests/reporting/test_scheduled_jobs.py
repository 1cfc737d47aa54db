"""Issue 8, "Done when": the demo region's export, mail, declaration and board report are made by
the scheduled jobs without a hand on them, and their numbers agree with the registry to the bed
and with the cost entries to the cent.

Each job is run the way beat runs it: by the task name in settings.CELERY_BEAT_SCHEDULE (so a
renamed task or a schedule entry pointing nowhere fails here), through Celery (eager in tests),
with the after-commit pushes of the outbox executed. The KCIO export goes to a real HTTP server
on 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db.models import Q, Sum
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from locations.models import REALISED_STATUSES, Location, Region
from locations.selectors import (
    Capacity,
    locations_with_capacity,
    municipalities_with_capacity,
    region_capacity,
)
from rcvs.celery import app as celery_app
from reporting import kcio
from reporting.models import (
    BoardReport,
    CapacitySnapshot,
    CostEntry,
    DeclarationDocument,
    DeclarationPeriod,
    MailContact,
    OccupancyMailing,
)
from tests.reporting.test_delivery import Receiver

pytestmark = pytest.mark.django_db

TOKEN = "scheduled-jobs-test-token"


@pytest.fixture
def demo():
    call_command("seed_demo", quiet=True, stdout=io.StringIO())
    return Region.objects.get(code="drenthe")


def run_beat(name: str, capture) -> object:
    """Run the beat entry `name` as the scheduler would, with the after-commit work executed."""
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    task = celery_app.tasks[entry["task"]]
    with capture(execute=True):
        return task.apply().get()


def _realised_locations(region: Region):
    # The export lists every location that is not closed (planned beds of those in preparation).
    return locations_with_capacity(Location.objects.filter(municipality__region=region).exclude(status="closed"))


def test_the_daily_job_exports_the_demo_region_to_the_bed_once(demo, settings, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        settings.KCIO_DELIVERY_METHOD = "https"
        settings.KCIO_DELIVERY_URL = receiver.url
        settings.KCIO_DELIVERY_TOKEN = TOKEN
        settings.KCIO_DELIVERY_FORMAT = "csv"
        settings.KCIO_DELIVERY_HXL = False
        run_beat("kcio-take-daily-snapshots", django_capture_on_commit_callbacks)
        run_beat("kcio-take-daily-snapshots", django_capture_on_commit_callbacks)  # a second run sends nothing
        run_beat("outbox-dispatch-pending", django_capture_on_commit_callbacks)
        posts = list(receiver.requests)
    today = timezone.localdate()
    snapshot = CapacitySnapshot.objects.get(region=demo, as_of=today)
    assert len(posts) == 1, "one delivery for the day, however often the job runs"
    assert posts[0]["headers"]["Idempotency-Key"] == f"kcio-drenthe-{today.isoformat()}"
    assert posts[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"

    # The file the KCIO received, read back with the standard csv reader, against the registry.
    labels = {column.key: str(column.header) for column in kcio.columns()}
    rows = list(csv.DictReader(io.StringIO(posts[0]["body"].decode("utf-8-sig"))))
    registry = {loc.code: Capacity.from_obj(loc) for loc in _realised_locations(demo)}
    assert {row[labels["location_code"]] for row in rows} == set(registry)
    for row in rows:
        expected = registry[row[labels["location_code"]]]
        for key in ("realised", "occupied", "available", "snijverlies", "out_of_service", "planned"):
            assert int(row[labels[key]]) == getattr(expected, key), (row[labels["location_code"]], key)
    total = region_capacity(demo)
    assert sum(int(row[labels["occupied"]]) for row in rows) == total.occupied
    assert sum(int(row[labels["realised"]]) for row in rows) == total.realised
    assert snapshot.deliveries.get(sequence=1).outbox_message.status == "delivered"


def test_the_weekday_job_mails_every_active_contact_the_registrys_figures(demo, settings,
                                                                           django_capture_on_commit_callbacks):
    settings.OCCUPANCY_MAIL_DAYS = "*"  # whatever day the suite runs on
    mail.outbox.clear()
    run_beat("occupancy-mail", django_capture_on_commit_callbacks)
    run_beat("occupancy-mail", django_capture_on_commit_callbacks)  # nothing twice
    today = timezone.localdate()
    active = MailContact.objects.filter(municipality__region=demo, active=True)
    assert active.exists() and MailContact.objects.filter(municipality__region=demo, active=False).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(active.values_list("email", flat=True))
    registry = {m.cbs_code: Capacity.from_obj(m) for m in municipalities_with_capacity(
        demo.municipalities.filter(locations__status__in=REALISED_STATUSES).distinct())}
    mailings = OccupancyMailing.objects.filter(municipality__region=demo, as_of=today)
    assert mailings.exists()
    for mailing in mailings:
        figures = registry.get(mailing.municipality_cbs_code, Capacity())
        assert (mailing.occupied, mailing.available) == (figures.occupied, figures.available), mailing.municipality_cbs_code


def test_the_daily_job_builds_the_declarations_to_the_cent(demo, django_capture_on_commit_callbacks):
    from reporting.costs import declaration_build

    run_beat("costs-build-due-declarations", django_capture_on_commit_callbacks)
    today = timezone.localdate()
    ended = DeclarationPeriod.objects.filter(region=demo, end__lt=today)
    assert ended.count() >= 2
    basis = "amount_incl_vat" if settings.COSTS_VAT_BASIS == "incl" else "amount_excl_vat"
    split_made = 0
    for period in ended:
        kinds = set(DeclarationDocument.objects.filter(period=period).values_list("kind", flat=True))
        assert kinds == {"pdf", "xlsx"}, period
        declaration = declaration_build(period)
        entries = CostEntry.objects.filter(budget_line__budget__region=demo, date__gte=period.start,
                                           date__lte=period.end)
        sums = entries.aggregate(all=Sum(basis), non=Sum(basis, filter=Q(declarable=False)))
        assert declaration.total_spent == sums["all"]
        assert declaration.total_non_declarable == (sums["non"] or Decimal("0.00"))
        if not declaration.split.missing:
            split_made += 1
            assert sum(row.share for row in declaration.split.rows) == declaration.total_non_declarable
        xlsx = DeclarationDocument.objects.filter(period=period, kind="xlsx").latest("created_at")
        cells = [v for ws in load_workbook(io.BytesIO(bytes(xlsx.content)), read_only=True)
                 for row in ws.iter_rows(values_only=True) for v in row if v is not None]
        assert any(isinstance(v, (int, float, Decimal)) and Decimal(str(v)) == declaration.total_spent for v in cells)
        pdf = DeclarationDocument.objects.filter(period=period, kind="pdf").latest("created_at")
        assert PdfReader(io.BytesIO(bytes(pdf.content))).pages
    assert split_made >= 1, "at least one demo declaration divides its non-declarable costs"
    before = DeclarationDocument.objects.count()
    run_beat("costs-build-due-declarations", django_capture_on_commit_callbacks)
    assert DeclarationDocument.objects.count() == before, "unchanged figures build nothing new"


def test_the_monthly_job_builds_last_months_board_report(demo, django_capture_on_commit_callbacks):
    from reporting.board import month_start, number

    run_beat("board-report-monthly", django_capture_on_commit_callbacks)
    last_month = month_start(month_start(timezone.localdate()) - timezone.timedelta(days=1))
    report = BoardReport.objects.get(region=demo, period=last_month, language="nl")
    assert report.status == "done" and report.progress == 100
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(report.pdf))).pages)
    snapshot = (CapacitySnapshot.objects.filter(region=demo, as_of__gte=last_month, as_of__lt=month_start(
        timezone.localdate())).order_by("-as_of").first())
    realised = snapshot.locations.aggregate(total=Sum("realised"))["total"]
    occupied = snapshot.locations.aggregate(total=Sum("occupied"))["total"]
    assert number(realised) in text and number(occupied) in text
    run_beat("board-report-monthly", django_capture_on_commit_callbacks)
    assert BoardReport.objects.filter(region=demo, period=last_month).count() == 1


def test_run_scheduled_jobs_starts_the_beat_entries_by_name(world):
    """make run's catch-up: the named entries run as beat would start them; a wrong name is refused."""
    from django.core.management.base import CommandError

    out = io.StringIO()
    call_command("run_scheduled_jobs", "--only", "kcio-take-daily-snapshots", stdout=out)
    assert "kcio-take-daily-snapshots: klaar" in out.getvalue()
    assert CapacitySnapshot.objects.filter(as_of=timezone.localdate()).count() == Region.objects.count()
    with pytest.raises(CommandError, match="Onbekend schema-item: bestaat-niet"):
        call_command("run_scheduled_jobs", "--skip", "bestaat-niet", stdout=out)
    call_command("run_scheduled_jobs", "--list", stdout=out)
    assert all(name in out.getvalue() for name in settings.CELERY_BEAT_SCHEDULE)
