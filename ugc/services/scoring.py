"""Rescoring assets in bulk: read columns once, compute with NumPy, write back once.

A row-by-row rescoring of a million assets would take an hour; this takes seconds
(bench/scoring.py): one binary COPY out of a single set-based query (the asset with
its summed performance, latest engagement snapshot and best tags), the parts and the
score as array arithmetic (ugc/scoring/), one binary COPY into a temporary table and
one INSERT ... ON CONFLICT that touches only rows whose score changed. Running it
twice with the same data gives the same rows (freshness is measured from the start
of the run's day, and priors are the last full run's).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from ugc.models import Platform, ScoringRun
from ugc.scoring import MODEL_VERSION, parts, priors

logger = logging.getLogger(__name__)

PLATFORMS = [value for value, _ in Platform.choices]
SCORING_LOCK = 0x5C0E  # advisory lock key of score writes
DEFAULT_WEIGHTS = {
    "quality": 0.25,
    "relevance": 0.15,
    "performance": 0.45,
    "social": 0.10,
    "freshness": 0.05,
}

# Every column is float8 so the binary COPY is one fixed-size record per row that
# NumPy reads in place; NaN stands for "no data".
COLUMNS = [
    "id",
    "platform",
    "line",
    "quality_score",
    "age_days",
    "impressions",
    "clicks",
    "conversions",
    "revenue",
    "eng_engagements",
    "eng_impressions",
    "eng_reach",
    "product_tag",
    "line_tag",
]

LIBRARY_QUERY = """
WITH perf_by_source AS (
    SELECT asset_id, source, sum(gallery_impressions) AS imp, sum(clicks) AS clk,
           sum(conversions) AS conv, sum(revenue) AS rev
    FROM ugc_assetperformance {perf_filter} GROUP BY asset_id, source
), perf AS (
    -- Sources are different measurements of the same traffic (a rollup, an
    -- attribution model), never parts to add up: take the largest of each figure.
    SELECT asset_id, max(imp) AS imp, max(clk) AS clk, max(conv) AS conv, max(rev) AS rev
    FROM perf_by_source GROUP BY asset_id
), eng AS (
    SELECT DISTINCT ON (asset_id) asset_id, likes + comments + saves + shares AS engagements,
           impressions, reach
    FROM ugc_assetengagementsnapshot {eng_filter} ORDER BY asset_id, captured_at DESC
), ptag AS (
    SELECT t.asset_id,
           max(CASE WHEN t.source = 'suggested' THEN coalesce(t.confidence, 0) ELSE 1 END) AS s,
           min(p.product_line_id) AS line
    FROM ugc_producttag t JOIN commerce_product p ON p.id = t.product_id
    WHERE t.accepted {ptag_filter} GROUP BY t.asset_id
), ltag AS (
    SELECT asset_id,
           max(CASE WHEN source = 'suggested' THEN coalesce(confidence, 0) ELSE 1 END) AS s,
           min(product_line_id) AS line
    FROM ugc_productlinetag WHERE accepted {ltag_filter} GROUP BY asset_id
)
SELECT a.id::float8,
       coalesce(array_position(%(platforms)s::text[], a.source_platform::text), 0)::float8,
       coalesce(ltag.line, ptag.line, -1)::float8,
       coalesce(a.quality_score::float8, 'NaN'),
       (extract(epoch FROM %(as_of)s - coalesce(a.posted_at, a.created_at)) / 86400)::float8,
       coalesce(perf.imp, 0)::float8, coalesce(perf.clk, 0)::float8,
       coalesce(perf.conv, 0)::float8, coalesce(perf.rev, 0)::float8,
       coalesce(eng.engagements::float8, posted.engagements, 'NaN'),
       coalesce(eng.impressions::float8, posted.views, 'NaN'),
       coalesce(eng.reach::float8, cr.follower_count::float8, 'NaN'),
       coalesce(ptag.s::float8, 'NaN'), coalesce(ltag.s::float8, 'NaN')
FROM ugc_asset a
LEFT JOIN perf ON perf.asset_id = a.id
LEFT JOIN eng ON eng.asset_id = a.id
LEFT JOIN ptag ON ptag.asset_id = a.id
LEFT JOIN ltag ON ltag.asset_id = a.id
LEFT JOIN ugc_creator cr ON cr.id = a.creator_id
-- Without an engagement export, the counts the import carried with the post (likes,
-- comments, shares over views, else over the creator's followers).
LEFT JOIN LATERAL (
    SELECT sum(CASE WHEN jsonb_typeof(a.platform_metrics -> k) = 'number'
                    THEN (a.platform_metrics ->> k)::float8 END) AS engagements,
           CASE WHEN jsonb_typeof(a.platform_metrics -> 'views') = 'number'
                THEN nullif((a.platform_metrics ->> 'views')::float8, 0) END AS views
    FROM unnest(ARRAY['likes', 'comments', 'shares', 'saves']) AS k
) posted ON true
WHERE a.processing_state = 'in_review' {asset_filter}
"""

OUT_COLUMNS = (
    ("asset_id", "int8"),
    ("score", "float8"),
    ("quality", "float8"),
    ("relevance", "float8"),
    ("performance", "float8"),
    ("social", "float8"),
    ("freshness", "float8"),
    ("impressions", "int8"),
    ("clicks", "int8"),
    ("ctr_alpha", "float8"),
    ("ctr_beta", "float8"),
    ("conversion_rate", "float8"),
    ("revenue", "float8"),
    ("engagement_rate", "float8"),
)
PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PG_TRAILER = (-1).to_bytes(2, "big", signed=True)


# -- settings ---------------------------------------------------------------------------


def weights() -> dict[str, float]:
    return parts.normalised_weights(getattr(settings, "SCORING_WEIGHTS", DEFAULT_WEIGHTS))


def asset_weights(score) -> dict[str, float]:
    """The weight each part has in one stored score: the setting's, spread over the
    parts the asset has data for (a part stored as NULL weighs nothing)."""
    values = {
        name: np.array([np.nan if v is None else v])
        for name in parts.PARTS
        for v in [getattr(score, name)]
    }
    return {name: float(w[0]) for name, w in parts.row_weights(values, weights()).items()}


def watermark_overlap() -> dt.timedelta:
    """How far before the last run's start an incremental run looks, so that a row
    committed late with an earlier timestamp is still seen (rescoring twice is harmless).
    It should outlast the longest transaction that writes performance."""
    return dt.timedelta(seconds=float(getattr(settings, "SCORING_WATERMARK_OVERLAP_SECONDS", 300)))


def half_life_days() -> float:
    return float(getattr(settings, "SCORING_FRESHNESS_HALF_LIFE_DAYS", 30.0))


# -- reading ----------------------------------------------------------------------------


def _record_dtype(names, kinds=None) -> np.dtype:
    fields = [("fields", ">i2")]
    for i, name in enumerate(names):
        kind = ">i8" if kinds and kinds[i] == "int8" else ">f8"
        fields += [(f"len_{name}", ">i4"), (name, kind)]
    return np.dtype(fields)


def read_library(asset_ids: list[int] | None, as_of: dt.datetime) -> dict[str, np.ndarray]:
    """Every processed asset (or those given) as arrays, from one binary COPY."""
    query = _library_query(asset_ids is not None)
    params = {"platforms": PLATFORMS, "as_of": as_of, "ids": asset_ids or []}
    buffer = bytearray()
    with connection.cursor() as cursor:
        sql = cursor.cursor.mogrify(query, params)
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
            for block in copy:
                buffer += block
    records = np.frombuffer(
        bytes(buffer[len(PG_HEADER) : -len(PG_TRAILER)]), _record_dtype(COLUMNS)
    )
    return {name: records[name].astype(np.float64) for name in COLUMNS}


def _library_query(subset: bool) -> str:
    ids = "= ANY(%(ids)s::bigint[])"
    return LIBRARY_QUERY.format(
        perf_filter=f"WHERE asset_id {ids}" if subset else "",
        eng_filter=f"WHERE asset_id {ids}" if subset else "",
        ptag_filter=f"AND t.asset_id {ids}" if subset else "",
        ltag_filter=f"AND asset_id {ids}" if subset else "",
        asset_filter=f"AND a.id {ids}" if subset else "",
    )


# -- the numbers ------------------------------------------------------------------------


def group_codes(columns: dict[str, np.ndarray]) -> np.ndarray:
    """Platform x product line as one integer per asset (the prior's group)."""
    return columns["platform"].astype(np.int64) * 10_000_000_000 + columns["line"].astype(np.int64)


def engagement_rate(columns: dict[str, np.ndarray]) -> np.ndarray:
    """Engagements / impressions, or / reach where the platform gave no impressions."""
    engagements = columns["eng_engagements"]
    impressions, reach = columns["eng_impressions"], columns["eng_reach"]
    base = np.where(impressions > 0, impressions, np.where(reach > 0, reach, np.nan))
    return engagements / base


def fit_priors(columns: dict[str, np.ndarray]) -> dict:
    """Priors per platform x product line, the library's averages and the observed
    engagement medians of platforms without a published benchmark: JSON-ready."""
    codes = group_codes(columns)
    ctr = priors.fit_group_priors(codes, columns["clicks"], columns["impressions"])
    clicks = columns["clicks"]
    conversions = np.minimum(columns["conversions"], clicks)
    conversion = priors.fit_group_priors(codes, conversions, clicks)
    impressions = float(columns["impressions"].sum())
    orders = float(conversions.sum())
    return {
        "ctr": {str(k): v.as_list() for k, v in ctr.items()},
        "conversion": {str(k): v.as_list() for k, v in conversion.items()},
        "revenue_per_impression": float(columns["revenue"].sum()) / impressions
        if impressions
        else 0.0,
        "order_value": float(columns["revenue"].sum()) / orders if orders else 0.0,
        "engagement_medians": _observed_medians(columns),
    }


def _observed_medians(columns: dict[str, np.ndarray]) -> dict[str, float]:
    rate = engagement_rate(columns)
    medians = {}
    for code in np.unique(columns["platform"]):
        name = PLATFORMS[int(code) - 1] if code >= 1 else "other"
        seen = rate[(columns["platform"] == code) & np.isfinite(rate)]
        if len(seen) and name not in parts.ENGAGEMENT_BENCHMARKS:
            medians[name] = float(np.median(seen))
    return medians


def library_order_value(fitted: dict, ctr: float, conversion: float) -> float:
    """The library's revenue per order; from its revenue per impression and average
    rates for priors stored before the order value was."""
    if "order_value" in fitted:
        return fitted["order_value"]
    return fitted["revenue_per_impression"] / max(ctr * conversion, 1e-12)


def _priors_from_json(stored: dict) -> dict[int, priors.BetaPrior]:
    return {int(k): priors.BetaPrior(*v) for k, v in stored.items()}


@dataclass
class Scored:
    ids: np.ndarray
    columns: dict[str, np.ndarray]


def compute(columns: dict[str, np.ndarray], fitted: dict) -> Scored:
    """Every part and the score, for every row, as arrays."""
    codes = group_codes(columns)
    ctr_priors = _priors_from_json(fitted["ctr"])
    conversion_priors = _priors_from_json(fitted["conversion"])
    alpha, beta = priors.posterior(
        *priors.prior_arrays(codes, ctr_priors), columns["clicks"], columns["impressions"]
    )
    conversions = np.minimum(columns["conversions"], columns["clicks"])
    c_alpha, c_beta = priors.posterior(
        *priors.prior_arrays(codes, conversion_priors), conversions, columns["clicks"]
    )
    library_ctr = ctr_priors.get(-1, priors.FALLBACK)
    library_conversion = conversion_priors.get(-1, priors.FALLBACK)
    per_impression = parts.cautious_revenue_per_impression(
        (alpha, beta),
        (c_alpha, c_beta),
        columns["revenue"],
        conversions,
        library_order_value(fitted, library_ctr.mean, library_conversion.mean),
    )
    rate = engagement_rate(columns)
    platform_names = np.array(["other", *PLATFORMS])[columns["platform"].astype(np.int64)]
    ratio = parts.engagement_ratio(rate, platform_names, fitted["engagement_medians"])
    conversion_mean = c_alpha / (c_alpha + c_beta)
    values = {
        "quality": parts.quality(columns["quality_score"]),
        "relevance": parts.relevance(columns["product_tag"], columns["line_tag"]),
        "performance": parts.performance(per_impression, fitted["revenue_per_impression"]),
        "social": parts.social(ratio),
        "freshness": parts.freshness(columns["age_days"], half_life_days()),
    }
    values["score"] = parts.combine(values, weights())
    values.update(
        impressions=columns["impressions"],
        clicks=columns["clicks"],
        ctr_alpha=alpha,
        ctr_beta=beta,
        conversion_rate=conversion_mean,
        revenue=columns["revenue"],
        engagement_rate=rate,
    )
    return Scored(columns["id"].astype(np.int64), values)


# -- writing ----------------------------------------------------------------------------

# A part with no data arrives as NaN and is stored as NULL.
UPSERT = """
INSERT INTO ugc_assetscore (asset_id, score, quality, relevance, performance, social,
    freshness, impressions, clicks, ctr_alpha, ctr_beta, conversion_rate,
    revenue, engagement_rate, model_version, computed_at)
SELECT b.asset_id, b.score, NULLIF(b.quality, 'NaN'), b.relevance,
    NULLIF(b.performance, 'NaN'), NULLIF(b.social, 'NaN'), b.freshness,
    b.impressions, b.clicks, b.ctr_alpha, b.ctr_beta, b.conversion_rate,
    b.revenue, NULLIF(b.engagement_rate, 'NaN'), %(version)s, %(at)s
FROM scoring_batch b JOIN ugc_asset a ON a.id = b.asset_id
ON CONFLICT (asset_id) DO UPDATE SET
    score = EXCLUDED.score, quality = EXCLUDED.quality, relevance = EXCLUDED.relevance,
    performance = EXCLUDED.performance, social = EXCLUDED.social,
    freshness = EXCLUDED.freshness,
    impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks,
    ctr_alpha = EXCLUDED.ctr_alpha, ctr_beta = EXCLUDED.ctr_beta,
    conversion_rate = EXCLUDED.conversion_rate, revenue = EXCLUDED.revenue,
    engagement_rate = EXCLUDED.engagement_rate, model_version = EXCLUDED.model_version,
    computed_at = EXCLUDED.computed_at
WHERE (ugc_assetscore.score, ugc_assetscore.quality, ugc_assetscore.relevance,
       ugc_assetscore.performance, ugc_assetscore.social, ugc_assetscore.freshness,
       ugc_assetscore.impressions, ugc_assetscore.clicks,
       ugc_assetscore.ctr_alpha, ugc_assetscore.ctr_beta, ugc_assetscore.conversion_rate,
       ugc_assetscore.revenue, ugc_assetscore.engagement_rate, ugc_assetscore.model_version)
    IS DISTINCT FROM
      (EXCLUDED.score, EXCLUDED.quality, EXCLUDED.relevance, EXCLUDED.performance,
       EXCLUDED.social, EXCLUDED.freshness, EXCLUDED.impressions,
       EXCLUDED.clicks, EXCLUDED.ctr_alpha, EXCLUDED.ctr_beta, EXCLUDED.conversion_rate,
       EXCLUDED.revenue, EXCLUDED.engagement_rate, EXCLUDED.model_version)
"""


def binary_records(scored: Scored) -> bytes:
    """The rows in PostgreSQL's binary COPY format, built as one NumPy record array."""
    names = [name for name, _ in OUT_COLUMNS]
    kinds = [kind for _, kind in OUT_COLUMNS]
    records = np.zeros(len(scored.ids), dtype=_record_dtype(names, kinds))
    records["fields"] = len(names)
    for name, kind in OUT_COLUMNS:
        records[f"len_{name}"] = 8
        value = scored.ids if name == "asset_id" else scored.columns[name]
        # Rounded so that a rerun on the same data compares equal to the stored row.
        records[name] = value.astype(np.int64) if kind == "int8" else np.round(value, 12)
    return PG_HEADER + records.tobytes() + PG_TRAILER


def write_scores(scored: Scored, computed_at: dt.datetime) -> int:
    """Upsert the scores; returns how many rows changed."""
    columns = ", ".join(f"{name} {kind}" for name, kind in OUT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS scoring_batch ({columns})")
        cursor.execute("TRUNCATE scoring_batch")
        with cursor.cursor.copy("COPY scoring_batch FROM STDIN (FORMAT binary)") as copy:
            copy.write(binary_records(scored))
        cursor.execute(UPSERT, {"version": MODEL_VERSION, "at": computed_at})
        changed = cursor.rowcount
        cursor.execute("TRUNCATE scoring_batch")
    return changed


# -- runs -------------------------------------------------------------------------------


@dataclass
class RunSummary:
    kind: str
    assets: int
    changed: int


def scoring_day(now: dt.datetime) -> dt.datetime:
    """Freshness is measured from the start of the run's day (UTC), so two runs on the
    same day give the same scores."""
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def rescore_all(now: dt.datetime | None = None) -> RunSummary:
    """Fit the priors on the whole library and rescore every processed asset."""
    started = now or timezone.now()
    columns = read_library(None, scoring_day(started))
    fitted = fit_priors(columns)
    return _finish(ScoringRun.Kind.FULL, started, columns, fitted)


def rescore_assets(asset_ids: list[int], now: dt.datetime | None = None) -> RunSummary:
    """Rescore the given assets with the last full run's priors (fitted now if none)."""
    started = now or timezone.now()
    fitted = latest_priors()
    if fitted is None:
        return rescore_all(started)
    columns = read_library(sorted(set(asset_ids)), scoring_day(started))
    return _finish(ScoringRun.Kind.INCREMENTAL, started, columns, fitted)


def rescore_new_data(now: dt.datetime | None = None) -> RunSummary:
    """Rescore the assets with performance or engagement recorded since the last run,
    and processed assets that have no score yet."""
    from ugc.selectors import assets_with_new_data

    started = now or timezone.now()
    last = ScoringRun.objects.order_by("-finished_at").first()
    since = last.data_until - watermark_overlap() if last else None
    return rescore_assets(list(assets_with_new_data(since)), started)


def latest_priors() -> dict | None:
    full = ScoringRun.objects.filter(kind=ScoringRun.Kind.FULL).order_by("-finished_at").first()
    return full.priors if full else None


def _finish(kind: str, started, columns, fitted) -> RunSummary:
    scored = compute(columns, fitted)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Runs that overlap (a beat tick during the nightly run) write one after the
            # other; each writes whole, consistent results.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCORING_LOCK])
        changed = write_scores(scored, timezone.now())
        ScoringRun.objects.create(
            kind=kind,
            data_until=started,
            priors=fitted if kind == ScoringRun.Kind.FULL else {},
            assets=len(scored.ids),
            model_version=MODEL_VERSION,
            started_at=started,
            finished_at=timezone.now(),
        )
    logger.info("%s rescoring: %d assets, %d changed", kind, len(scored.ids), changed)
    return RunSummary(kind, len(scored.ids), changed)


# -- recommended gallery orders ---------------------------------------------------------

# How many of a gallery's best-scored candidates the recommended order considers.
MAX_CANDIDATES = 2000


def exploration_share(gallery) -> float:
    from ugc.models import GalleryRecommendation

    stored = GalleryRecommendation.objects.filter(gallery=gallery).first()
    if stored is not None and stored.exploration_share is not None:
        return stored.exploration_share
    return float(getattr(settings, "SCORING_EXPLORATION_SHARE", 0.2))


def current_bucket(now: dt.datetime) -> int:
    from ugc.scoring.ordering import time_bucket

    period = int(getattr(settings, "SCORING_ORDER_PERIOD_SECONDS", 900))
    return time_bucket(now.timestamp(), period)


def recommended_gallery_order(gallery, bucket: int) -> list[int]:
    """The non-pinned candidates of a gallery in recommended order for a time bucket."""
    from ugc.scoring.ordering import Candidates, generator, recommended_order
    from ugc.selectors import recommendation_candidates

    rows = list(recommendation_candidates(gallery, MAX_CANDIDATES))
    if not rows:
        return []
    fallback = priors.FALLBACK
    table = np.array(
        [
            (
                pk,
                score,
                fallback.alpha if alpha is None else alpha,
                fallback.beta if beta is None else beta,
                -1 if creator is None else creator,
                pk if duplicate_of is None else duplicate_of,
            )
            for pk, score, alpha, beta, creator, duplicate_of in rows
        ],
        dtype=np.float64,
    )
    candidates = Candidates(
        ids=table[:, 0].astype(np.int64),
        scores=table[:, 1],
        ctr_alpha=table[:, 2],
        ctr_beta=table[:, 3],
        creators=table[:, 4].astype(np.int64),
        duplicate_groups=table[:, 5].astype(np.int64),
    )
    seed = int(getattr(settings, "SCORING_SEED", 0))
    rng = generator(gallery.pk, bucket, seed)
    return recommended_order(
        candidates, size=gallery.size, share=exploration_share(gallery), rng=rng
    )


def refresh_gallery_order(gallery_id: int, now: dt.datetime | None = None) -> bool:
    """Store a recommended gallery's order for the current bucket; True when it changed
    (and then its cached public responses are dropped, after commit)."""
    from ugc.delivery import cache as gallery_cache
    from ugc.models import Gallery, GalleryOrdering, GalleryRecommendation

    now = now or timezone.now()
    gallery = Gallery.objects.filter(pk=gallery_id, ordering=GalleryOrdering.RECOMMENDED).first()
    if gallery is None:
        return False
    bucket = current_bucket(now)
    order = recommended_gallery_order(gallery, bucket)
    with transaction.atomic():
        stored, _ = GalleryRecommendation.objects.select_for_update().get_or_create(gallery=gallery)
        if stored.asset_ids == order and stored.bucket == bucket:
            return False
        changed = stored.asset_ids != order
        stored.asset_ids, stored.bucket, stored.computed_at = order, bucket, now
        stored.save()
        if changed:
            gallery_cache.on_commit(gallery_cache.bump_gallery, gallery.pk)
    return changed


def refresh_recommended_galleries(now: dt.datetime | None = None) -> int:
    """Every recommended gallery's order for the current bucket; how many changed."""
    from ugc.models import Gallery, GalleryOrdering

    ids = Gallery.objects.filter(ordering=GalleryOrdering.RECOMMENDED).values_list("pk", flat=True)
    return sum(refresh_gallery_order(pk, now) for pk in ids)
