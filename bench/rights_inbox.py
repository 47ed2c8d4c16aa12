"""The rights inbox: server time per view with 100,000 rights requests.

The bar: every view of the inbox under 300 ms p95 of server time. The data lives in
its own database, `ugc_bench_inbox`, built once by COPY: one asset per request
(BENCH_INBOX_REQUESTS, default 100,000) spread over six platforms, a thousand
creators, and the requests spread over every stage (most of them closed, as in a
library a year old), five languages and a year of requested_at.

Each view is requested in-process through Django's test client as a logged-in
coordinator (the whole page: tabs with their counts, rows, "to request next",
expiring soon), DEBUG off, p95 over REPEATS, as bench/workspace.py does. The ceiling is
a bare SELECT of the page of requests the view lists, p95 over as many runs.
"""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
from django.db import connection
from django.utils import timezone

from bench.registry import Result, benchmark
from bench.search import bench_database
from bench.workspace import _client, _result, measure_urls
from core.roles import COORDINATOR

INBOX_DB = "ugc_bench_inbox"
PLATFORMS = ("instagram", "tiktok", "facebook", "pinterest", "youtube", "x")
LANGUAGES = ("en", "fr", "de", "es", "it")
LANGUAGE_SHARES = (0.5, 0.15, 0.15, 0.12, 0.08)
# Where a year of requests stands: most conversations are over.
STAGE_SHARES = {
    "queued": 0.04,
    "sent": 0.12,
    "answered": 0.03,
    "granted": 0.45,
    "declined": 0.12,
    "expired": 0.19,
    "cancelled": 0.03,
    "revoked": 0.02,
}
CREATORS = 1000
TABS = ("queued", "sent", "answered", "granted", "declined", "expired")


def request_count() -> int:
    return int(os.environ.get("BENCH_INBOX_REQUESTS", "100000"))


def _build(n: int) -> None:
    """n assets, each with one rights request; built once and kept."""
    from django.core.management import call_command

    from ugc.models import RightsRequest

    call_command("migrate", verbosity=0)
    if RightsRequest.objects.count() == n:
        return
    print(f"  building {n:,} rights requests in {INBOX_DB} (once) ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE ugc_rightsrequest, ugc_asset, ugc_creator RESTART IDENTITY CASCADE"
        )
    _copy_library(n)
    with connection.cursor() as cursor:
        # What autovacuum does to a live table: statistics, and the visibility map that
        # lets the counts per stage read the index alone.
        cursor.execute("VACUUM ANALYZE")


def _copy_library(n: int) -> None:
    from core.bulk import copy_rows
    from ugc.models import Asset, Creator, RightsRequest

    rng = np.random.default_rng(22)
    copy_rows(
        Creator,
        ["platform", "handle"],
        ((PLATFORMS[i % len(PLATFORMS)], f"bench_creator_{i}") for i in range(CREATORS)),
    )
    platforms = rng.integers(0, len(PLATFORMS), n)
    stages = rng.choice(list(STAGE_SHARES), n, p=list(STAGE_SHARES.values()))
    languages = rng.choice(LANGUAGES, n, p=LANGUAGE_SHARES)
    waited_s = rng.integers(0, 365 * 86400, n)
    granted = {"granted": "granted", "declined": "declined", "expired": "expired"}
    copy_rows(
        Asset,
        ["media_type", "source_platform", "platform_id", "creator_id", "processing_state",
         "moderation_state", "rights_state", "permalink"],
        (
            ("image", PLATFORMS[platforms[i]], f"bench-{i}", i % CREATORS + 1, "in_review",
             "approved", granted.get(stages[i], "requested"), f"https://example.com/p/{i}")
            for i in range(n)
        ),
    )  # fmt: skip
    now = timezone.now()
    copy_rows(
        RightsRequest,
        ["asset_id", "creator_id", "stage", "language", "requested_at", "message",
         "approval_hashtag", "delivery"],
        (
            (i + 1, i % CREATORS + 1, stages[i], languages[i],
             now - timedelta(seconds=int(waited_s[i])),
             "May we show your post? Reply #yesbench", "yesbench",
             "reply" if i % 3 else "by_hand")
            for i in range(n)
        ),
    )  # fmt: skip


def _views() -> list[tuple[str, str, str, tuple]]:
    """(name, inbox URL, bare SELECT of the requests it lists, its parameters)."""
    page = "SELECT * FROM ugc_rightsrequest WHERE stage = %s ORDER BY requested_at, id LIMIT 100"
    views = [("default tab", "", "queued")]
    views += [(f"{stage} tab", f"stage={stage}", stage) for stage in TABS]
    views += [
        ("platform filter", "platform=tiktok", "queued"),
        ("language filter", "language=de", "queued"),
        ("platform and language", "platform=tiktok&language=de", "queued"),
        ("answered, platform and language", "stage=answered&platform=x&language=it", "answered"),
    ]
    return [
        (name, f"/workspace/rights?{query}".rstrip("?"), page, (stage,))
        for name, query, stage in views
    ]


def measure_views() -> list[tuple[str, float, float]]:
    with bench_database(INBOX_DB):
        _build(request_count())
        return measure_urls(_client(COORDINATOR), _views())


_measured: list[tuple[str, float, float]] = []


def _view_result(index: int) -> Result:
    if not _measured:
        _measured.extend(measure_views())
    return _result(_measured, index, f"{request_count():,} requests", "rights inbox")


def _register(index: int, name: str):
    def run() -> Result:
        return _view_result(index)

    run.__name__ = f"rights_inbox_{name.replace(',', '').replace(' ', '_')}"
    return benchmark(run)


for _index, (_name, *_rest) in enumerate(_views()):
    _register(_index, _name)
