"""Attribution on the database: journeys from sessions, events and orders, every model,
results stored, for N journeys, against the goal of 1,000,000 journeys in 5 minutes.

Data (bench database `attribution_bench`, kept between runs, rebuilt when N changes):
N visitors (BENCH_ATTRIBUTION_JOURNEYS, default 100,000), each with 1 to 5 sessions
over 30 days on 11 channels, an asset click (200 assets, 4 galleries) in every
other journey's first session, and an order after the last session of one journey
in 30; generated set-based with INSERT ... SELECT.

Measured: `execute_runs` for the eight models at BENCH_ATTRIBUTION_LEVEL (default
`gallery`), sharing one build of the journeys, as the task does. Ceiling: one
plain scan of the same sessions, events and orders in the same run, so the ratio
is what the journeys and models cost over reading the rows. The goal (5 minutes
per million journeys, scaled to N) is reported as met or not.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.db import connection, transaction

from bench.kpis import _ensure_partitions
from bench.registry import Result, benchmark
from bench.search import bench_database

BENCH_DB = "attribution_bench"
DAYS = 30
GOAL_S_PER_MILLION = 300.0
GENERATED = (
    "analytics_event", "analytics_session", "analytics_visitor", "commerce_order",
    "analytics_attributioncredit", "analytics_attributionrun",
)  # fmt: skip

DATA = """
INSERT INTO analytics_visitor (site_id, visitor_id, first_seen, last_seen)
SELECT %(site)s, 'v' || j, %(start)s, %(start)s FROM generate_series(0, %(n)s - 1) j;
INSERT INTO analytics_session (site_id, visitor_id, session_id, started_at, ended_at,
    landing_page, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
    device_class, channel, event_count, page_views, gallery_interactions, add_to_carts,
    leads, purchases)
SELECT %(site)s, v.id, 's' || j || '-' || i, t, t + interval '5 minutes', '', '', '', '', '',
       '', '', 'mobile', (%(channels)s::text[])[1 + (j * 7 + i * 3 + j / 11) %% 11],
       1, 1, 0, 0, 0, 0
FROM generate_series(0, %(n)s - 1) j
JOIN analytics_visitor v ON v.site_id = %(site)s AND v.visitor_id = 'v' || j,
     LATERAL generate_series(0, (j * 13) %% 5) i,
     LATERAL (SELECT %(start)s::timestamptz + ((j %% 997)::float8 / 997 * 25 + i) * interval '1 day'
              AS t) x;
INSERT INTO analytics_event (event_id, received_at, site_id, type, client_time, visitor_id,
                             session_id, asset_id, gallery)
SELECT gen_random_uuid(), t, %(site)s, 'asset_click', t, 'v' || j, 's' || j || '-0',
       1 + (j * 31) %% 200, 'g' || (j %% 4)
FROM generate_series(0, %(n)s - 1, 2) j,
     LATERAL (SELECT %(start)s::timestamptz + ((j %% 997)::float8 / 997 * 25) * interval '1 day'
              + interval '1 minute' AS t) x;
INSERT INTO commerce_order (shop_id, shop_order_id, name, created_at_shop, currency, subtotal,
    discounts, total, refunded_amount, status, financial_status, landing_page, referrer,
    utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, source,
    fingerprint, created_at, updated_at)
SELECT %(shop)s, 'a' || j, '', t, 'EUR', 60, 0, 20 + j %% 80, 0, 'open', '', '', '', '', '', '',
       '', '', 'v' || j, 'bench', '', now(), now()
FROM generate_series(0, %(n)s - 1, 30) j,
     LATERAL (SELECT %(start)s::timestamptz
              + ((j %% 997)::float8 / 997 * 25 + (j * 13) %% 5) * interval '1 day'
              + interval '2 hours' AS t) x;
"""
SCAN = """SELECT (SELECT count(*) FROM (SELECT visitor_id, started_at, channel
                                       FROM analytics_session) s),
                 (SELECT count(*) FROM (SELECT visitor_id, client_time, asset_id
                                       FROM analytics_event) e),
                 (SELECT count(*) FROM (SELECT visitor_id, total FROM commerce_order) o)"""


def size() -> int:
    return int(os.environ.get("BENCH_ATTRIBUTION_JOURNEYS", "100000"))


def _start():
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=DAYS + 2
    )


def _build(n: int) -> None:
    from ugc.models import Site

    call_command("migrate", verbosity=0)
    tag = f"attribution-bench-v2-{n}"
    if Site.objects.filter(name=tag).exists():
        return
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(GENERATED)} CASCADE")
    with transaction.atomic():  # the site's tag marks complete data only
        _generate(n, tag)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _generate(n: int, tag: str) -> None:
    from analytics.channels import CHANNELS
    from commerce.models import Shop
    from ugc.models import Site

    site = Site.objects.create(name=tag, domain="bench.example")
    shop = Shop.objects.create(name=tag, domain=f"{tag}.example", webhook_secret=tag)
    start = _start()
    _ensure_partitions(start.date(), DAYS + 2)
    params = {"site": site.pk, "shop": shop.pk, "n": n, "start": start, "channels": list(CHANNELS)}
    with connection.cursor() as cursor:
        cursor.execute(DATA, params)


@benchmark
def attribution_database_run() -> Result:
    from analytics.models import AttributionRun
    from analytics.services.attribution_runs import MODEL_NAMES, execute_runs

    n = size()
    level = os.environ.get("BENCH_ATTRIBUTION_LEVEL", "gallery")
    with bench_database(BENCH_DB):
        _build(n)
        start = _start().date()
        runs = [
            AttributionRun.objects.create(
                model=model, level=level, date_from=start, date_to=start + timedelta(days=DAYS)
            )
            for model in MODEL_NAMES
        ]
        began = time.perf_counter()
        outcomes = execute_runs([run.pk for run in runs])
        measured = time.perf_counter() - began
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(SCAN)
            cursor.fetchall()
        ceiling = time.perf_counter() - began
        journeys = AttributionRun.objects.get(pk=runs[0].pk).journeys
    goal = GOAL_S_PER_MILLION * n / 1_000_000
    return Result(
        "attribution db run, 8 models",
        measured,
        ceiling,
        target_ratio=float("inf"),
        note=f"{journeys:,} journeys ({n:,} visitors) at {level} level, "
        f"{measured:.1f} s vs goal {goal:.1f} s ({measured / goal:.2f} of it); "
        f"outcomes {sorted(set(outcomes))}",
        goals_met=measured <= goal and set(outcomes) == {"done"},
    )
