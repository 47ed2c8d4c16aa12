"""Fixed-horizon tests of a variant against control, at a 95% level by default.

- Rates (conversion, click-through): the two-proportion z-test, pooled standard
  error for the p-value, unpooled for the confidence interval of the difference.
- Revenue per visitor: Welch's t-test from each arm's mean, variance and size,
  with Welch-Satterthwaite degrees of freedom (revenue is skewed; with the sample
  sizes a test needs, the mean's distribution is close enough to normal).
- Sample-ratio mismatch: chi-square goodness of fit of the visitors per arm to
  the configured split; p below 0.001 means assignment or logging is broken.
- Minimum detectable effect at 80% power for the sample so far.
- Each arm's own estimate with its interval: Wilson's score interval for a rate
  (it stays inside 0-1 and is honest for a few conversions), Student's t for a mean.

These p-values hold for one look at a sample size fixed in advance; looking
every day and stopping at the first p < 0.05 inflates false positives. The API
says so next to every result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def _stats():
    """scipy.stats, imported when a test is first computed: importing it costs ~1-2 s,
    which every process start (web, worker, manage.py) would otherwise pay in
    AppConfig.ready() for statistics most processes never compute."""
    from scipy import stats

    return stats


ALPHA = 0.05
POWER = 0.8
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class Comparison:
    """Variant minus control: the difference, its confidence interval and p-value."""

    control: float
    variant: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    relative: float | None  # difference / control, None when control is 0

    def as_dict(self) -> dict:
        return {name: _finite(getattr(self, name)) for name in self.__dataclass_fields__}


def _finite(value):
    return None if value is None or not math.isfinite(value) else value


def _comparison(control, variant, se_ci, p_value, critical) -> Comparison:
    diff = variant - control
    return Comparison(
        control=control,
        variant=variant,
        difference=diff,
        ci_low=diff - critical * se_ci,
        ci_high=diff + critical * se_ci,
        p_value=p_value,
        relative=diff / control if control else None,
    )


def two_proportion_ztest(
    x_control: int, n_control: int, x_variant: int, n_variant: int, alpha: float = ALPHA
) -> Comparison:
    if min(n_control, n_variant) <= 0:
        raise ValueError("each arm needs at least one visitor")
    p1, p2 = x_control / n_control, x_variant / n_variant
    pooled = (x_control + x_variant) / (n_control + n_variant)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_control + 1 / n_variant))
    se = math.sqrt(p1 * (1 - p1) / n_control + p2 * (1 - p2) / n_variant)
    p_value = 2 * _stats().norm.sf(abs(p2 - p1) / se_pooled) if se_pooled > 0 else 1.0
    return _comparison(p1, p2, se, float(p_value), _stats().norm.ppf(1 - alpha / 2))


def welch_ttest(
    mean_control: float,
    var_control: float,
    n_control: int,
    mean_variant: float,
    var_variant: float,
    n_variant: int,
    alpha: float = ALPHA,
) -> Comparison:
    """Variances are sample variances (n - 1 in the denominator)."""
    if min(n_control, n_variant) < 2:
        raise ValueError("each arm needs at least two visitors")
    a, b = var_control / n_control, var_variant / n_variant
    se = math.sqrt(a + b)
    if se == 0:
        return _comparison(mean_control, mean_variant, 0.0, 1.0, 0.0)
    df = (a + b) ** 2 / (a**2 / (n_control - 1) + b**2 / (n_variant - 1))
    t = (mean_variant - mean_control) / se
    p_value = 2 * _stats().t.sf(abs(t), df)
    critical = _stats().t.ppf(1 - alpha / 2, df)
    return _comparison(mean_control, mean_variant, se, float(p_value), critical)


def proportion_interval(successes: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Wilson's score interval of the rate successes / n."""
    if n <= 0:
        raise ValueError("an arm needs at least one visitor")
    z = _stats().norm.ppf(1 - alpha / 2)
    rate = successes / n
    shrink = 1 + z**2 / n
    centre = (rate + z**2 / (2 * n)) / shrink
    half = z * math.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2)) / shrink
    # At 0 or n successes the bound is the rate itself; rounding must not leave it outside.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    return low, 1.0 if successes == n else min(1.0, centre + half)


def mean_interval(
    mean: float, variance: float, n: int, alpha: float = ALPHA
) -> tuple[float, float]:
    """Student's t interval of a mean from its sample variance (n - 1 in the denominator)."""
    if n < 2:
        raise ValueError("an arm needs at least two visitors")
    half = _stats().t.ppf(1 - alpha / 2, n - 1) * math.sqrt(variance / n)
    return mean - half, mean + half


def sample_ratio_mismatch(counts: Sequence[int], weights: Sequence[float]) -> tuple[float, float]:
    """(chi-square, p-value) of the visitors per arm against the configured split."""
    total = sum(counts)
    if total == 0:
        return 0.0, 1.0
    share = sum(weights)
    expected = [total * w / share for w in weights]
    chi2 = sum((c - e) ** 2 / e for c, e in zip(counts, expected, strict=True))
    return chi2, float(_stats().chi2.sf(chi2, len(counts) - 1))


def _z_sum(alpha: float, power: float) -> float:
    return _stats().norm.ppf(1 - alpha / 2) + _stats().norm.ppf(power)


def mde_proportions(
    base_rate: float, n_control: int, n_variant: int, alpha: float = ALPHA, power: float = POWER
) -> float | None:
    """Smallest absolute difference in rate this sample detects with `power`."""
    if min(n_control, n_variant) <= 0:
        return None
    spread = base_rate * (1 - base_rate) * (1 / n_control + 1 / n_variant)
    return _z_sum(alpha, power) * math.sqrt(spread)


def mde_means(
    std: float, n_control: int, n_variant: int, alpha: float = ALPHA, power: float = POWER
) -> float | None:
    """Smallest absolute difference in means this sample detects with `power`."""
    if min(n_control, n_variant) <= 0:
        return None
    return _z_sum(alpha, power) * std * math.sqrt(1 / n_control + 1 / n_variant)
