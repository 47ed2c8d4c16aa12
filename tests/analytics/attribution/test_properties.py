"""What every model promises, over random journeys: credits add up, none negative,
names do not matter, grouping changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.attribution import (
    MODELS,
    PathSet,
    attribute_markov,
    attribute_shapley,
    attribute_time_decay,
    first_touch_shares,
    last_non_direct_shares,
    last_touch_shares,
    linear_shares,
    position_based_shares,
    shapley_shares,
    time_decay_shares,
)
from analytics.attribution.synthetic import generate_journeys

CHANNEL_NAMES = ["direct", "email", "instagram", "tiktok", "search", "display"]
SHARES = {
    "first_touch": first_touch_shares,
    "last_touch": last_touch_shares,
    "last_non_direct": last_non_direct_shares,
    "linear": linear_shares,
    "position_based": position_based_shares,
    "shapley": shapley_shares,
}

paths_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CHANNEL_NAMES), min_size=1, max_size=7),
        st.integers(0, 5),  # conversions
        st.integers(0, 5),  # nulls
        st.floats(1, 500, allow_nan=False),  # value of one conversion
    ),
    min_size=1,
    max_size=25,
)


def path_set(rows) -> PathSet:
    return PathSet.from_paths(
        [path for path, *_ in rows],
        [conv for _, conv, _, _ in rows],
        [conv * value for _, conv, _, value in rows],
        [nulls for _, _, nulls, _ in rows],
    )


@settings(max_examples=60, deadline=None)
@given(paths_strategy, st.sampled_from(sorted(SHARES)))
def test_each_paths_shares_sum_to_one_and_none_is_negative(rows, model):
    paths = path_set(rows)
    shares = SHARES[model](paths)
    assert (shares >= 0).all()
    np.testing.assert_allclose(np.add.reduceat(shares, paths.offsets[:-1]), 1.0)


@settings(max_examples=60, deadline=None)
@given(paths_strategy, st.sampled_from([*sorted(MODELS), "markov2", "markov3", "shapley_sampled"]))
def test_credits_add_up_to_the_conversions_and_value(rows, model):
    paths = path_set(rows)
    credits = run(model, paths)
    assert (credits.conversions >= -1e-9).all() and (credits.values >= -1e-9).all()
    np.testing.assert_allclose(credits.conversions.sum(), paths.conversions.sum(), atol=1e-9)
    np.testing.assert_allclose(credits.values.sum(), paths.values.sum(), rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(paths_strategy, st.sampled_from([*sorted(MODELS), "markov2"]), st.randoms())
def test_renaming_and_reordering_channels_moves_credit_with_the_name(rows, model, random):
    renamed = {name: f"ch-{name[::-1]}" for name in CHANNEL_NAMES}
    renamed["direct"] = "direct"  # last non-direct must still know which one is direct
    shuffled = [([renamed[c] for c in path], *rest) for path, *rest in rows]
    random.shuffle(shuffled)
    before = run(model, path_set(rows)).by_channel()
    after = run(model, path_set(shuffled)).by_channel()
    for name, (conv, value) in before.items():
        assert after[renamed[name]] == pytest.approx((conv, value), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(paths_strategy)
def test_exact_shapley_enumeration_equals_the_closed_form(rows):
    paths = path_set(rows)
    enumerated = attribute_shapley(paths)
    closed_form = paths.credit_shares(shapley_shares(paths))
    np.testing.assert_allclose(enumerated.conversions, closed_form.conversions, atol=1e-9)
    np.testing.assert_allclose(enumerated.values, closed_form.values, rtol=1e-9, atol=1e-9)


def test_sampled_shapley_estimates_the_exact_value():
    rng = np.random.default_rng(3)
    names = [f"c{i}" for i in range(18)]  # more than exact_up_to: sampled
    paths = PathSet.from_paths(
        [list(rng.choice(names, rng.integers(1, 6))) for _ in range(400)],
        rng.integers(0, 4, 400),
        rng.integers(0, 400, 400) * 1.0,
    )
    sampled = attribute_shapley(paths, samples=3000, seed=1)
    exact = paths.credit_shares(shapley_shares(paths))
    total = exact.conversions.sum()
    np.testing.assert_allclose(sampled.conversions / total, exact.conversions / total, atol=0.01)
    assert sampled.conversions.sum() == pytest.approx(total)


@settings(max_examples=40, deadline=None)
@given(paths_strategy, st.integers(1, 4))
def test_grouping_journeys_gives_the_same_paths_as_aggregated_rows(rows, copies):
    journeys = [row for row in rows for _ in range(copies)]
    aggregated = path_set(rows)
    regrouped = path_set(journeys)
    assert len(regrouped) == len({tuple(path) for path, *_ in rows})
    for model in ("linear", "markov"):
        a, b = MODELS[model](aggregated), MODELS[model](regrouped)
        # Every journey counted `copies` times: the same credit, `copies` times over.
        for name, (conv, value) in a.by_channel().items():
            assert b.by_channel()[name] == pytest.approx((conv * copies, value * copies))


def test_a_journey_without_a_conversion_is_a_null_on_its_path():
    paths = PathSet.from_journeys(
        ("a", "b"),
        lengths=np.array([2, 2, 1]),
        touches=np.array([0, 1, 0, 1, 1]),
        conversions=np.array([1, 0, 0]),
        values=np.array([30.0, 0, 0]),
    )
    assert len(paths) == 2
    merged = {tuple(paths.path(i)): (paths.conversions[i], paths.nulls[i]) for i in range(2)}
    assert merged == {("a", "b"): (1.0, 1.0), ("b",): (0.0, 1.0)}


def test_last_non_direct_skips_direct_unless_the_path_is_all_direct():
    paths = PathSet.from_paths(
        [["email", "direct", "direct"], ["direct", "direct"]], [1, 1], [10, 20]
    )
    credits = MODELS["last_non_direct"](paths).by_channel()
    assert credits == {"email": (1.0, 10.0), "direct": (1.0, 20.0)}


def test_position_based_gives_40_20_40_and_splits_two_touch_paths_evenly():
    def shares(path, first=0.4, last=0.4):
        return position_based_shares(PathSet.from_paths([path], [1]), first, last)

    np.testing.assert_allclose(shares(["a", "b", "c", "d"]), [0.4, 0.1, 0.1, 0.4])
    np.testing.assert_allclose(shares(["a", "b"]), [0.5, 0.5])
    np.testing.assert_allclose(shares(["a"]), [1.0])
    np.testing.assert_allclose(shares(["a", "b", "c", "d"], 0.3, 0.6), [0.3, 0.05, 0.05, 0.6])


def test_markov_removal_effects_on_a_chain_worked_by_hand():
    # (start)->a: 3 journeys; a->(conversion) 1, a->b 2 (a>b: 1 conv, 1 null);
    # b->(conversion) 1, b->(null) 1. P(conversion) = 1/3 + 2/3 * 1/2 = 2/3.
    # Removing a loses all of it; removing b leaves 1/3, so half is lost.
    paths = PathSet.from_paths([["a"], ["a", "b"]], [1, 1], [10, 30], [0, 1])
    credits = attribute_markov(paths)
    # Effects 1 and 1/2 share 2 conversions: 4/3 and 2/3.
    np.testing.assert_allclose(credits.conversions, [4 / 3, 2 / 3])
    # Value: 10/3 + 2/3 * 1/2 * 30 = 40/3; without b 10/3 -> effect 3/4.
    np.testing.assert_allclose(credits.values, [40 * 1 / 1.75, 40 * 0.75 / 1.75])


def test_markov_merges_repeated_states_like_channelattribution():
    # channelattribution drops a step into the state one is already in.
    repeated = PathSet.from_paths([["a", "a", "b"], ["b", "b"]], [1, 0], [5, 0], [0, 1])
    single = PathSet.from_paths([["a", "b"], ["b"]], [1, 0], [5, 0], [0, 1])
    a, b = attribute_markov(repeated), attribute_markov(single)
    np.testing.assert_allclose(a.conversions, b.conversions)
    np.testing.assert_allclose(a.values, b.values)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(0, 90), min_size=1, max_size=6), min_size=1, max_size=10))
def test_time_decay_halves_a_touch_per_half_life_and_adds_up(ages_in_days):
    lengths = np.array([len(ages) for ages in ages_in_days])
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    conversion_times = np.full(len(lengths), 1e9)
    ages = np.concatenate(ages_in_days) * 86_400
    journey = np.repeat(np.arange(len(lengths)), lengths)
    shares = time_decay_shares(offsets, conversion_times[journey] - ages, conversion_times, 7.0)
    np.testing.assert_allclose(np.add.reduceat(shares, offsets[:-1]), 1.0)
    expected = 0.5 ** (ages / (7 * 86_400))
    expected /= np.bincount(journey, expected)[journey]
    np.testing.assert_allclose(shares, expected, rtol=1e-9, atol=1e-12)
    credits = attribute_time_decay(
        ("a", "b"),
        offsets,
        journey % 2,
        conversion_times[journey] - ages,
        np.ones(len(lengths)),
        np.full(len(lengths), 50.0),
        conversion_times,
    )
    assert credits.values.sum() == pytest.approx(50.0 * len(lengths))


def test_a_path_set_refuses_an_empty_path():
    with pytest.raises(ValueError, match="path 1 is empty"):
        PathSet.from_paths([["a"], []], [1, 1])


def run(model: str, paths: PathSet):
    if model.startswith("markov") and model != "markov":
        return attribute_markov(paths, order=int(model[-1]))
    if model == "shapley_sampled":
        return attribute_shapley(paths, exact_up_to=0, samples=50, seed=7)
    return MODELS[model](paths)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_journeys_kept_apart_or_grouped_get_the_same_credits(model):
    journeys = generate_journeys(3_000, conversion_rate=0.2, seed=5)
    grouped = MODELS[model](journeys.path_set(group=True))
    apart = MODELS[model](journeys.path_set(group=False))
    np.testing.assert_allclose(apart.conversions, grouped.conversions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(apart.values, grouped.values, rtol=1e-9, atol=1e-9)
    assert grouped.values.sum() == pytest.approx(journeys.values.sum())
