"""Shrunk ranking estimates and an experiment's verdict in words (pure functions)."""

from __future__ import annotations

import numpy as np

from analytics.estimates import MIN_IMPRESSIONS, ranked, shrink
from analytics.experiments.verdict import comparison_words, holdout_lift, holdout_words, verdict


def test_a_tiny_sample_is_pulled_to_the_average_and_a_large_one_keeps_its_rate():
    impressions = [2, 10_000, 8_000, 9_000, 7_000, 6_000]
    clicks = [1, 300, 240, 270, 210, 180]  # 50 % on 2 impressions; 3 % elsewhere
    estimates = shrink(impressions, clicks, [0] * 6, [0] * 6)
    assert estimates.ctr[0] < 0.06  # not 50 %
    assert abs(estimates.ctr[1] - 0.03) < 0.001
    assert np.all(estimates.ctr_low <= estimates.ctr) and np.all(
        estimates.ctr <= estimates.ctr_high
    )
    assert (
        estimates.ctr_high[0] - estimates.ctr_low[0] > estimates.ctr_high[1] - estimates.ctr_low[1]
    )


def test_ranked_leaves_out_thin_items_and_orders_by_shrunk_revenue_per_impression():
    rows = [
        {"key": "lucky", "impressions": 5, "clicks": 1, "orders": 1, "revenue": 900},
        {"key": "good", "impressions": 4000, "clicks": 120, "orders": 8, "revenue": 400},
        {"key": "fair", "impressions": 4000, "clicks": 100, "orders": 4, "revenue": 200},
    ]
    out = ranked(rows, orders="orders", revenue="revenue", limit=10)
    assert [row["key"] for row in out] == ["good", "fair"]
    assert all(row["impressions"] >= MIN_IMPRESSIONS for row in out)
    assert out[0]["rpm_low"] < out[0]["rpm"] < out[0]["rpm_high"]
    assert ranked([], orders="orders", revenue="revenue", limit=10) == []


def results(metric="click_through", low=0.004, high=0.02, diff=0.012, srm_p=0.6, arms=None):
    return {
        "metric": metric,
        "variants": arms or [{"name": "control", "gallery": "home"}, {"name": "b", "gallery": "b"}],
        "comparisons": [
            {
                "variant": "b",
                "control": "control",
                "result": {"difference": diff, "ci_low": low, "ci_high": high},
            },
        ],
        "sample_ratio_mismatch": {"p_value": srm_p, "mismatch": srm_p < 0.001},
    }


def test_a_clear_rise_is_said_with_its_interval_in_points():
    words = verdict(results(), running=False)
    assert words == (
        "Variant b raised click-through by 1.2 points against control "
        "(95 % CI 0.4 to 2.0 points). The sample ratio is as planned."
    )


def test_an_interval_holding_zero_is_no_clear_difference_and_running_warns_of_peeking():
    words = verdict(results(low=-0.003, high=0.009, diff=0.003), running=True)
    assert words.startswith("Running: read this once at the planned end")
    assert "No clear difference between b and control in click-through" in words


def test_a_broken_split_is_said_first():
    words = verdict(results(srm_p=0.00001), running=False)
    assert words.startswith("The sample ratio is off plan (p = 1e-05)")


def test_revenue_is_said_in_money_and_no_visitors_is_not_a_result():
    words = comparison_words(
        "revenue_per_visitor",
        {
            "variant": "b",
            "control": "a",
            "result": {"difference": -0.5, "ci_low": -0.9, "ci_high": -0.1},
        },
        "EUR",
    )
    assert words.startswith("Variant b lowered revenue per visitor by EUR 0.50 per visitor")
    empty = {"variant": "b", "control": "a", "result": None}
    assert (
        comparison_words("conversion_rate", empty) == "Not enough visitors yet to compare b with a."
    )


def test_the_holdout_lift_is_the_gallery_minus_the_holdout_whichever_is_control():
    arms = [{"name": "control", "gallery": "home"}, {"name": "holdout", "gallery": None}]
    found = results("conversion_rate", low=-0.03, high=-0.01, diff=-0.02, arms=arms)
    found["comparisons"][0]["variant"] = "holdout"
    lift = holdout_lift(found)
    assert lift["difference"] == 0.02 and (lift["ci_low"], lift["ci_high"]) == (0.01, 0.03)
    assert holdout_words(found) == (
        "showing the gallery changed conversion by +2.0 points against the holdout "
        "(95 % CI 1.0 to 3.0)."
    )
    assert holdout_lift(results()) is None  # no holdout arm
