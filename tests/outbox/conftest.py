"""Brokers that are down, for real: a closed port, and a listener that accepts a connection and
drops it at once (a Redis that is crashing), counting how often the application knocks."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import pytest

from placements.services import placement_reserve
from rcvs.celery import app as celery_app
from tests.factories import ContactPersonFactory, make_request


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DroppingBroker:
    """Accepts TCP connections and closes them at once; `connections` counts the attempts."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def __enter__(self) -> DroppingBroker:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.close()
        self._thread.join(timeout=5)


@contextmanager
def celery_pointed_at(url: str):
    """Publish to `url` (broker and result backend, as production configures them), not eagerly.
    Celery caches its broker pools and (per thread) its result backend: start clean, and put back
    afterwards what was there, as tests/conftest.py's redis_worker does."""
    keys = ("broker_url", "result_backend", "task_always_eager")
    previous = {key: celery_app.conf[key] for key in keys}
    amqp = celery_app.amqp
    saved = (celery_app._pool, amqp._producer_pool, celery_app._local.__dict__.pop("backend", None))
    celery_app._pool = amqp._producer_pool = None
    celery_app.conf.update(broker_url=url, result_backend=url, task_always_eager=False)
    try:
        yield celery_app
    finally:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app.conf.update(previous)
        celery_app._pool, amqp._producer_pool = saved[0], saved[1]
        celery_app._local.__dict__.pop("backend", None)
        if saved[2] is not None:
            celery_app._local.backend = saved[2]


@pytest.fixture
def broker_refusing():
    """Redis down: its port is closed. Yields the port."""
    port = closed_port()
    with celery_pointed_at(f"redis://127.0.0.1:{port}/0"):
        yield port


@pytest.fixture
def broker_dropping():
    """Redis crashing: it accepts a connection and drops it; the fixture counts the attempts."""
    with DroppingBroker() as broker, celery_pointed_at(broker.url):
        yield broker


@pytest.fixture
def reserved_with_contact(world, personas):
    """A reservation at a location whose primary contact has a mail address."""
    ContactPersonFactory(location=world.loc_a, name="Zwaantje Locatiemanager", email="manager@example.org",
                         is_primary=True)
    request = make_request(region=world.noord, user=personas.belteam)
    return placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[1].pk, 1)])
