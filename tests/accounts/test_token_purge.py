"""Expired API keys are deleted by a nightly job, not only refused; the cache can be shared."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.utils import timezone

from rcvs.accounts.models import ApiToken
from rcvs.accounts.services import api_token_create
from rcvs.accounts.tasks import purge_expired_api_tokens

pytestmark = pytest.mark.django_db


def test_the_nightly_job_deletes_expired_keys_and_keeps_live_ones(personas):
    expired, _ = api_token_create(user=personas.belteam, name="oude koppeling")
    live, _ = api_token_create(user=personas.coordinator, name="koppeling")
    ApiToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - dt.timedelta(minutes=1))

    assert purge_expired_api_tokens.apply().get() == 1
    assert list(ApiToken.objects.values_list("pk", flat=True)) == [live.pk]
    assert settings.CELERY_BEAT_SCHEDULE["purge-expired-api-tokens"]["task"] == purge_expired_api_tokens.name


def test_cache_url_gives_one_redis_cache_for_every_worker():
    env = {**os.environ, "CACHE_URL": "redis://127.0.0.1:6379/14", "DEBUG": "1"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=settings.BASE_DIR).stdout
    assert out.strip() == "django.core.cache.backends.redis.RedisCache"
