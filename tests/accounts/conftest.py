import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """DRF keeps its throttle history in the cache: without a clean cache one test's requests to the
    token endpoint would count against the next test's (or another module's)."""
    cache.clear()
    yield
    cache.clear()
