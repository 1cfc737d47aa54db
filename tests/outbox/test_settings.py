"""Production without a broker refuses to start; every task has time limits and acks late."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rcvs.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "Vq3sZ8kL0pX2rT7wN5yB1cM4hJ6gF9dA-eU_iO8uY3tR6eW2qQ",
    "ALLOWED_HOSTS": "rcvs.test",
    "DATABASE_URL": "postgresql://rcvs:Pk7vQ2mZ9xW4@127.0.0.1:5432/rcvs",
}


def start_production(**extra: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CELERY_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"))}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="rcvs.settings", **extra)
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); print('started')"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_without_a_broker_refuses_to_start():
    result = start_production()
    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: CELERY_BROKER_URL must be set in production" in result.stderr
    assert "started" not in result.stdout


def test_production_with_a_broker_starts():
    result = start_production(CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("started")


OUR_MODULES = ("locations.", "placements.", "casework.", "reporting.", "rcvs.", "outbox.")


@pytest.fixture
def our_tasks():
    celery_app.loader.import_default_modules()
    tasks = {name: task for name, task in celery_app.tasks.items() if name.startswith(OUR_MODULES)}
    assert {"outbox.tasks.deliver", "outbox.tasks.dispatch_pending", "placements.tasks.expire_reservations",
            "locations.tasks.release_expired_blocks"} <= set(tasks)
    return tasks


def test_every_task_has_its_own_time_limits_and_acks_late(our_tasks):
    for name, task in our_tasks.items():
        assert task.soft_time_limit and task.time_limit, name
        assert task.soft_time_limit < task.time_limit, name
        assert task.acks_late, name


def test_beat_runs_the_dispatcher_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-dispatch-pending"]
    assert (entry["task"], entry["schedule"]) == ("outbox.tasks.dispatch_pending", 60.0)
    assert "outbox.tasks.dispatch_pending" in celery_app.tasks
