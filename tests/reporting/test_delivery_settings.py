"""The KCIO delivery settings fail loudly at start-up on a value that cannot work (rcvs/settings.py,
section "KCIO delivery"), and the demo's sends are idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reporting.demo import delivery as demo
from reporting.models import KcioDelivery
from reporting.snapshots import snapshot_take, snapshot_today

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); from django.conf import settings; print(settings.KCIO_DELIVERY_METHOD)"


def start(debug: bool, **kcio: str) -> subprocess.CompletedProcess:
    """Django's start-up in a fresh process (not under pytest, so TESTING is off)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8",
           "DJANGO_SETTINGS_MODULE": "rcvs.settings", "DEBUG": "1" if debug else "0",
           "DATABASE_URL": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")}
    if not debug:
        env.update(SECRET_KEY="Qw7-kcio-settings-probe-" + "".join(chr(65 + i) for i in range(26)) + "xyz0123456789",
                   ALLOWED_HOSTS="rcvs.example.nl", CELERY_BROKER_URL="redis://127.0.0.1:6379/1")
    env.update(kcio)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("debug", "kcio", "message"), [
    (True, {"KCIO_DELIVERY_METHOD": "ftp"}, "is not one of https, mail, off"),
    (True, {"KCIO_DELIVERY_FORMAT": "pdf"}, "is not one of csv, json, xlsx"),
    (True, {"KCIO_DELIVERY_METHOD": "https", "KCIO_DELIVERY_URL": "http://kcio.example.nl/in",
            "KCIO_DELIVERY_TOKEN": "t"}, "must be an https:// URL"),
    (False, {"KCIO_DELIVERY_METHOD": "https", "KCIO_DELIVERY_URL": "http://127.0.0.1:9/in",
             "KCIO_DELIVERY_TOKEN": "t"}, "must be an https:// URL"),
    (True, {"KCIO_DELIVERY_METHOD": "https", "KCIO_DELIVERY_URL": "https://kcio.example.nl/in"},
     "KCIO_DELIVERY_TOKEN must be set"),
    (True, {"KCIO_DELIVERY_METHOD": "https", "KCIO_DELIVERY_URL": "https://a:b@kcio.example.nl/in",
            "KCIO_DELIVERY_TOKEN": "t"}, "must not contain a user or password"),
    (True, {"KCIO_DELIVERY_METHOD": "mail"}, "KCIO_DELIVERY_MAIL_TO must name"),
    (True, {"KCIO_DELIVERY_TIMEOUT": "300"}, "must be 1-45 seconds"),
])
def test_a_configuration_that_cannot_work_stops_start_up(debug, kcio, message):
    result = start(debug, **kcio)
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(("debug", "kcio", "method"), [
    (True, {}, "off"),
    (False, {}, "off"),
    (True, {"KCIO_DELIVERY_METHOD": "https", "KCIO_DELIVERY_URL": "http://127.0.0.1:8099/in",
            "KCIO_DELIVERY_TOKEN": "t"}, "https"),
    (False, {"KCIO_DELIVERY_METHOD": "HTTPS", "KCIO_DELIVERY_URL": "https://kcio.example.nl/in",
             "KCIO_DELIVERY_TOKEN": "t"}, "https"),
    (False, {"KCIO_DELIVERY_METHOD": "mail", "KCIO_DELIVERY_MAIL_TO": "kcio@example.nl, backup@example.nl"},
     "mail"),
])
def test_a_working_configuration_starts(debug, kcio, method):
    result = start(debug, **kcio)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == method


@pytest.mark.django_db
def test_the_demo_marks_nothing_as_sent(world):
    """Delivery is off in the demo: no row may claim a file went to the KCIO."""
    snapshot_take(region=world.noord, as_of=snapshot_today())
    assert demo.seed(world.noord, seed=1, as_of=snapshot_today()) is None
    assert not KcioDelivery.objects.exists()
