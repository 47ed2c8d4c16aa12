"""Attribution models against their peers on the same generated journeys.

1,000,000 journeys over 12 channels, about 3% converting (seeded), one row per
journey. Each of our models is timed from that input (flat channel codes per
journey, as the database hands them over) to per-channel credits, grouping
included where the model needs it. The ceiling is the fastest peer for that
model on the same journeys in the same run:

- `channelattribution` (C++ core) on one row per journey: `heuristic_models`
  (first, last and linear in one call, so that call is each one's time) and
  `markov_model` order 1 with its defaults, on 2 threads (this machine's cores).
- `marketing-attribution-models` (Polars) after its own preprocessing, which
  is timed once and left out of its figures, as its models run on the result.

Peers parse path strings; we start from codes. Last non-direct has no peer:
it is held to the peers' last touch. Shapley must also finish under 30 s.
`BENCH_ATTRIBUTION_JOURNEYS` shrinks the run (e.g. 100000 for a quick look).
"""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout
from functools import cache

import numpy as np

from analytics.attribution import MODELS, PathSet
from analytics.attribution.synthetic import generate_journeys
from bench.registry import Result, benchmark, best_of

JOURNEYS = int(os.environ.get("BENCH_ATTRIBUTION_JOURNEYS", "1000000"))
HALF = 0.5  # the goal: ours at most half the fastest peer's time
SHAPLEY_LIMIT_S = 30.0
PEER_THREADS = 2


@cache
def _journeys():
    return generate_journeys(JOURNEYS, seed=2025)


@cache
def _ca():
    with redirect_stdout(io.StringIO()):  # its import prints a banner
        import ChannelAttribution

    return ChannelAttribution


@cache
def _ca_frame():
    import pandas as pd

    journeys = _journeys()
    return pd.DataFrame(
        {
            "path": journeys.path_strings(),
            "total_conversions": journeys.conversions,
            "total_conversion_value": journeys.values,
            "total_null": 1 - journeys.conversions,
        }
    )


@cache
def _mam():
    import mam
    import polars as pl

    journeys = _journeys()
    frame = pl.DataFrame(
        {
            "journey_id": np.arange(JOURNEYS).astype(str),
            "path": journeys.path_strings(),
            # Touch times are not used by the models timed here.
            "times": [" > ".join(["0"] * int(length)) for length in journeys.lengths],
            "converted": journeys.conversions > 0,
            "value": journeys.values,
        }
    )
    return mam.MAM(
        frame,
        format_type="journey",
        channels_colname="path",
        journey_with_conv_colname="converted",
        user_id_colname="journey_id",
        time_till_conv_colname="times",
        conversion_value_colname="value",
        path_separator=" > ",
    )


def _best(fn) -> float:
    """Best of more runs the quicker a run is: a shared machine's stalls swamp short ones.

    Ours and the peers go through the same rule.
    """
    first = best_of(1, fn)
    runs = 10 if first < 0.2 else 3 if first < 3 else 0
    return min(first, best_of(runs, fn)) if runs else first


def _quiet_time(fn) -> float:
    with redirect_stdout(io.StringIO()):
        return _best(fn)


@cache
def _ca_heuristics_s() -> float:
    frame = _ca_frame()
    return _quiet_time(
        lambda: _ca().heuristic_models(
            frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
        ),
    )


@cache
def _ca_markov_s() -> float:
    frame = _ca_frame()
    return _quiet_time(
        lambda: _ca().markov_model(
            frame,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            ncore=PEER_THREADS,
            verbose=False,
            flg_pro=False,
        ),
    )


@cache
def _mam_s(method: str) -> float:
    model = _mam()
    return _quiet_time(getattr(model, method))


def _ours_s(model: str, group: bool, **options) -> float:
    journeys = _journeys()

    def run():
        paths = PathSet.from_journeys(
            journeys.channels,
            journeys.lengths,
            journeys.touches,
            journeys.conversions,
            journeys.values,
            group=group,
        )
        MODELS[model](paths, **options)

    return _best(run)


def _against_peers(
    name: str, ours_s: float, peers: dict[str, float], target: float, ceiling: str | None = None
) -> Result:
    """Ours against the fastest peer, or against the one peer the goal names."""
    fastest = ceiling or min(peers, key=peers.get)
    note = ", ".join(f"{peer} {seconds:.3f} s" for peer, seconds in peers.items())
    return Result(
        name=f"attribution {name}",
        measured_s=ours_s,
        ceiling_s=peers[fastest],
        target_ratio=target,
        note=f"{JOURNEYS:,} journeys; ceiling {fastest} ({note})",
    )


def _heuristic(model: str, mam_method: str, target: float) -> Result:
    peers = {"channelattribution": _ca_heuristics_s(), "mam": _mam_s(mam_method)}
    return _against_peers(model, _ours_s(model, group=False), peers, target)


@benchmark
def attribution_first_touch() -> Result:
    # Polars' first click is one list lookup per row: a tie is the goal there.
    return _heuristic("first_touch", "run_first_click", target=1.0)


@benchmark
def attribution_last_touch() -> Result:
    return _heuristic("last_touch", "run_last_click", target=1.0)


@benchmark
def attribution_last_non_direct() -> Result:
    return _heuristic("last_non_direct", "run_last_click", target=1.0)


@benchmark
def attribution_linear() -> Result:
    return _heuristic("linear", "run_linear", target=HALF)


@benchmark
def attribution_position_based() -> Result:
    peers = {"mam": _mam_s("run_position_based")}
    return _against_peers(
        "position_based", _ours_s("position_based", group=False), peers, target=HALF
    )


@benchmark
def attribution_markov() -> Result:
    peers = {"channelattribution": _ca_markov_s(), "mam": _mam_s("run_markov")}
    # The goal is against channelattribution's simulation, whichever peer is faster.
    return _against_peers(
        "markov order 1", _ours_s("markov", group=True), peers, HALF, "channelattribution"
    )


@benchmark
def attribution_shapley() -> Result:
    ours_s = _ours_s("shapley", group=True)
    peers = {"mam": _mam_s("run_shapley")}
    result = _against_peers("shapley (12 channels)", ours_s, peers, target=float("inf"))
    result.goals_met = ours_s < SHAPLEY_LIMIT_S
    result.note += f"; goal < {SHAPLEY_LIMIT_S:g} s"
    return result
