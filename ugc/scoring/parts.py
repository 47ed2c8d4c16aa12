"""The parts of an asset's score, each mapped to 0..1 over whole arrays, and their sum.

A part with no data is neutral (0.5 where "average" is meaningful), so an asset is
neither buried nor lifted for what nobody has measured yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PARTS = ("quality", "relevance", "performance", "social", "freshness", "diversity")

# Median engagement rate per post (engagements / impressions), Rival IQ as cited in
# KPIS.md. They differ a hundredfold, so an asset is compared with its own platform's.
ENGAGEMENT_BENCHMARKS: dict[str, float] = {
    "facebook": 0.0006,
    "instagram": 0.0047,
    "tiktok": 0.0569,
    "x": 0.00035,
}

# Grid and carousel tiles are square to 4:5 portrait; further from that, more is cropped.
ASPECT_RANGE = (0.8, 1.0)
# A tag a person made (or an import carried) is certain; a suggestion counts by its
# confidence (the cosine similarity of asset and product embeddings).
LINE_ONLY_RELEVANCE = 0.6  # tagged with a product line but no product
NEAR_DUPLICATE_DIVERSITY = 0.5
# Rates against the library's: three times the average maps to 0.9, a third to 0.1.
RATE_SHARPNESS = 2.0


def relative(value: np.ndarray, reference: float, sharpness: float = 1.0) -> np.ndarray:
    """r^k / (r^k + 1) for r = value / reference: 0.5 at the reference, towards 1 far
    above it; a larger k tells apart rates that are a few times apart more clearly."""
    value = np.asarray(value, dtype=np.float64)
    if reference <= 0:
        return np.full(value.shape, 0.5)
    ratio = (value / reference) ** sharpness
    return ratio / (ratio + 1.0)


def aspect_fit(width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """1 inside the range of tile shapes, falling off with the log of the distance."""
    width = np.asarray(width, dtype=np.float64)
    height = np.asarray(height, dtype=np.float64)
    known = (width > 0) & (height > 0)
    ratio = np.where(known, width / np.where(known, height, 1.0), 1.0)
    low, high = ASPECT_RANGE
    distance = np.where(
        ratio < low, np.log(low / ratio), np.where(ratio > high, np.log(ratio / high), 0.0)
    )
    return np.where(known, np.exp(-2.0 * distance), 0.5)


def quality(quality_score: np.ndarray, width: np.ndarray, height: np.ndarray) -> np.ndarray:
    """The pipeline's measures (resolution, sharpness, exposure, contrast, colour), 85 %,
    and how well the shape fits a gallery tile, 15 %. Unmeasured: neutral."""
    measured = np.nan_to_num(np.asarray(quality_score, dtype=np.float64), nan=0.5)
    return 0.85 * measured + 0.15 * aspect_fit(width, height)


def relevance(product_tag_strength: np.ndarray, line_tag_strength: np.ndarray) -> np.ndarray:
    """How surely the asset shows a product: its best accepted product tag, else a line."""
    product = np.nan_to_num(np.asarray(product_tag_strength, dtype=np.float64), nan=0.0)
    line = np.nan_to_num(np.asarray(line_tag_strength, dtype=np.float64), nan=0.0)
    return np.clip(np.maximum(product, LINE_ONLY_RELEVANCE * line), 0.0, 1.0)


def performance(
    ctr_mean: np.ndarray,
    conversion_mean: np.ndarray,
    revenue: np.ndarray,
    impressions: np.ndarray,
    library: Mapping[str, float],
) -> np.ndarray:
    """Posterior click-through (50 %) and conversion per click (30 %) against the
    library's averages, and attributed revenue per impression (20 %), shrunk towards
    nothing for assets with few impressions."""
    ctr_part = relative(ctr_mean, library["ctr"], RATE_SHARPNESS)
    conversion_part = relative(conversion_mean, library["conversion"], RATE_SHARPNESS)
    impressions = np.asarray(impressions, dtype=np.float64)
    per_impression = np.asarray(revenue, dtype=np.float64) / (impressions + library["strength"])
    revenue_part = relative(per_impression, library["revenue_per_impression"], RATE_SHARPNESS)
    return 0.5 * ctr_part + 0.3 * conversion_part + 0.2 * revenue_part


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
    """0.5 at the platform's median, towards 1 far above; neutral without data."""
    ratio = np.asarray(ratio, dtype=np.float64)
    return np.where(np.isnan(ratio), 0.5, relative(np.nan_to_num(ratio), 1.0))


def freshness(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """1 when new, halving every half-life: a bounded boost (its weight bounds it)."""
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    return np.exp2(-age / max(half_life_days, 1e-9))


def diversity(is_near_duplicate: np.ndarray) -> np.ndarray:
    """A near-duplicate of an older asset adds less; ordering spreads the rest."""
    return np.where(np.asarray(is_near_duplicate, dtype=bool), NEAR_DUPLICATE_DIVERSITY, 1.0)


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


def combine(parts: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted mean of the parts: the one score, 0..1."""
    normal = normalised_weights(weights)
    total = np.zeros_like(np.asarray(parts[PARTS[0]], dtype=np.float64))
    for name in PARTS:
        total += normal[name] * parts[name]
    return total
