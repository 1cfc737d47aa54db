"""Time the registry's main reads on demo data and count their SQL queries.

    DEBUG=1 DATABASE_URL=... .venv/bin/python scripts/benchmark.py [--national] [--runs N]
    make benchmark BENCH_ARGS=--national

Seeds the demo data first when it is missing (Drenthe, or the national set with --national).
The placement figures reserve and release beds of an open demo request (events are written).
Prints figures only: what is fast enough is decided by people reading them, not by this script.
Every figure is the median of --runs runs after one warm-up run; the query count is that of a
single run, which must not grow with the number of locations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Run as a plain script: put the project on the path and configure Django ourselves.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rcvs.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from locations.models import REALISED_STATUSES, Region, Room  # noqa: E402
from locations.selectors import (  # noqa: E402
    OverviewFilters,
    build_overview,
    location_detail,
    location_qs_for,
    location_rooms,
    locations_with_capacity,
    regions_with_capacity,
)
from rcvs.accounts.models import User  # noqa: E402
from reporting.management.commands.seed_demo import DEMO_REGION_CODE, NATIONAL_REGIONS  # noqa: E402


@dataclass
class Result:
    label: str
    queries: int | str
    median_ms: float | None
    min_ms: float | None
    rows: int | str


def measure(label: str, fn: Callable[[], int], runs: int) -> Result:
    fn()  # warm-up: connection, imports, template loading
    times: list[float] = []
    queries = 0
    rows = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = max(queries, len(captured.captured_queries))
    return Result(label, queries, statistics.median(times), min(times), rows)


def http_get(label: str, client: Client, url: str, runs: int) -> Result:
    response = client.get(url)
    if response.status_code == 404:
        print(f"note: {url} answers 404 (the page does not exist yet); its timing is skipped.")
        return Result(label, "-", None, None, "404")
    if response.status_code != 200:
        print(f"note: {url} answers {response.status_code}; its timing is skipped.")
        return Result(label, "-", None, None, str(response.status_code))

    def get() -> int:
        return len(client.get(url).content)

    result = measure(label, get, runs)
    result.rows = f"{result.rows:,} B"
    return result


def ensure_data(national: bool) -> None:
    has_drenthe = Region.objects.filter(code=DEMO_REGION_CODE).exists() and User.objects.filter(
        username__in=("beheerder", "gemeente.emmen")).count() == 2
    has_national = Region.objects.count() >= NATIONAL_REGIONS
    if not has_drenthe or (national and not has_national):
        print("Seeding demo data" + (" (national)" if national else "") + "...", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", national=national, quiet=True)
        print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


def describe_data() -> str:
    realised = Room.objects.filter(location__status__in=REALISED_STATUSES).aggregate(beds=Sum("beds"))["beds"]
    counts = Region.objects.aggregate(regions=Count("pk", distinct=True),
                                      locations=Count("municipalities__locations", distinct=True))
    return (f"{counts['regions']} regions, {counts['locations']:,} locations, {Room.objects.count():,} rooms, "
            f"{realised or 0:,} realised beds")


def reporting_results(as_of: dt.date, runs: int) -> list[Result]:
    """Reporting (issue 8): the KCIO files of the newest snapshot, a year of trend with its chart,
    the trends page, the cost overview and one board report (fewer runs: it renders a PDF)."""
    from reporting import kcio
    from reporting.board import build_board_report, month_start
    from reporting.charts import trend_chart_svg
    from reporting.models import CapacitySnapshot
    from reporting.trends import region_trend

    snapshot = CapacitySnapshot.objects.filter(region__code="drenthe").order_by("-as_of").first()
    if snapshot is None:
        print("note: the demo region has no snapshots; the reporting figures are skipped.")
        return []
    region = snapshot.region
    year_ago = as_of - dt.timedelta(days=365)
    last_month = month_start(month_start(as_of) - dt.timedelta(days=1))
    results = [
        measure(f"(l) KCIO CSV of {snapshot.as_of.isoformat()}", lambda: len(kcio.render(snapshot, "csv")), runs),
        measure(f"(m) KCIO XLSX of {snapshot.as_of.isoformat()}", lambda: len(kcio.render(snapshot, "xlsx")), runs),
        measure("(n) region_trend, 12 months", lambda: len(region_trend(region, start=year_ago, end=as_of)), runs),
        measure("(o) region_trend + trend_chart_svg", lambda: len(trend_chart_svg(
            region_trend(region, start=year_ago, end=as_of), title="Drenthe")), runs),
    ]
    bestuur = User.objects.get(username="bestuur")
    client = Client()
    client.force_login(bestuur)
    results.append(http_get("(p) GET /rapportage/trends/ as bestuur", client, "/rapportage/trends/", runs))
    results.append(http_get("(q) GET /rapportage/kosten/ as bestuur", client, "/rapportage/kosten/", runs))
    results.append(measure(f"(r) board report PDF, {last_month:%Y-%m} (3 runs)", lambda: len(
        build_board_report(region, period=last_month).pdf), min(runs, 3)))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--national", action="store_true", help="benchmark on the national data set")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per figure (default 10)")
    args = parser.parse_args(argv)

    ensure_data(args.national)
    as_of: dt.date = timezone.localdate()
    beheerder = User.objects.get(username="beheerder")
    gemeente = User.objects.get(username="gemeente.emmen")
    admin = User.objects.get(username="admin")
    largest = locations_with_capacity(location_qs_for(beheerder)).order_by("-cap_realised", "code").first()
    if largest is None:
        sys.exit("The demo region has no locations; run manage.py seed_demo.")

    def overview(user: User) -> Callable[[], int]:
        return lambda: build_overview(user=user, filters=OverviewFilters(), as_of=as_of).location_count

    def detail() -> int:
        location = location_detail(user=beheerder, uuid=largest.uuid)
        return len(location_rooms(location))

    def regions() -> int:
        return len(list(regions_with_capacity(Region.objects.all())))

    runs = args.runs
    results = [
        measure("(a) build_overview, beheerder of Drenthe", overview(beheerder), runs),
        measure("(b) build_overview, gemeente.emmen", overview(gemeente), runs),
        measure(f"(c) location_detail + location_rooms, {largest.code}", detail, runs),
        measure("(d) regions_with_capacity, all regions", regions, runs),
        measure("(e) build_overview, superuser (all regions)", overview(admin), runs),
    ]
    # Placements: candidates for the open demo requests, and a reserve + release round trip.
    from placements.matching import find_candidates
    from placements.models import PlacementRequest, RequestStatus
    from placements.services import placement_release, placement_reserve

    queue = list(PlacementRequest.objects.filter(region__code=DEMO_REGION_CODE, status=RequestStatus.NEW)
                 .order_by("received_at", "pk"))
    for request in queue[:3]:
        size = request.members.count()
        results.append(measure(f"(h) find_candidates, household of {size}",
                               lambda request=request: len(find_candidates(request).candidates), runs))
    placeable = next((r for r in queue if find_candidates(r).candidates), None)
    belteam = User.objects.get(username="belteam")
    if placeable is not None:
        def reserve_and_release() -> int:
            candidate = find_candidates(placeable).candidates[0]
            placement = placement_reserve(user=belteam, request=placeable, allocation=candidate.allocation)
            placement_release(user=belteam, placement=placement, reason="benchmark")
            return 1
        results.append(measure("(i) candidates + reserve + release", reserve_and_release, runs))

    client = Client()
    client.force_login(beheerder)
    results.append(http_get("(f) GET /locaties/ as beheerder", client, "/locaties/", runs))
    results.append(http_get(f"(g) GET /locaties/<uuid>/ of {largest.code}", client,
                            f"/locaties/{largest.uuid}/", runs))
    belteam_client = Client()
    belteam_client.force_login(belteam)
    results.append(http_get("(j) GET /plaatsingen/ (queue) as belteam", belteam_client, "/plaatsingen/", runs))
    if queue:
        results.append(http_get("(k) GET request page with candidates", belteam_client,
                                f"/plaatsingen/verzoek/{queue[0].uuid}/", runs))

    results += reporting_results(as_of, runs)

    print()
    print(f"Data: {describe_data()}; as of {as_of.isoformat()}; median of {runs} runs")
    print(f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}, DEBUG={int(settings.DEBUG)}")
    print()
    header = f"{'measurement':<48} {'queries':>7} {'median ms':>10} {'min ms':>8} {'rows':>10}"
    print(header)
    print("-" * len(header))
    for r in results:
        median = "-" if r.median_ms is None else f"{r.median_ms:.1f}"
        minimum = "-" if r.min_ms is None else f"{r.min_ms:.1f}"
        print(f"{r.label:<48} {r.queries!s:>7} {median:>10} {minimum:>8} {r.rows!s:>10}")


if __name__ == "__main__":
    main()
