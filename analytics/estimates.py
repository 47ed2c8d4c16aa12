"""Shrunk estimates for rankings: rates that a handful of impressions cannot inflate.

An asset with 1 click in 2 impressions has an observed click-through of 50 %; ranked
by that, it beats every asset with real traffic. Here each rate is the mean of its
empirical-Bayes Beta posterior (ugc.scoring.priors: the prior is fitted on all the
ranked items, and is worth as many impressions as the items' rates really vary),
with a 95 % credible interval. An item with little traffic stays near the average;
one with much traffic keeps its own rate.

Revenue per 1,000 impressions is orders per impression (a Beta posterior, as clicks)
times value per order, itself pulled toward the average order value by
VALUE_PRIOR_ORDERS orders' worth of it. Its interval is the order rate's interval
times that value: the uncertainty of how often an impression leads to an order,
which dominates at the volumes of a gallery tile.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ugc.scoring.priors import BetaPrior, fit_beta

LEVEL = 0.95
# Below this many impressions in the range an item is listed apart, not ranked.
MIN_IMPRESSIONS = 100
# How many orders' worth of the average order value an item's own value per order
# is pulled toward.
VALUE_PRIOR_ORDERS = 2.0
PER = 1000.0
# Too few items to learn how much rates vary: the prior is the pooled rate, worth this
# many successes (so worth more impressions the rarer the event).
FALLBACK_SUCCESSES = 2.0


@dataclass(frozen=True)
class Shrunk:
    """Per item: posterior means and interval bounds (arrays of the items' length)."""

    ctr: np.ndarray
    ctr_low: np.ndarray
    ctr_high: np.ndarray
    rpm: np.ndarray  # revenue per 1,000 impressions
    rpm_low: np.ndarray
    rpm_high: np.ndarray


def _prior(successes: np.ndarray, trials: np.ndarray) -> BetaPrior:
    total = trials.sum()
    pooled = successes.sum() / total if total > 0 else 0.0
    if not 0.0 < pooled < 1.0:
        pooled = min(max(pooled, 1e-6), 0.5)
    strength = FALLBACK_SUCCESSES / pooled
    return fit_beta(successes, trials, BetaPrior(pooled * strength, (1 - pooled) * strength))


def _interval(successes, trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from scipy.stats import beta as beta_dist  # imported when first needed (~1 s)

    prior = _prior(successes, trials)
    a = prior.alpha + successes
    b = prior.beta + np.maximum(trials - successes, 0.0)
    tail = (1 - LEVEL) / 2
    return a / (a + b), beta_dist.ppf(tail, a, b), beta_dist.ppf(1 - tail, a, b)


def shrink(impressions, clicks, orders, revenue) -> Shrunk:
    """The shrunk click-through and revenue per 1,000 impressions of every item.
    Orders may be fractional (an attribution model's credited conversions)."""
    n = np.asarray(impressions, dtype=np.float64)
    c = np.minimum(np.asarray(clicks, dtype=np.float64), n)
    o = np.minimum(np.asarray(orders, dtype=np.float64), n)
    r = np.asarray(revenue, dtype=np.float64)
    ctr = _interval(c, n)
    rate, low, high = _interval(o, n)
    average_value = r.sum() / o.sum() if o.sum() > 0 else 0.0
    value = (r + VALUE_PRIOR_ORDERS * average_value) / (o + VALUE_PRIOR_ORDERS)
    return Shrunk(*ctr, PER * rate * value, PER * low * value, PER * high * value)


def ranked(rows: list[dict], *, orders: str, revenue: str, limit: int) -> list[dict]:
    """The rows with at least MIN_IMPRESSIONS impressions, best shrunk revenue per 1,000
    impressions first (then shrunk CTR), each with its estimates and intervals. The
    prior is fitted on every row with impressions, ranked or not."""
    seen = [row for row in rows if (row.get("impressions") or 0) > 0]
    if not seen:
        return []
    estimates = shrink(
        [row["impressions"] for row in seen],
        [row.get("clicks") or 0 for row in seen],
        [float(row.get(orders) or 0) for row in seen],
        [float(row.get(revenue) or 0) for row in seen],
    )
    out = []
    for index, row in enumerate(seen):
        if row["impressions"] < MIN_IMPRESSIONS:
            continue
        out.append({**row, **{name: float(getattr(estimates, name)[index]) for name in FIELDS}})
    out.sort(key=lambda row: (-row["rpm"], -row["ctr"], str(row.get("key", ""))))
    return out[:limit]


FIELDS = ("ctr", "ctr_low", "ctr_high", "rpm", "rpm_low", "rpm_high")
