"""Our models against the `channelattribution` package on the same generated journeys.

Heuristics must agree exactly (to float rounding). Its Markov model simulates
journeys, so ours (solved exactly) must land within one point of each
channel's share: at its default settings its own runs vary by about that much.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

from analytics.attribution import (
    PathSet,
    attribute_first_touch,
    attribute_last_touch,
    attribute_linear,
    attribute_markov,
)
from analytics.attribution.synthetic import generate_journeys

JOURNEYS = 20_000
SHARE_TOLERANCE = 0.01  # one point of a channel's share of the total


def _import_peer():
    # The package prints a banner on import; keep test output clean.
    with redirect_stdout(io.StringIO()):
        import ChannelAttribution

    return ChannelAttribution


@pytest.fixture(scope="module")
def peer():
    return _import_peer()


@pytest.fixture(scope="module")
def journeys():
    # A higher conversion rate than the shop's 3%, so 20,000 journeys carry signal.
    return generate_journeys(JOURNEYS, conversion_rate=0.15, seed=11)


@pytest.fixture(scope="module")
def table(journeys) -> pd.DataFrame:
    """The journeys as channelattribution's aggregated path table."""
    frame = pd.DataFrame(
        {
            "path": journeys.path_strings(),
            "total_conversions": journeys.conversions,
            "total_conversion_value": journeys.values,
            "total_null": 1 - journeys.conversions,
        }
    )
    return frame.groupby("path", as_index=False).sum()


@pytest.fixture(scope="module")
def paths(table) -> PathSet:
    return PathSet.from_paths(
        [[touch.strip() for touch in path.split(">")] for path in table["path"]],
        table["total_conversions"],
        table["total_conversion_value"],
        table["total_null"],
    )


def quietly(fn, *args, **kwargs):
    with redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (attribute_first_touch, "first_touch"),
        (attribute_last_touch, "last_touch"),
        (attribute_linear, "linear_touch"),
    ],
)
def test_heuristics_agree_exactly_with_channelattribution(peer, table, paths, ours, theirs):
    result = quietly(
        peer.heuristic_models,
        table,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        flg_pro=False,
    ).set_index("channel_name")
    credits = ours(paths).by_channel()
    assert set(credits) == set(result.index)
    for channel, (conversions, value) in credits.items():
        assert conversions == pytest.approx(result.at[channel, f"{theirs}_conversions"], rel=1e-9)
        assert value == pytest.approx(result.at[channel, f"{theirs}_value"], rel=1e-9)


@pytest.mark.parametrize("order", [1, 2])
def test_markov_agrees_with_channelattribution_within_a_point_of_share(peer, table, paths, order):
    result = quietly(
        peer.markov_model,
        table,
        "path",
        "total_conversions",
        var_value="total_conversion_value",
        var_null="total_null",
        order=order,
        seed=0,
        verbose=False,
        flg_pro=False,
    ).set_index("channel_name")
    credits = attribute_markov(paths, order)
    theirs = result.reindex(list(credits.channels))
    assert_shares_close(credits.conversions, theirs["total_conversions"].to_numpy())
    assert_shares_close(credits.values, theirs["total_conversion_value"].to_numpy())


def assert_shares_close(ours: np.ndarray, theirs: np.ndarray) -> None:
    ours_share, theirs_share = ours / ours.sum(), theirs / theirs.sum()
    worst = np.abs(ours_share - theirs_share).max()
    assert worst <= SHARE_TOLERANCE, f"shares differ by up to {worst:.4f}"
