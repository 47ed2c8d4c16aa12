"""The parts of an asset's score, each mapped to 0..1 over whole arrays, and their sum.

A part with no data is NaN, and the score is the weighted mean of the parts that have
data (their weights spread over them), so an asset is neither buried nor lifted for
what nobody has measured yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PARTS = ("quality", "relevance", "performance", "social", "freshness")

# Median engagement rate per post (engagements / impressions), Rival IQ as cited in
# the KPIs page (docs/subsystems/kpis.md). They differ a hundredfold, so an asset is
# compared with its own platform's.
ENGAGEMENT_BENCHMARKS: dict[str, float] = {
    "facebook": 0.0006,
    "instagram": 0.0047,
    "tiktok": 0.0569,
    "x": 0.00035,
}

# A tag a person made (or an import carried) is certain; a suggestion counts by its
# confidence (the cosine similarity of asset and product embeddings).
LINE_ONLY_RELEVANCE = 0.6  # tagged with a product line but no product
# Revenue per impression against the library's: three times the average maps to 0.9.
RATE_SHARPNESS = 2.0
# The performance part takes the rates at this quantile of their posteriors: an asset
# with little traffic has a wide posterior and so a low cautious rate, and earns its
# place by evidence (gallery ordering's exploration shows it enough to gather some).
CAUTIOUS_QUANTILE = 0.2
# The library's average order value counts as this many orders in an asset's own.
ORDER_VALUE_PRIOR_ORDERS = 1.0


def relative(value: np.ndarray, reference: float, sharpness: float = 1.0) -> np.ndarray:
    """r^k / (r^k + 1) for r = value / reference: 0.5 at the reference, towards 1 far
    above it; a larger k tells apart rates that are a few times apart more clearly."""
    value = np.asarray(value, dtype=np.float64)
    if reference <= 0:
        return np.full(value.shape, 0.5)
    ratio = (value / reference) ** sharpness
    return ratio / (ratio + 1.0)


def quality(quality_score: np.ndarray) -> np.ndarray:
    """The pipeline's quality score (resolution, sharpness, exposure, contrast, colour)
    as it is: the one quality number. NaN where it was never measured."""
    return np.asarray(quality_score, dtype=np.float64)


def relevance(product_tag_strength: np.ndarray, line_tag_strength: np.ndarray) -> np.ndarray:
    """How surely the asset shows a product: its best accepted product tag, else a line."""
    product = np.nan_to_num(np.asarray(product_tag_strength, dtype=np.float64), nan=0.0)
    line = np.nan_to_num(np.asarray(line_tag_strength, dtype=np.float64), nan=0.0)
    return np.clip(np.maximum(product, LINE_ONLY_RELEVANCE * line), 0.0, 1.0)


def cautious_rate(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """The rate at CAUTIOUS_QUANTILE of its Beta posterior."""
    # Imported when first scored: scipy.stats costs 1-2 s (5-7 s on a loaded machine) at
    # every process start (web, worker, manage.py), most of which never score.
    from scipy.stats import beta as beta_distribution

    return beta_distribution.ppf(CAUTIOUS_QUANTILE, alpha, beta)


def cautious_revenue_per_impression(
    ctr: tuple[np.ndarray, np.ndarray],
    conversion: tuple[np.ndarray, np.ndarray],
    revenue: np.ndarray,
    conversions: np.ndarray,
    library_order_value: float,
) -> np.ndarray:
    """Clicks per impression x orders per click x value per order, each rate at its
    cautious quantile and the order value shrunk towards the library's."""
    revenue = np.asarray(revenue, dtype=np.float64)
    orders = np.asarray(conversions, dtype=np.float64)
    prior = ORDER_VALUE_PRIOR_ORDERS
    order_value = (revenue + prior * library_order_value) / (orders + prior)
    return cautious_rate(*ctr) * cautious_rate(*conversion) * order_value


def performance(per_impression: np.ndarray, library_per_impression: float) -> np.ndarray:
    """Cautious revenue per impression against the library's average revenue per
    impression: 0.5 for an asset proven as good as the average, towards 1 far above.
    An asset with a lucky click and no orders stays low; one that has sold a lot with
    average rates is near the middle, above every unproven one. NaN while the library
    has no revenue at all to compare with."""
    if library_per_impression <= 0:
        return np.full(np.shape(per_impression), np.nan)
    return relative(per_impression, library_per_impression, RATE_SHARPNESS)


def engagement_ratio(
    rate: np.ndarray, platforms: np.ndarray, observed_medians: Mapping[str, float]
) -> np.ndarray:
    """Rate / its platform's median (published, else this library's): 1 = median."""
    rate = np.asarray(rate, dtype=np.float64)
    ratio = np.full(rate.shape, np.nan)
    for platform in np.unique(platforms):
        median = ENGAGEMENT_BENCHMARKS.get(str(platform)) or observed_medians.get(str(platform))
        if median:
            mask = platforms == platform
            ratio[mask] = rate[mask] / median
    return ratio


def social(ratio: np.ndarray) -> np.ndarray:
    """0.5 at the platform's median, towards 1 far above; NaN without engagement data."""
    ratio = np.asarray(ratio, dtype=np.float64)
    return np.where(np.isnan(ratio), np.nan, relative(np.nan_to_num(ratio), 1.0))


def freshness(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """1 when new, halving every half-life: a bounded boost (its weight bounds it)."""
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    return np.exp2(-age / max(half_life_days, 1e-9))


def normalised_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = set(weights) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown score parts in the weights: {', '.join(sorted(unknown))}")
    if any(not math.isfinite(w) or w < 0 for w in weights.values()):
        raise ValueError("score weights must be finite and not negative")
    total = sum(weights.get(name, 0.0) for name in PARTS)
    if total <= 0:
        raise ValueError("at least one score weight must be positive")
    return {name: weights.get(name, 0.0) / total for name in PARTS}


def row_weights(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> dict:
    """Each part's weight per row, spread over the parts that have data (not NaN) in
    that row: a part nobody measured neither lifts nor buries the asset."""
    normal = normalised_weights(weights)
    shape = np.shape(parts[PARTS[0]])
    given = {
        name: np.where(np.isnan(parts[name]), 0.0, normal[name]) * np.ones(shape) for name in PARTS
    }
    total = sum(given.values())
    safe = np.where(total > 0, total, 1.0)
    return {name: given[name] / safe for name in PARTS}


def combine(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted mean of the parts that have data: the one score, 0..1."""
    spread = row_weights(parts, weights)
    total = np.zeros(np.shape(parts[PARTS[0]]))
    for name in PARTS:
        total += spread[name] * np.nan_to_num(np.asarray(parts[name], dtype=np.float64))
    return total
