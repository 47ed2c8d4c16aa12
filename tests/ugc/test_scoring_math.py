"""The pure scoring math (ugc/scoring/): priors, parts, and the gallery ordering."""

from __future__ import annotations

import numpy as np
import pytest

from ugc.scoring import ordering, parts, priors


def test_a_few_lucky_clicks_do_not_outrank_a_long_good_record():
    rng = np.random.default_rng(1)
    trials = rng.integers(200, 5000, size=200).astype(float)
    successes = rng.binomial(trials.astype(int), rng.beta(3, 97, size=200)).astype(float)
    prior = priors.fit_beta(successes, trials)
    assert 0.02 < prior.mean < 0.04
    alpha, beta = priors.posterior(
        np.full(2, prior.alpha), np.full(2, prior.beta), [3, 300], [10, 10_000]
    )
    means = alpha / (alpha + beta)
    # 3 in 10 is 30 % observed, 300 in 10,000 is 3 %: the long record must not lose by much.
    assert means[0] < 0.3 / 2
    assert means[1] == pytest.approx(0.03, abs=0.003)


def test_priors_fall_back_to_the_library_for_small_groups():
    groups = np.array([1] * 50 + [2] * 2)
    trials = np.full(52, 1000.0)
    successes = np.array([20.0] * 25 + [40.0] * 25 + [900.0, 900.0])
    fitted = priors.fit_group_priors(groups, successes, trials)
    assert fitted[2] == fitted[-1]  # two assets are too few for their own prior
    assert fitted[1].mean == pytest.approx(0.03, abs=1e-9)
    alpha, _ = priors.prior_arrays(np.array([1, 2, 99]), fitted)
    assert alpha[2] == fitted[-1].alpha


def test_no_data_gives_the_fallback_prior():
    assert priors.fit_beta(np.zeros(3), np.zeros(3)) == priors.FALLBACK


def test_parts_are_bounded_and_marked_without_data():
    assert np.isnan(parts.social(np.array([np.nan]))[0])
    assert parts.social(np.array([1.0]))[0] == 0.5  # at the platform median
    assert np.isnan(parts.quality(np.array([np.nan]))[0])
    assert parts.quality(np.array([0.73]))[0] == 0.73  # the pipeline's one number
    fresh = parts.freshness(np.array([0.0, 30.0, 3000.0]), half_life_days=30)
    assert list(np.round(fresh, 6)) == [1.0, 0.5, 0.0]
    assert np.isnan(parts.performance(np.array([0.1]), 0.0)[0])  # no revenue anywhere


def test_a_part_without_data_hands_its_weight_to_the_others():
    weights = {
        "quality": 0.25,
        "relevance": 0.15,
        "performance": 0.45,
        "social": 0.1,
        "freshness": 0.05,
    }
    values = {
        "quality": np.array([0.8, 0.8]),
        "relevance": np.array([0.0, 0.0]),
        "performance": np.array([0.5, 0.5]),
        "social": np.array([np.nan, 0.5]),
        "freshness": np.array([1.0, 1.0]),
    }
    spread = parts.row_weights(values, weights)
    assert spread["social"][0] == 0 and spread["social"][1] == pytest.approx(0.1)
    assert sum(w[0] for w in spread.values()) == pytest.approx(1)
    assert spread["performance"][0] == pytest.approx(0.45 / 0.9)
    score = parts.combine(values, weights)
    expected = (0.25 * 0.8 + 0.45 * 0.5 + 0.05 * 1.0) / 0.9
    assert score[0] == pytest.approx(expected)
    assert score.min() >= 0 and score.max() <= 1


def test_cautious_revenue_puts_proven_sales_above_luck_and_no_data():
    ctr_prior, conversion_prior = (1.0, 49.0), (2.0, 18.0)  # 2 % and 10 %
    impressions = np.array([3000.0, 4.0, 4.0, 0.0])
    clicks = np.array([60.0, 1.0, 1.0, 0.0])
    orders = np.array([6.0, 0.0, 1.0, 0.0])
    revenue = np.array([600.0, 0.0, 100.0, 0.0])
    ctr = priors.posterior(*ctr_prior, clicks, impressions)
    conversion = priors.posterior(*conversion_prior, orders, clicks)
    per_impression = parts.cautious_revenue_per_impression(ctr, conversion, revenue, orders, 100.0)
    library = 0.02 * 0.1 * 100.0
    perf = parts.performance(per_impression, library)
    earner, one_click, lucky_order, unseen = perf
    assert earner > one_click and earner > lucky_order and earner > unseen
    # Average rates: below the middle while 60 clicks leave the order rate uncertain,
    # nearer it as the evidence grows.
    assert 0.2 < earner < 0.5
    assert np.all((perf >= 0) & (perf <= 1))


def test_engagement_is_judged_against_its_own_platform():
    rate = np.array([0.0047, 0.0569, 0.01])
    platforms = np.array(["instagram", "tiktok", "pinterest"])
    ratio = parts.engagement_ratio(rate, platforms, {"pinterest": 0.02})
    assert list(np.round(ratio, 6)) == [1.0, 1.0, 0.5]


def test_weights_are_checked_and_normalised():
    assert sum(parts.normalised_weights({"quality": 2, "performance": 2}).values()) == 1
    with pytest.raises(ValueError, match="unknown score parts"):
        parts.normalised_weights({"beauty": 1})
    with pytest.raises(ValueError, match="positive"):
        parts.normalised_weights({"quality": 0})


def candidates(n, scores=None, creators=None, groups=None, alpha=None, beta=None):
    ids = np.arange(1, n + 1, dtype=np.int64)
    return ordering.Candidates(
        ids=ids,
        scores=np.asarray(scores if scores is not None else np.linspace(1, 0.1, n)),
        ctr_alpha=np.asarray(alpha if alpha is not None else np.full(n, 2.0)),
        ctr_beta=np.asarray(beta if beta is not None else np.full(n, 98.0)),
        creators=np.asarray(creators if creators is not None else ids),
        duplicate_groups=np.asarray(groups if groups is not None else ids),
    )


def test_the_order_is_stable_within_a_bucket_and_changes_across_buckets():
    pool = candidates(40, alpha=np.full(40, 1.0), beta=np.full(40, 1.0))
    first = ordering.recommended_order(
        pool, size=12, share=0.5, rng=ordering.generator(7, bucket=100, seed=0)
    )
    again = ordering.recommended_order(
        pool, size=12, share=0.5, rng=ordering.generator(7, bucket=100, seed=0)
    )
    later = ordering.recommended_order(
        pool, size=12, share=0.5, rng=ordering.generator(7, bucket=101, seed=0)
    )
    assert first == again
    assert first != later
    assert sorted(first) == list(range(1, 41))  # every candidate, once


def test_without_exploration_the_best_scores_come_first():
    pool = candidates(10)
    order = ordering.recommended_order(pool, size=5, share=0, rng=ordering.generator(1, 1, 0))
    assert order == list(range(1, 11))


def test_exploration_places_take_a_bounded_share_and_never_the_first():
    places = ordering.exploration_places(24, 0.25)
    assert len(places) == 6 and 0 not in places
    assert ordering.exploration_places(10, 0) == set()


def test_exploration_shows_an_unknown_asset_that_scores_low():
    # Asset 10 is new: a wide posterior and the lowest score. Exploration gives it a place.
    alpha = np.array([2.0] * 9 + [1.0])
    beta = np.array([400.0] * 9 + [1.0])
    pool = candidates(10, alpha=alpha, beta=beta)
    order = ordering.recommended_order(pool, size=5, share=0.2, rng=ordering.generator(1, 1, 0))
    assert 10 in order[:5]


def test_same_creator_and_near_duplicates_are_spread_out():
    creators = np.array([1, 1, 1, 2, 3, 4, 5, 6])
    groups = np.array([1, 2, 3, 4, 4, 6, 7, 8])  # asset 5 is a near-duplicate of 4
    scores = np.array([1.0, 0.99, 0.98, 0.97, 0.96, 0.7, 0.69, 0.68])
    pool = candidates(8, scores=scores, creators=creators, groups=groups)
    order = ordering.recommended_order(pool, size=8, share=0, rng=ordering.generator(1, 1, 0))
    assert order[:2] == [1, 4]  # creator 1's second asset waits
    assert order.index(5) > order.index(6)  # the near-duplicate of 4 waits behind fresh ones
