"""The board report the real way: the request commits, on_commit hands the task to Redis, a
Celery worker thread builds the PDF, and the report reaches 100 % with its file; the progress is
seen moving on the way (read from the database, as the page's polling reads it)."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from pypdf import PdfReader

from reporting import board
from reporting.models import BoardReport
from tests.reporting.test_board import OCTOBER, line, snapshot


def wait_for(condition, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_a_request_travels_through_redis_and_is_built_with_progress(world, personas, redis_worker, monkeypatch):
    from rcvs.celery import app as celery_app

    # The worker runs in this process: hold each progress step a moment, so the polling below
    # (like the page's) sees the build move instead of only its end. Nothing else is changed.
    real_build, steps = board.build_board_report, []

    def build_slowly(region, *, period, language, progress):
        def hold(percent, step):
            progress(percent, step)
            steps.append(percent)
            time.sleep(0.2)
        return real_build(region, period=period, language=language, progress=hold)

    monkeypatch.setattr(board, "build_board_report", build_slowly)
    assert not celery_app.conf.task_always_eager
    s = snapshot(world.noord, dt.date(2026, 10, 30))
    line(s, "AAD-001", world.mun_a, realised=13, occupied=4, available=2, snijverlies=1, out_of_service=6)
    report, created = board.board_report_request(region=world.noord, period=OCTOBER, user=personas.bestuur)
    assert created and report.status == "queued"

    seen = set()

    def finished():
        row = BoardReport.objects.filter(pk=report.pk).values("status", "progress").get()
        seen.add((row["status"], row["progress"]))
        return row["status"] in ("done", "failed")

    assert wait_for(finished), f"not built within 60 s: {sorted(seen)}"
    report.refresh_from_db()
    assert (report.status, report.progress, report.as_of) == ("done", 100, dt.date(2026, 10, 30))
    assert steps == sorted(steps) and steps[0] == 10 and steps[-1] == 90
    assert ("queued", 0) in seen or any(status == "building" for status, _ in seen)
    assert any(status == "building" and 10 <= progress <= 90 for status, progress in seen), sorted(seen)
    text = " ".join(PdfReader(io.BytesIO(bytes(report.pdf))).pages[0].extract_text().split())
    assert "Bestuursrapportage Regio Noord" in text and "Gerealiseerde bedden 13" in text
