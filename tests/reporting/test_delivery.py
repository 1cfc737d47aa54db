"""KCIO delivery through the outbox, against a real HTTP receiver on 127.0.0.1 (http.server in a
thread) that answers as each test scripts it: 500 then 200, garbage, 4xx, a timeout; a refused
connection; the mail with its attachment read back with csv; the daily job and "export now" run
twice sending once; a resend with the same Idempotency-Key; the token nowhere in the database or
the log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from rcvs.errors import ApplicationError
from rcvs.outbox import registry
from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.selectors import outbox_due_qs
from rcvs.outbox.services import outbox_deliver
from reporting import delivery, kcio
from reporting.delivery import (
    delivery_export_now,
    delivery_resend,
    delivery_schedule,
    receiver_key,
    url_problem,
)
from reporting.models import CapacitySnapshot, KcioDelivery
from reporting.snapshots import snapshot_take, snapshot_today
from reporting.tasks import take_daily_snapshots
from tests.factories import room_set_occupants

pytestmark = pytest.mark.django_db

TOKEN = "kcio-test-token-Zx81-never-stored"


# --- the receiver -------------------------------------------------------------------------------

class Receiver:
    """An HTTP server on 127.0.0.1 in a thread. `script` is the list of answers, one per request
    (the last one repeats): (status, body bytes), ("garbage", bytes) for an answer that is not
    HTTP, or ("sleep", seconds) for one that comes too late. `requests` records what arrived."""

    def __init__(self) -> None:
        self.script: list[tuple] = [(200, b'{"ok": true}')]
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                index = len(receiver.requests)
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                kind, value = receiver.script[min(index, len(receiver.script) - 1)]
                if kind == "garbage":
                    self.wfile.write(value)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if kind == "sleep":
                    time.sleep(value)
                    kind, value = 200, b"{}"
                self.send_response(kind)
                if 300 <= kind < 400:
                    self.send_header("Location", "https://elsewhere.example/kcio")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(value)))
                self.end_headers()
                self.wfile.write(value)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kcio/upload"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def https_to(settings, receiver):
    settings.KCIO_DELIVERY_METHOD = "https"
    settings.KCIO_DELIVERY_URL = receiver.url
    settings.KCIO_DELIVERY_TOKEN = TOKEN
    settings.KCIO_DELIVERY_FORMAT = "csv"
    settings.KCIO_DELIVERY_HXL = False
    settings.KCIO_DELIVERY_EXPECT_ACK = False
    settings.KCIO_DELIVERY_TIMEOUT = 5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    return receiver


@pytest.fixture
def filled(world):
    room_set_occupants(room=world.rooms_a[0], occupants=1)
    room_set_occupants(room=world.rooms_b[1], occupants=4)
    return world


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _schedule_noord(world, django_capture_on_commit_callbacks) -> KcioDelivery:
    """The daily job, without the after-commit push: the test runs the outbox's attempts itself."""
    with django_capture_on_commit_callbacks(execute=False):
        take_daily_snapshots()
    return KcioDelivery.objects.select_related("outbox_message", "snapshot__region").get(
        snapshot__region=world.noord)


def _message(delivery_row: KcioDelivery) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=delivery_row.outbox_message_id)


# --- HTTPS: fails first, then recovers ----------------------------------------------------------

def test_500_then_200_is_retried_with_backoff_and_delivered_once(filled, https_to, django_capture_on_commit_callbacks):
    https_to.script = [(500, b"Internal Server Error"), (200, b'{"received": true}')]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    message = _message(sent)
    assert message.kind == delivery.KIND_HTTP and message.channel == "http"
    assert message.payload == {"delivery_id": sent.pk}

    start = timezone.now()
    assert outbox_deliver(message_id=message.pk, now=start) == "retry"
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
    assert message.next_attempt_at == start + dt.timedelta(seconds=60)  # the outbox's backoff
    assert "HTTP 500" in message.last_error and "Nieuwe poging volgt" in message.last_error
    # Not due during the backoff; due after it (the dispatcher hands it out then).
    assert not outbox_due_qs(now=start + dt.timedelta(seconds=30), lease_seconds=300).filter(pk=message.pk).exists()
    assert outbox_due_qs(now=start + dt.timedelta(seconds=61), lease_seconds=300).filter(pk=message.pk).exists()
    assert outbox_deliver(message_id=message.pk, now=start + dt.timedelta(seconds=30)) == "skipped"
    assert len(https_to.requests) == 1

    assert outbox_deliver(message_id=message.pk, now=start + dt.timedelta(seconds=61)) == "delivered"
    # A redelivered task or a second dispatch sends nothing more.
    assert outbox_deliver(message_id=message.pk, now=start + dt.timedelta(seconds=200)) == "skipped"
    assert len(https_to.requests) == 2

    message.refresh_from_db()
    sent.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.DELIVERED, 2, "")
    assert sent.delivered_at is not None and sent.response_status == 200
    assert sent.destination == https_to.url
    key = f"kcio-noord-{snapshot_today().isoformat()}"
    expected = kcio.render(sent.snapshot, "csv")
    for request in https_to.requests:
        headers = request["headers"]
        assert headers["Idempotency-Key"] == key
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert headers["Content-Type"] == "text/csv; charset=utf-8"
        assert request["path"] == "/kcio/upload"
        assert request["body"] == expected
    rows = list(csv.DictReader(io.StringIO(https_to.requests[-1]["body"].decode("utf-8"))))
    assert [(r["Locatiecode"], r["Gerealiseerd"], r["Bezet"]) for r in rows] == [("AAD-001", "13", "1"),
                                                                              ("BEE-001", "7", "4")]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_fails_at_once_without_retries(filled, https_to, django_capture_on_commit_callbacks, status):
    https_to.script = [(status, b'{"error": "nee"}')]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "failed"
    message = _message(sent)
    assert (message.status, message.attempts) == (OutboxStatus.FAILED, 1)
    assert message.last_error.startswith("PermanentError:")
    assert f"HTTP {status}" in message.last_error and "opnieuw proberen helpt niet" in message.last_error
    sent.refresh_from_db()
    assert sent.delivered_at is None and sent.response_status == status
    assert len(https_to.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 502, 503])
def test_408_429_and_5xx_are_retried(filled, https_to, django_capture_on_commit_callbacks, status):
    https_to.script = [(status, b"later")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "retry"
    message = _message(sent)
    assert message.status == OutboxStatus.PENDING and f"HTTP {status}" in message.last_error


def test_a_redirect_is_not_followed(filled, https_to, django_capture_on_commit_callbacks):
    """Following it would carry the token to another host."""
    https_to.script = [(302, b"")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "failed"
    assert len(https_to.requests) == 1
    assert "HTTP 302" in _message(sent).last_error


def test_garbage_instead_of_http_is_retried_then_delivered(filled, https_to, django_capture_on_commit_callbacks):
    https_to.script = [("garbage", b"\x00\xffNOT HTTP AT ALL\r\n\r\n"), (200, b"{}")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now) == "retry"
    assert "Onbruikbaar antwoord van het KCIO" in _message(sent).last_error
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=1)) == "delivered"
    assert len(https_to.requests) == 2


def test_with_an_expected_ack_a_2xx_without_it_is_retried(filled, https_to, settings,
                                                          django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_EXPECT_ACK = True
    key = f"kcio-noord-{snapshot_today().isoformat()}"
    https_to.script = [(200, b"<html>Welkom bij de proxy</html>"), (200, b'{"idempotency_key": "kcio-other"}'),
                       (201, json.dumps({"idempotency_key": key, "reference": "KC-991"}).encode())]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now) == "retry"
    assert "zonder geldige ontvangstbevestiging" in _message(sent).last_error
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=1)) == "retry"
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=2)) == "delivered"
    sent.refresh_from_db()
    assert (sent.response_status, sent.response_note) == (201, "KC-991")
    assert {r["headers"]["Idempotency-Key"] for r in https_to.requests} == {key}


def test_without_an_expected_ack_any_2xx_is_delivered(filled, https_to, django_capture_on_commit_callbacks):
    https_to.script = [(204, b"")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "delivered"


def test_connection_refused_is_retried(filled, https_to, settings, django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_URL = f"http://127.0.0.1:{closed_port()}/kcio"
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "retry"
    message = _message(sent)
    assert message.status == OutboxStatus.PENDING and "Geen verbinding met het KCIO (127.0.0.1)" in message.last_error


def test_a_receiver_that_answers_too_late_is_retried(filled, https_to, settings, django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_TIMEOUT = 1
    https_to.script = [("sleep", 2.5)]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "retry"
    assert "niet binnen 1 seconden" in _message(sent).last_error


def test_after_the_last_attempt_the_send_is_failed_and_visible(filled, https_to, settings,
                                                              django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    https_to.script = [(500, b"")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    now = timezone.now()
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now) == "retry"
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=1)) == "failed"
    assert _message(sent).status == OutboxStatus.FAILED


def test_the_token_is_in_no_row_and_no_log_line(filled, https_to, caplog, django_capture_on_commit_callbacks):
    https_to.script = [(500, b""), (401, b"")]
    caplog.set_level(logging.DEBUG)
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    now = timezone.now()
    outbox_deliver(message_id=sent.outbox_message_id, now=now)
    outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=1))
    assert https_to.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"  # it was sent ...
    stored = repr(list(OutboxMessage.objects.values())) + repr(list(KcioDelivery.objects.values()))
    assert TOKEN not in stored and TOKEN not in caplog.text  # ... and kept nowhere


def test_plain_http_only_to_localhost_in_tests_and_never_elsewhere(filled, https_to, settings,
                                                                 django_capture_on_commit_callbacks):
    assert url_problem("https://kcio.example.nl/upload") is None
    assert url_problem(https_to.url) is None
    assert url_problem("http://kcio.example.nl/upload")
    assert url_problem("https://user:pw@kcio.example.nl/upload")
    settings.DEBUG, settings.TESTING = False, False
    assert url_problem(https_to.url)  # production: https only, also to localhost
    settings.TESTING = True
    settings.KCIO_DELIVERY_URL = "http://kcio.example.nl/upload"
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "failed"
    assert "https-adres" in _message(sent).last_error
    assert https_to.requests == []


def test_the_stored_destination_has_no_query_or_user(filled, https_to, settings, django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_URL = https_to.url + "?sig=geheim123"
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "delivered"
    sent.refresh_from_db()
    assert sent.destination == https_to.url and "geheim123" not in sent.destination
    assert https_to.requests[0]["path"] == "/kcio/upload?sig=geheim123"


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
def test_other_formats_are_sent_with_their_content_type(filled, https_to, settings,
                                                        django_capture_on_commit_callbacks, fmt):
    settings.KCIO_DELIVERY_FORMAT = fmt
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "delivered"
    request = https_to.requests[0]
    assert request["headers"]["Content-Type"].startswith(kcio.FORMATS[fmt])
    if fmt == "json":
        assert json.loads(request["body"]) == json.loads(kcio.render(sent.snapshot, fmt))
    else:  # the zip carries its own time stamps: compare the cells
        from openpyxl import load_workbook

        def cells(data):
            return [list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]

        assert cells(request["body"]) == cells(kcio.render(sent.snapshot, fmt))
        assert cells(request["body"])[1][5] == "AAD-001"


# --- resend -----------------------------------------------------------------------------------

def test_resend_is_a_new_message_with_the_same_idempotency_key(filled, https_to, personas,
                                                               django_capture_on_commit_callbacks):
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "delivered"
    with django_capture_on_commit_callbacks(execute=False):
        again = delivery_resend(snapshot=sent.snapshot, user=personas.coordinator)
    assert again.sequence == 2 and again.reason == "resend" and again.requested_by == personas.coordinator
    assert again.outbox_message_id != sent.outbox_message_id
    assert outbox_deliver(message_id=again.outbox_message_id) == "delivered"
    keys = [r["headers"]["Idempotency-Key"] for r in https_to.requests]
    assert keys == [receiver_key(sent.snapshot)] * 2 == [f"kcio-noord-{snapshot_today().isoformat()}"] * 2


def test_resend_is_refused_while_the_last_send_waits_and_when_delivery_is_off(filled, https_to, personas, settings,
                                                                             django_capture_on_commit_callbacks):
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as waiting:
        delivery_resend(snapshot=sent.snapshot, user=personas.coordinator)
    assert "wacht nog op aflevering" in waiting.value.message
    settings.KCIO_DELIVERY_METHOD = "off"
    with pytest.raises(ApplicationError) as off:
        delivery_resend(snapshot=sent.snapshot, user=personas.coordinator)
    assert "staat uit" in off.value.message
    assert KcioDelivery.objects.filter(snapshot=sent.snapshot).count() == 1
    assert OutboxMessage.objects.filter(region=filled.noord).count() == 1


def test_a_failed_send_can_be_resent(filled, https_to, personas, django_capture_on_commit_callbacks):
    https_to.script = [(401, b""), (200, b"{}")]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    assert outbox_deliver(message_id=sent.outbox_message_id) == "failed"
    with django_capture_on_commit_callbacks(execute=False):
        again = delivery_resend(snapshot=sent.snapshot, user=personas.coordinator)
    assert outbox_deliver(message_id=again.outbox_message_id) == "delivered"


# --- the daily job and "export now": once per day ---------------------------------------------

def test_the_daily_job_twice_sends_each_region_once(filled, https_to, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        first = take_daily_snapshots()
    with django_capture_on_commit_callbacks(execute=False) as second_pushes:
        assert take_daily_snapshots() == first
    assert KcioDelivery.objects.count() == 2 and OutboxMessage.objects.count() == 2
    assert set(KcioDelivery.objects.values_list("snapshot__region__code", "sequence", "reason")) == {
        ("noord", 1, "scheduled"), ("zuid", 1, "scheduled")}
    assert len(pushes) == 2 and len(second_pushes) == 0  # pushed to the broker after commit, once


def test_with_delivery_off_the_job_only_takes_snapshots(filled, settings, django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_METHOD = "off"
    with django_capture_on_commit_callbacks(execute=False):
        take_daily_snapshots()
    assert CapacitySnapshot.objects.count() == 2
    assert not KcioDelivery.objects.exists() and not OutboxMessage.objects.exists()


def test_snapshot_and_send_commit_together(filled, https_to, monkeypatch):
    """A failure while writing the send rolls the day's snapshot back too: the retried job then
    takes and sends it, instead of finding a snapshot that was never sent."""
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(delivery, "outbox_enqueue", broken)
    with pytest.raises(RuntimeError):
        take_daily_snapshots.run()
    assert not CapacitySnapshot.objects.exists() and not KcioDelivery.objects.exists()


def test_export_now_twice_sends_once(filled, https_to, personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = delivery_export_now(region=filled.noord, user=personas.coordinator)
        second = delivery_export_now(region=filled.noord, user=personas.coordinator)
    assert first.snapshot_created and first.delivery_created
    assert not second.snapshot_created and not second.delivery_created
    assert first.delivery.pk == second.delivery.pk and first.delivery.reason == "export_now"
    # The daily job later that day finds the send there is.
    with django_capture_on_commit_callbacks(execute=False):
        take_daily_snapshots()
    assert KcioDelivery.objects.filter(snapshot__region=filled.noord).count() == 1


@pytest.mark.django_db(transaction=True)
def test_export_now_and_the_job_at_once_make_one_send(filled, https_to, personas):
    """Two sends of one snapshot at the same moment: the snapshot row lock makes the second wait
    and find the first's send (without it, the unique constraint would fail the second)."""
    snapshot = snapshot_take(region=filled.noord, as_of=snapshot_today())
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=5)
            results.append(delivery_schedule(snapshot=snapshot).pk)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            from django.db import connection
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == [] and len(set(results)) == 1
    assert KcioDelivery.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_the_database_refuses_a_second_first_send(filled, https_to, django_capture_on_commit_callbacks):
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    other = OutboxMessage.objects.create(kind=delivery.KIND_HTTP, channel="http", idempotency_key="x-2",
                                         next_attempt_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        KcioDelivery.objects.create(snapshot=sent.snapshot, sequence=1, reason="scheduled", method="https",
                                    file_format="csv", outbox_message=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        KcioDelivery.objects.create(snapshot=sent.snapshot, sequence=2, reason="scheduled", method="https",
                                    file_format="csv", outbox_message=other)


# --- mail ------------------------------------------------------------------------------------

def test_mail_carries_the_file_readable_by_csv_and_a_stable_message_id(filled, settings, mailoutbox, personas,
                                                                       django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_METHOD = "mail"
    settings.KCIO_DELIVERY_MAIL_TO = ["kcio@example.org"]
    settings.KCIO_DELIVERY_FORMAT = "csv"
    settings.KCIO_DELIVERY_HXL = True
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    message = _message(sent)
    assert (message.kind, message.channel) == (delivery.KIND_MAIL, "mail")
    assert outbox_deliver(message_id=message.pk) == "delivered"
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    day = snapshot_today()
    assert email.to == ["kcio@example.org"]
    assert email.subject == f"KCIO-capaciteitsexport Regio Noord, peildatum {day.strftime('%d-%m-%Y')}"
    assert email.extra_headers["Message-ID"] == f"<kcio.{message.uuid}@localhost>"
    assert email.extra_headers["Idempotency-Key"] == f"kcio-noord-{day.isoformat()}"
    [(name, content, mimetype)] = email.attachments
    assert name == f"kcio-noord-{day.isoformat()}.csv" and mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(content.decode("utf-8") if isinstance(content, bytes) else content)))
    assert rows[0][5] == "Locatiecode" and rows[1][5] == "#loc+code"  # header + HXL row
    assert [(r[5], r[17], r[18]) for r in rows[2:]] == [("AAD-001", "13", "1"), ("BEE-001", "7", "4")]

    # A resend is another mail with its own Message-ID and the same idempotency key.
    with django_capture_on_commit_callbacks(execute=False):
        again = delivery_resend(snapshot=sent.snapshot, user=personas.coordinator)
    assert outbox_deliver(message_id=again.outbox_message_id) == "delivered"
    assert mailoutbox[1].extra_headers["Idempotency-Key"] == email.extra_headers["Idempotency-Key"]
    assert mailoutbox[1].extra_headers["Message-ID"] != email.extra_headers["Message-ID"]


def test_mail_attempts_of_one_send_share_the_message_id(filled, settings, mailoutbox, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_METHOD = "mail"
    settings.KCIO_DELIVERY_MAIL_TO = ["kcio@example.org"]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    seen = []
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def flaky(self, messages):
        seen.append(messages[0].extra_headers["Message-ID"])
        if len(seen) == 1:
            raise ConnectionRefusedError("smtp down")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    now = timezone.now()
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now) == "retry"
    assert outbox_deliver(message_id=sent.outbox_message_id, now=now + dt.timedelta(hours=1)) == "delivered"
    assert len(seen) == 2 and seen[0] == seen[1] and len(mailoutbox) == 1


def test_mail_without_an_address_fails_with_a_dutch_reason(filled, settings, django_capture_on_commit_callbacks):
    settings.KCIO_DELIVERY_METHOD = "mail"
    settings.KCIO_DELIVERY_MAIL_TO = ["kcio@example.org"]
    sent = _schedule_noord(filled, django_capture_on_commit_callbacks)
    settings.KCIO_DELIVERY_MAIL_TO = []
    assert outbox_deliver(message_id=sent.outbox_message_id) == "failed"
    assert "geen KCIO-mailadres ingesteld" in _message(sent).last_error


def test_both_kinds_are_registered_on_their_channel():
    assert registry.get("reporting.kcio_delivery").channel == "http"
    assert registry.get("reporting.kcio_delivery_mail").channel == "mail"
