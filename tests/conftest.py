"""Shared fixtures: a small synthetic world and one persona per role, always with an outsider.

World: region "Noord" with municipalities A and B (a location with rooms in each), and region
"Zuid" with municipality C. Personas are bound to Noord unless their name says otherwise.
"""

from __future__ import annotations

import os
import uuid
from types import SimpleNamespace

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from rcvs.accounts.models import Role
from rcvs.celery import app as celery_app
from tests.factories import (
    LocationFactory,
    MunicipalityFactory,
    RegionFactory,
    RoomFactory,
    UserFactory,
)

PASSWORD = "demo-wachtwoord-123"


@pytest.fixture(autouse=True)
def _dutch_after_each_test():
    """A request in English leaves English active in the test thread (LocaleMiddleware activates a
    language and never deactivates it): later tests that read Dutch messages would then fail
    depending on the order the suite runs in."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
    cache.clear()  # throttles and the per-address login count must not carry into the next test


@pytest.fixture
def world(db):
    noord = RegionFactory(code="noord", name="Regio Noord")
    zuid = RegionFactory(code="zuid", name="Regio Zuid")
    mun_a = MunicipalityFactory(region=noord, name="Aadorp", cbs_code="GM9001")
    mun_b = MunicipalityFactory(region=noord, name="Beekdal", cbs_code="GM9002")
    mun_c = MunicipalityFactory(region=zuid, name="Cranendonck-Test", cbs_code="GM9003")
    loc_a = LocationFactory(municipality=mun_a, code="AAD-001", name="Het Anker")
    loc_b = LocationFactory(municipality=mun_b, code="BEE-001", name="De Beuk")
    loc_c = LocationFactory(municipality=mun_c, code="CRA-001", name="De Cirkel")
    rooms_a = [RoomFactory(location=loc_a, number=f"A{i}", beds=beds) for i, beds in enumerate([1, 2, 4, 6], 1)]
    rooms_b = [RoomFactory(location=loc_b, number=f"B{i}", beds=beds) for i, beds in enumerate([3, 4], 1)]
    rooms_c = [RoomFactory(location=loc_c, number="C1", beds=5)]
    return SimpleNamespace(
        noord=noord, zuid=zuid, mun_a=mun_a, mun_b=mun_b, mun_c=mun_c,
        loc_a=loc_a, loc_b=loc_b, loc_c=loc_c, rooms_a=rooms_a, rooms_b=rooms_b, rooms_c=rooms_c,
    )


@pytest.fixture
def personas(world):
    def make(username, role, regions, municipalities=None, **extra):
        return UserFactory(username=username, role=role, regions=regions,
                           municipalities=municipalities or [], **extra)

    return SimpleNamespace(
        belteam=make("belteam", Role.BELTEAM, [world.noord]),
        coordinator=make("coordinator", Role.COORDINATOR, [world.noord]),
        gemeente_a=make("gemeente_a", Role.GEMEENTE, [world.noord], [world.mun_a]),
        gemeente_b=make("gemeente_b", Role.GEMEENTE, [world.noord], [world.mun_b]),
        bestuur=make("bestuur", Role.BESTUUR, [world.noord]),
        beheerder=make("beheerder", Role.BEHEERDER, [world.noord], is_staff=True),
        outsider=make("outsider", Role.BEHEERDER, [world.zuid]),
    )


@pytest.fixture
def login(client):
    """Log a persona into the Django test client and return that client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_for():
    def _api(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return _api


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_worker():
    """A real Celery worker thread consuming from Redis (REDIS_URL), on a queue of its own so that
    a worker of another test run on the same Redis database cannot take our tasks."""
    queue = f"rcvs-test-{uuid.uuid4().hex[:12]}"
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue")
    previous = {key: celery_app.conf[key] for key in keys}
    amqp = celery_app.amqp
    queues = amqp.queues
    previous_consume_from = queues._consume_from
    # Celery caches its broker pool and (per thread) its result backend: an earlier eager test in
    # this process may have left a pool for the default broker and a disabled backend, and then
    # the task would never reach Redis. Start clean, put back what was there afterwards.
    saved = (celery_app._pool, amqp._producer_pool, celery_app._local.__dict__.pop("backend", None))
    celery_app._pool = amqp._producer_pool = None
    celery_app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False,
                           task_default_queue=queue)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]):
            yield celery_app
    finally:
        celery_app.conf.update(previous)
        queues._consume_from = previous_consume_from
        queues.pop(queue, None)
        celery_app._pool, amqp._producer_pool = saved[0], saved[1]
        celery_app._local.__dict__.pop("backend", None)
        if saved[2] is not None:
            celery_app._local.backend = saved[2]
