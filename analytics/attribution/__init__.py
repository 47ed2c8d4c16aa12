"""Multi-touch attribution models: pure functions over journeys, no Django inside.

Build a `PathSet` (distinct paths with their conversions, value and nulls),
then call a model: `attribute_first_touch(paths)`, ..., `attribute_markov(paths,
order=2)`, `attribute_shapley(paths)`; each returns `Credits` per channel that
add up to the path set's conversions and value. `MODELS` names the models that
run on a path set alone (time decay needs touch times: `attribute_time_decay`).
"""

from __future__ import annotations

from collections.abc import Callable

from analytics.attribution.heuristics import (
    DIRECT,
    attribute_first_touch,
    attribute_last_non_direct,
    attribute_last_touch,
    attribute_linear,
    attribute_position_based,
    attribute_time_decay,
    first_touch_shares,
    last_non_direct_shares,
    last_touch_shares,
    linear_shares,
    position_based_shares,
    time_decay_shares,
)
from analytics.attribution.markov import MarkovResult, attribute_markov, markov_model
from analytics.attribution.pathset import Credits, PathSet
from analytics.attribution.shapley import attribute_shapley, shapley_shares

MODELS: dict[str, Callable[..., Credits]] = {
    "first_touch": attribute_first_touch,
    "last_touch": attribute_last_touch,
    "last_non_direct": attribute_last_non_direct,
    "linear": attribute_linear,
    "position_based": attribute_position_based,
    "markov": attribute_markov,
    "shapley": attribute_shapley,
}

__all__ = [
    "DIRECT",
    "MODELS",
    "Credits",
    "MarkovResult",
    "PathSet",
    "attribute_first_touch",
    "attribute_last_non_direct",
    "attribute_last_touch",
    "attribute_linear",
    "attribute_markov",
    "attribute_position_based",
    "attribute_shapley",
    "attribute_time_decay",
    "first_touch_shares",
    "last_non_direct_shares",
    "last_touch_shares",
    "linear_shares",
    "markov_model",
    "position_based_shares",
    "shapley_shares",
    "time_decay_shares",
]
