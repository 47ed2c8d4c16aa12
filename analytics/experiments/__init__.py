"""A/B test statistics and variant assignment: pure, no Django (scipy for distributions)."""

from analytics.experiments.assignment import assign_variant, bucket
from analytics.experiments.stats import (
    Comparison,
    mde_means,
    mde_proportions,
    mean_interval,
    proportion_interval,
    sample_ratio_mismatch,
    two_proportion_ztest,
    welch_ttest,
)

__all__ = [
    "Comparison",
    "assign_variant",
    "bucket",
    "mde_means",
    "mde_proportions",
    "mean_interval",
    "proportion_interval",
    "sample_ratio_mismatch",
    "two_proportion_ztest",
    "welch_ttest",
]
