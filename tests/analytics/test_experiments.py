"""Experiments: assignment, the statistics against scipy, SRM, and results from events."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from scipy import stats

from analytics.experiments import (
    assign_variant,
    mde_proportions,
    mean_interval,
    proportion_interval,
    sample_ratio_mismatch,
    two_proportion_ztest,
    welch_ttest,
)
from analytics.services.partitions import ensure_event_partitions
from tests.analytics.kpi_data import analyst
from tests.analytics.test_journeys import interact, order
from tests.commerce.factories import ShopFactory
from tests.ugc.factories import GalleryFactory, SiteFactory


def test_assignment_is_deterministic_and_follows_the_split():
    weights = [0.5, 0.3, 0.2]
    picks = [assign_variant(7, f"v{i}", weights) for i in range(20_000)]
    assert picks == [assign_variant(7, f"v{i}", weights) for i in range(20_000)]
    shares = np.bincount(picks, minlength=3) / len(picks)
    assert np.allclose(shares, weights, atol=0.015)
    # Another experiment reshuffles: assignments are independent across experiments.
    other = [assign_variant(8, f"v{i}", weights) for i in range(20_000)]
    assert 0.3 < np.mean(np.array(picks) == np.array(other)) < 0.45


def test_the_z_test_matches_scipy_chi_square_and_its_interval_is_the_wald_one():
    result = two_proportion_ztest(120, 2400, 165, 2500)
    _, p, _, _ = stats.chi2_contingency([[120, 2280], [165, 2335]], correction=False)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    p1, p2 = 120 / 2400, 165 / 2500
    half = stats.norm.ppf(0.975) * math.sqrt(p1 * (1 - p1) / 2400 + p2 * (1 - p2) / 2500)
    assert (result.ci_low, result.ci_high) == pytest.approx((p2 - p1 - half, p2 - p1 + half))


def test_welch_matches_scipy_on_the_same_numbers():
    rng = np.random.default_rng(3)
    a, b = rng.exponential(20, 400), rng.exponential(23, 380)
    result = welch_ttest(a.mean(), a.var(ddof=1), len(a), b.mean(), b.var(ddof=1), len(b))
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    low, high = expected.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize(("successes", "n"), [(10, 200), (0, 10), (10, 10), (165, 2500)])
def test_an_arms_rate_interval_is_wilsons_as_scipy_computes_it(successes, n):
    expected = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    low, high = proportion_interval(successes, n)
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)
    assert 0 <= low <= successes / n <= high <= 1


def test_an_arms_mean_interval_is_students_t_as_scipy_computes_it():
    revenue = np.random.default_rng(5).exponential(20, 300)
    expected = stats.ttest_1samp(revenue, 0).confidence_interval(0.95)
    interval = mean_interval(revenue.mean(), revenue.var(ddof=1), len(revenue))
    assert interval == pytest.approx((expected.low, expected.high), rel=1e-9)


def test_srm_flags_a_broken_split_and_not_a_fair_one():
    assert sample_ratio_mismatch([5000, 5060], [1, 1])[1] > 0.001
    chi2, p = sample_ratio_mismatch([5000, 5600], [1, 1])
    assert p < 0.001
    assert (chi2, p) == pytest.approx(tuple(stats.chisquare([5000, 5600])))


def test_mde_shrinks_with_the_sample():
    assert mde_proportions(0.05, 1000, 1000) > mde_proportions(0.05, 10_000, 10_000)
    assert mde_proportions(0.05, 0, 10) is None


@pytest.mark.django_db
def test_results_count_exposed_visitors_their_later_orders_and_compare_to_control(client):
    ensure_event_partitions()
    site, shop = SiteFactory(), ShopFactory()
    GalleryFactory(site=site, slug="home-b")
    start = timezone.now() - timedelta(days=3)
    client.force_authenticate(analyst())
    body = {
        "site": site.pk, "key": "home-test", "placement": "home", "metric": "conversion_rate",
        "starts_at": start.isoformat(),
        "variants": [{"name": "holdout", "weight": 1}, {"name": "b", "weight": 1,
                                                         "gallery": "home-b"}],
    }  # fmt: skip
    created = client.post("/api/v1/analytics/experiments", body, format="json")
    assert created.status_code == 201, created.content
    when = start + timedelta(hours=1)
    for index in range(40):
        variant = "holdout" if index % 2 else "b"
        interact(site, f"v{index}", f"s{index}", when, "gallery_view", gallery="home",
                 experiment="home-test", variant=variant)  # fmt: skip
    # b: 8 of 20 buy after exposure; holdout: 2 of 20; an order before exposure is not counted.
    for index in range(0, 16, 2):
        order(shop, when + timedelta(hours=2), "50", visitor_id=f"v{index}")
    for index in (1, 3):
        order(shop, when + timedelta(hours=2), "50", visitor_id=f"v{index}")
    order(shop, when - timedelta(hours=2), "50", visitor_id="v5")
    answer = client.get(f"/api/v1/analytics/experiments/{created.json()['id']}/results")
    assert answer.status_code == 200
    results = answer.json()
    arms = {arm["name"]: arm for arm in results["variants"]}
    assert (arms["holdout"]["visitors"], arms["holdout"]["converters"]) == (20, 2)
    assert (arms["b"]["visitors"], arms["b"]["converters"], arms["b"]["revenue"]) == (20, 8, 400)
    comparison = results["comparisons"][0]["result"]
    assert comparison["difference"] == pytest.approx(0.3)
    assert comparison["p_value"] == pytest.approx(two_proportion_ztest(2, 20, 8, 20).p_value)
    assert results["sample_ratio_mismatch"]["mismatch"] is False
    assert "Fixed-horizon" in results["peeking_warning"]


@pytest.mark.django_db
def test_bad_experiments_are_400_naming_the_field(client):
    site = SiteFactory()
    client.force_authenticate(analyst())
    base = {"site": site.pk, "key": "k", "placement": "home", "metric": "click_through",
            "starts_at": timezone.now().isoformat()}  # fmt: skip
    cases = [
        ({**base, "variants": [{"name": "a", "weight": 1}]}, "variants"),
        ({**base, "variants": [{"name": "a", "weight": 0}, {"name": "b", "weight": 1}]},
         "variants.0.weight"),
        ({**base, "variants": [{"name": "a", "weight": 1}, {"name": "b", "weight": 1,
                                                           "gallery": "nope"}]},
         "variants.1.gallery"),
        ({**base, "metric": "vibes", "variants": []}, "metric"),
        ({**base, "site": 999999, "variants": []}, "site"),
    ]  # fmt: skip
    for body, field in cases:
        answer = client.post("/api/v1/analytics/experiments", body, format="json")
        assert answer.status_code == 400, (field, answer.content)
        assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    assert client.get("/api/v1/analytics/experiments/999/results").status_code == 404


def test_split_over_many_visitors_counts_like_configured():
    counts = Counter(assign_variant(1, f"x{i}", [9, 1]) for i in range(10_000))
    assert sample_ratio_mismatch([counts[0], counts[1]], [9, 1])[1] > 0.001
