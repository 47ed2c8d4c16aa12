"""KPIs: the daily rollup of N events against one GROUP BY, and the KPI API's p95.

Data: N events (BENCH_KPI_EVENTS, default 1,000,000; the goal names 10,000,000)
spread over BENCH_KPI_DAYS days (90) on 2,000 assets, 20 events a session, with
sessions and a few thousand orders, generated set-based in the database
(INSERT ... SELECT over generate_series: the fastest way in, like COPY, with no
client round trip per row) into a bench database of its own (`analytics_bench`),
kept between runs and rebuilt when N changes. Event ids count up (n as a UUID)
rather than being random: the primary key's btree then grows at its right edge
instead of touching a random page of a 500 MB index per row: generating
10,000,000 events took 259 s (load 9-11) against roughly 12 minutes with random ids
(load 10-15, read off that run's timeline).

Rollup. Every day of the range rolled up (`rollup_day`, all four tables) against
a single `SELECT site_id, asset_id, type, count(*) ... GROUP BY` over the same
rows: the ratio is what the rollup's extra work (visitor sets, sessions, orders,
the UGC lookback joins) costs over reading and grouping the events once.

KPI API. GET /api/v1/analytics/kpis for one asset over 90 days, in process through
Django's full stack (authentication, DRF, JSON), 200 times; the ceiling is the
p95 of GET /healthz through the same client. The goal is p95 <= 50 ms.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta

from django.core.management import call_command
from django.db import connection

from bench.registry import Result, benchmark, best_of
from bench.search import bench_database

BENCH_DB = "analytics_bench"
BUILT: dict[int, float] = {}  # events -> seconds to generate them, when done in this run
ASSETS = 2_000
EVENTS_PER_SESSION = 20
API_REQUESTS = 200
P95_GOAL_S = 0.050
GENERATED = (
    "analytics_event", "analytics_eventreceipt", "analytics_session", "analytics_visitor",
    "commerce_order", "analytics_dailyassetstats", "analytics_dailysessionstats",
    "analytics_dailyorderstats",
)  # fmt: skip
TYPES = "{page_view,gallery_view,asset_impression,asset_impression,asset_impression," \
    "asset_impression,asset_impression,asset_impression,asset_click,lightbox_open}"  # fmt: skip


def sizes() -> tuple[int, int]:
    return (
        int(os.environ.get("BENCH_KPI_EVENTS", "1000000")),
        int(os.environ.get("BENCH_KPI_DAYS", "90")),
    )


def first_day(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


EVENTS = """
INSERT INTO analytics_event (event_id, received_at, site_id, type, client_time, visitor_id,
                             session_id, asset_id, gallery)
SELECT lpad(to_hex(n), 32, '0')::uuid, t, %(site)s, (%(types)s::text[])[1 + n %% 10], t,
       'v' || (n / %(per_session)s %% 50000), 's' || (n / %(per_session)s),
       CASE WHEN n %% 10 >= 2 THEN 1 + (n / 10) %% %(assets)s END, 'home'
FROM generate_series(0, %(n)s - 1) n,
     LATERAL (SELECT %(start)s::timestamptz + (n::float8 / %(n)s) * %(span)s * interval '1 day'
              AS t) x
"""
SESSIONS = """
INSERT INTO analytics_visitor (site_id, visitor_id, first_seen, last_seen)
SELECT %(site)s, 'v' || v, %(start)s, %(start)s FROM generate_series(0, 49999) v;
INSERT INTO analytics_session (site_id, visitor_id, session_id, started_at, ended_at,
    landing_page, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
    device_class, channel, event_count, page_views, gallery_interactions, add_to_carts,
    leads, purchases)
SELECT %(site)s, vis.id, 's' || s, t, t + interval '5 minutes', '', '', '', '', 'c' || s %% 7,
       '', '', 'mobile', (ARRAY['direct','organic_social','paid_social','email'])[1 + s %% 4],
       %(per_session)s, 1 + s %% 3, 3, (s %% 5 = 0)::int, (s %% 11 = 0)::int,
       (s %% 25 = 0)::int
FROM generate_series(0, %(n)s / %(per_session)s - 1) s
JOIN analytics_visitor vis ON vis.site_id = %(site)s AND vis.visitor_id = 'v' || (s %% 50000),
     LATERAL (SELECT %(start)s::timestamptz
              + ((s * %(per_session)s)::float8 / %(n)s) * %(span)s * interval '1 day' AS t) x;
INSERT INTO commerce_order (shop_id, shop_order_id, name, created_at_shop, currency, subtotal,
    discounts, total, refunded_amount, status, financial_status, landing_page, referrer,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, source,
    fingerprint, created_at, updated_at)
SELECT %(shop)s, 'b' || s, '', t + interval '4 minutes', 'EUR', 60, 5, 55, 0, 'open', '', '',
       '', '', '', '', '', '', 'v' || (s %% 50000), 'bench', '', now(), now()
FROM generate_series(0, %(n)s / %(per_session)s - 1, 25) s,
     LATERAL (SELECT %(start)s::timestamptz
              + ((s * %(per_session)s)::float8 / %(n)s) * %(span)s * interval '1 day' AS t) x
"""


def _ensure_partitions(start: date, days: int) -> None:
    from analytics.services.partitions import _bound, month_start, next_month, partition_name

    month = month_start(start)
    while month <= start + timedelta(days=days + 31):
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF analytics_event "
                f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(next_month(month))}')"
            )
        month = next_month(month)


def _build(n: int, days: int) -> int:
    """The bench site's id; generates the data unless this size is already there."""
    from commerce.models import Shop
    from ugc.models import Site

    call_command("migrate", verbosity=0)
    tag = f"kpi-bench-v3-{n}-{days}"
    site = Site.objects.filter(name=tag).first()
    if site is not None:
        return site.pk
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(GENERATED)} CASCADE")
    site = Site.objects.create(name=tag, domain="bench.example")
    shop = Shop.objects.create(name=tag, domain=f"{tag}.example", webhook_secret=tag)
    start = first_day(days)
    _ensure_partitions(start, days)
    params = {
        "site": site.pk, "shop": shop.pk, "n": n, "span": days, "types": TYPES,
        "per_session": EVENTS_PER_SESSION, "assets": ASSETS,
        "start": datetime.combine(start, datetime.min.time(), UTC),
    }  # fmt: skip
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(EVENTS, params)
        cursor.execute(SESSIONS, params)
        cursor.execute("VACUUM ANALYZE analytics_event")
    BUILT[n] = time.perf_counter() - started
    return site.pk


@benchmark
def kpi_daily_rollup() -> Result:
    from analytics.services.rollups import rollup_day

    n, days = sizes()
    with bench_database(BENCH_DB):
        _build(n, days)
        start = first_day(days)
        every_day = [start + timedelta(days=d) for d in range(days + 1)]

        def roll():
            for day in every_day:
                rollup_day(day)

        def group_by():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT site_id, asset_id, type, count(*) FROM analytics_event "
                    "GROUP BY site_id, asset_id, type"
                )
                cursor.fetchall()

        measured = best_of(2, roll)
        ceiling = best_of(2, group_by)
    return Result(
        "kpi daily rollup",
        measured,
        ceiling,
        target_ratio=float("inf"),
        note=f"{n:,} events over {days} days, every day rolled up vs one GROUP BY"
        + (f"; data generated in {BUILT[n]:.0f} s" if n in BUILT else ""),
    )


@benchmark
def kpi_api_asset_90_days() -> Result:
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from analytics.services.rollups import rollup_day

    n, days = sizes()
    with bench_database(BENCH_DB):
        _build(n, days)
        end = first_day(days) + timedelta(days=days)
        if not _rolled(end):
            for d in range(days + 1):
                rollup_day(first_day(days) + timedelta(days=d))
        user, _ = User.objects.get_or_create(username="kpi-bench", is_superuser=True)
        client = APIClient(SERVER_NAME="localhost")  # an ALLOWED_HOSTS name
        client.force_authenticate(user)
        params = {
            "dimension": "asset", "key": 1, "to": end.isoformat(),
            "from": (end - timedelta(days=89)).isoformat(),
        }  # fmt: skip
        assert client.get("/api/v1/analytics/kpis", params).status_code == 200
        measured = _p95(lambda: client.get("/api/v1/analytics/kpis", params))
        ceiling = _p95(lambda: client.get("/healthz"))
    return Result(
        "kpi api asset 90 days p95",
        measured,
        ceiling,
        target_ratio=float("inf"),
        note=f"p95 {measured * 1000:.1f} ms (goal <= 50 ms), {API_REQUESTS} requests",
        goals_met=measured <= P95_GOAL_S,
    )


def _rolled(day: date) -> bool:
    from analytics.models import DailyAssetStats

    return DailyAssetStats.objects.filter(day=day).exists()


def _p95(call) -> float:
    times = []
    for _ in range(API_REQUESTS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    times.sort()
    return times[int(len(times) * 0.95) - 1]
