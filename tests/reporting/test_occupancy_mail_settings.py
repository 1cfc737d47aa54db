"""The occupancy mail's settings (rcvs/settings.py, section "weekday occupancy mail"): a value that
cannot work stops start-up with a message naming it; the site address defaults to the first
allowed host over https in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = ("import django; django.setup(); from django.conf import settings; "
         "print(settings.OCCUPANCY_MAIL_SITE_URL, settings.OCCUPANCY_MAIL_DAYS, settings.OCCUPANCY_MAIL_HOUR, "
         "sorted(settings.CELERY_BEAT_SCHEDULE['occupancy-mail']['schedule'].day_of_week))")


def start(debug: bool, **values: str) -> subprocess.CompletedProcess:
    """Django's start-up in a fresh process (not under pytest, so TESTING is off)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "DJANGO_SETTINGS_MODULE": "rcvs.settings", "DEBUG": "1" if debug else "0",
           "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")}
    if not debug:
        env.update(SECRET_KEY="Qw7-mail-settings-probe-" + "".join(chr(65 + i) for i in range(26)) + "xyz0123456789",
                   ALLOWED_HOSTS="rcvs.example.nl,.example.nl", CELERY_BROKER_URL="redis://127.0.0.1:6379/1")
    env.update(values)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("values", "message"), [
    ({"OCCUPANCY_MAIL_DAYS": "maandag-vrijdag"}, "OCCUPANCY_MAIL_DAYS='maandag-vrijdag' is not a list of weekdays"),
    ({"OCCUPANCY_MAIL_HOUR": "24"}, "OCCUPANCY_MAIL_HOUR=24 is not an hour of the day"),
    ({"OCCUPANCY_MAIL_HOUR": "acht"}, "OCCUPANCY_MAIL_HOUR='acht' is not a whole number"),
    ({"OCCUPANCY_MAIL_SITE_URL": "rcvs.example.nl"}, "must start with https://"),
    ({"OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS": "0"}, "OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS must be at least 1"),
])
def test_a_bad_value_stops_start_up(values, message):
    result = start(True, **values)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr[-2000:]


def test_defaults_in_production_and_a_chosen_schedule():
    result = start(False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["https://rcvs.example.nl", "mon-fri", "8", "[1,", "2,", "3,", "4,", "5]"]
    chosen = start(False, OCCUPANCY_MAIL_SITE_URL="https://opvang.example.nl/", OCCUPANCY_MAIL_DAYS="mon,wed,fri",
                   OCCUPANCY_MAIL_HOUR="9")
    assert chosen.returncode == 0, chosen.stderr[-2000:]
    assert chosen.stdout.split() == ["https://opvang.example.nl", "mon,wed,fri", "9", "[1,", "3,", "5]"]
