"""Scoring: full rescoring of the library, and an offline replay of gallery orderings.

`scoring_full_rescore`: ugc.services.scoring.rescore_all() over a generated library
(BENCH_SCORING_ASSETS, default 200,000; the goal is stated for 1,000,000 and
the ratio is what carries over) with performance for a third of the assets and
engagement for a fifth, into an empty score table so every row is written. Ceiling: a
plain SELECT of the same asset rows, fetched once. Goal <= 5x. The library lives in
its own database (`ugc_bench_scoring`) and is built once per size, by SQL.

`scoring_replay_ctr`: the replay estimator (Li et al., 2011) on logged events of a
uniformly random logging policy over a generated library with known click rates: an
event counts for a policy when the policy would have shown the logged asset. The ratio
is newest-first's estimated click rate over the recommended ordering's (Thompson
sampling over the posteriors learnt from the events it accepted): below 1 means the
recommended ordering earns more clicks. Best-quality-first is in the note.
"""

from __future__ import annotations

import os
import time

import numpy as np
from django.db import connection

from bench.registry import Result, benchmark, best_of
from bench.search import bench_database as search_bench_database

BENCH_DB = "ugc_bench_scoring"

BUILD_SQL = """
INSERT INTO ugc_asset (media_type, source_platform, caption, hashtags, mentions, language,
    alt_text, permalink, posted_at, platform_id, source_url, platform_metrics, original,
    original_filename, mime_type, width, height, placeholder, dominant_colors, quality,
    quality_score, media_info, processing_state, failure_reason, moderation_state,
    rights_state, steps_done, tags, created_at, updated_at)
SELECT 'image', (ARRAY['instagram','tiktok','facebook','x','review','upload'])[1 + i %% 6],
    'bench', '{}', '{}', 'en', '', '', now() - (i %% 400) * interval '1 day', 'b' || i, '',
    '{}', '', '', 'image/jpeg', 1080, 1080 + (i %% 5) * 100, '', '{}', '{}',
    ((i::bigint * 7919) %% 1000) / 1000.0, '{}', 'in_review', '',
    CASE WHEN i %% 3 = 0 THEN 'approved' ELSE 'pending' END,
    CASE WHEN i %% 3 = 0 THEN 'granted' ELSE 'not_requested' END, '{}', '{}', now(), now()
FROM generate_series(1, %(n)s) AS i
"""
PERFORMANCE_SQL = """
INSERT INTO ugc_assetperformance (asset_id, day, source, gallery_impressions, clicks,
    conversions, revenue, updated_at)
SELECT a.id, current_date - d, 'rollup', 100 + (a.id * 31) %% 900,
    ((a.id * 17) %% 40), ((a.id * 13) %% 3), ((a.id * 11) %% 50), now()
FROM ugc_asset a CROSS JOIN generate_series(0, 2) AS d WHERE a.id %% 3 = 1
"""
ENGAGEMENT_SQL = """
INSERT INTO ugc_assetengagementsnapshot (asset_id, captured_at, impressions, reach, likes,
    comments, saves, shares, raw, recorded_at)
SELECT a.id, now(), 1000 + a.id %% 5000, 800 + a.id %% 4000, a.id %% 200, a.id %% 20,
    a.id %% 7, a.id %% 5, '{}', now()
FROM ugc_asset a WHERE a.id %% 5 = 2
"""
PLAIN_SELECT = (
    "SELECT id, source_platform, quality_score, width, height, posted_at, created_at, "
    "creator_id, duplicate_of_id FROM ugc_asset WHERE processing_state = 'in_review'"
)


def library_size() -> int:
    return int(os.environ.get("BENCH_SCORING_ASSETS", "200000"))


def bench_database():
    return search_bench_database(BENCH_DB)


def build_library(n: int) -> None:
    from django.core.management import call_command

    from ugc.models import Asset

    call_command("migrate", verbosity=0)
    if Asset.objects.count() == n:
        return
    print(f"  building a scoring library of {n:,} assets in {BENCH_DB} (once) ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ugc_asset CASCADE")
        for sql in (BUILD_SQL, PERFORMANCE_SQL, ENGAGEMENT_SQL):
            cursor.execute(sql, {"n": n})
        cursor.execute("VACUUM ANALYZE")


def _plain_select() -> None:
    with connection.cursor() as cursor:
        cursor.execute(PLAIN_SELECT)
        cursor.fetchall()


@benchmark
def scoring_full_rescore() -> Result:
    from ugc.services import scoring

    n = library_size()
    with bench_database():
        build_library(n)

        def rescore() -> None:
            with connection.cursor() as cursor:
                cursor.execute("TRUNCATE ugc_assetscore")
            started = time.perf_counter()
            scoring.rescore_all()
            timings.append(time.perf_counter() - started)

        timings: list[float] = []
        ceiling = best_of(3, _plain_select)
        for _ in range(2):
            rescore()
    return Result(
        "scoring_full_rescore",
        min(timings),
        ceiling,
        target_ratio=5.0,
        note=f"{n:,} assets, every score written",
    )


# -- offline replay of orderings ----------------------------------------------------------

REPLAY_ASSETS = 300
REPLAY_EVENTS = 300_000


def _replay(policy, rates, quality, rng) -> float:
    """Replay estimate of a policy's click rate on uniformly random logged events.

    Assets arrive over the stream (index order is arrival order), so "newest" moves on;
    at each event the logging policy showed one of the assets there so far at random.
    """
    n = len(rates)
    arrivals = np.sort(rng.integers(0, int(REPLAY_EVENTS * 0.8), size=n))
    arrivals[:20] = 0
    available = np.searchsorted(arrivals, np.arange(REPLAY_EVENTS), side="right")
    logged = (rng.random(REPLAY_EVENTS) * available).astype(np.int64)
    clicks = rng.random(REPLAY_EVENTS) < rates[logged]
    clicks_seen, shows_seen = np.zeros(n), np.zeros(n)
    accepted = clicked = 0
    for t in range(REPLAY_EVENTS):
        m = available[t]
        if policy(clicks_seen[:m], shows_seen[:m], quality[:m], rng) != logged[t]:
            continue
        accepted += 1
        clicked += clicks[t]
        shows_seen[logged[t]] += 1
        clicks_seen[logged[t]] += clicks[t]
    return clicked / max(accepted, 1)


def _thompson(clicks, shows, quality, rng) -> int:
    return int(np.argmax(rng.beta(1 + clicks, 30 + shows - clicks)))


def _newest(clicks, shows, quality, rng) -> int:
    return len(clicks) - 1


def _best_quality(clicks, shows, quality, rng) -> int:
    return int(np.argmax(quality))


@benchmark
def scoring_replay_ctr() -> Result:
    rng = np.random.default_rng(2026)
    rates = rng.beta(2, 60, size=REPLAY_ASSETS)
    # Quality tells a little about clicks, as in life: a noisy correlate.
    quality = rates + rng.normal(0, rates.std() * 2, size=REPLAY_ASSETS)
    estimates = {
        name: _replay(policy, rates, quality, np.random.default_rng(7))
        for name, policy in (
            ("recommended", _thompson),
            ("newest", _newest),
            ("best_quality", _best_quality),
        )
    }
    return Result(
        "scoring_replay_ctr",
        estimates["newest"],
        estimates["recommended"],
        target_ratio=1.0,
        note=" ".join(f"{k} CTR {v:.3%}" for k, v in estimates.items()),
    )
