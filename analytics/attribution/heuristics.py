"""Rule-based models: first, last, last non-direct, linear, position-based, time decay.

Each rule is a share per touch (the touches of one path share 1 between them),
so a caller can map credit back to the touches themselves: `*_shares(pathset)`
returns one share per entry of `pathset.touches`. `attribute_*` turns the
shares into per-channel credits. The definitions of first, last and linear are
those of the `channelattribution` package's `heuristic_models` (linear credits
every touch, a channel touched twice gets two shares).
"""

from __future__ import annotations

import numpy as np

from analytics.attribution.pathset import Credits, PathSet

DIRECT = "direct"
SECONDS_PER_DAY = 86_400.0


def first_touch_shares(paths: PathSet) -> np.ndarray:
    return (paths.position == 0).astype(np.float64)


def last_touch_shares(paths: PathSet) -> np.ndarray:
    return (paths.position == paths.lengths[paths.path_of_touch] - 1).astype(np.float64)


def last_non_direct_shares(paths: PathSet, direct: str = DIRECT) -> np.ndarray:
    """The last touch that is not the direct channel; an all-direct path: its last touch."""
    ends = paths.offsets[1:] - 1
    if direct not in paths.channels:
        chosen = ends
    else:
        candidate = np.where(
            paths.touches != paths.channels.index(direct), np.arange(len(paths.touches)), -1
        )
        chosen = np.maximum.reduceat(candidate, paths.offsets[:-1]) if len(paths) else ends
        chosen = np.where(chosen < 0, ends, chosen)
    shares = np.zeros(len(paths.touches), dtype=np.float64)
    shares[chosen] = 1.0
    return shares


def linear_shares(paths: PathSet) -> np.ndarray:
    return 1.0 / paths.lengths[paths.path_of_touch]


def position_based_shares(paths: PathSet, first: float = 0.4, last: float = 0.4) -> np.ndarray:
    """`first` to the first touch, `last` to the last, the rest spread over the middle.

    A one-touch path gives it everything; a two-touch path splits first:last in
    proportion (50/50 at the default 40/40), as there is no middle to take the rest.
    """
    if first < 0 or last < 0 or first + last > 1 or first + last == 0:
        raise ValueError("position-based shares need first, last >= 0 and 0 < first + last <= 1")
    length = paths.lengths[paths.path_of_touch].astype(np.float64)
    position = paths.position
    middle = (1.0 - first - last) / np.maximum(length - 2, 1)
    shares = np.where(position == 0, first, np.where(position == length - 1, last, middle))
    pair = length == 2
    shares[pair] = np.where(position[pair] == 0, first, last) / (first + last)
    shares[length == 1] = 1.0
    return shares


def attribute_first_touch(paths: PathSet) -> Credits:
    paths = paths.converting()
    return paths.credit_shares(first_touch_shares(paths))


def attribute_last_touch(paths: PathSet) -> Credits:
    paths = paths.converting()
    return paths.credit_shares(last_touch_shares(paths))


def attribute_last_non_direct(paths: PathSet, direct: str = DIRECT) -> Credits:
    paths = paths.converting()
    return paths.credit_shares(last_non_direct_shares(paths, direct))


def attribute_linear(paths: PathSet) -> Credits:
    paths = paths.converting()
    return paths.credit_shares(linear_shares(paths))


def attribute_position_based(paths: PathSet, first: float = 0.4, last: float = 0.4) -> Credits:
    paths = paths.converting()
    return paths.credit_shares(position_based_shares(paths, first, last))


def time_decay_shares(
    offsets: np.ndarray,
    touch_times: np.ndarray,
    conversion_times: np.ndarray,
    half_life_days: float = 7.0,
) -> np.ndarray:
    """Each touch weighted 2^(-age / half-life), age measured back from the conversion.

    Works per journey, not per distinct path: two journeys on the same path
    have different touch times. Journeys are flat like a PathSet's paths
    (`offsets`), times in seconds; weights are normalised within each journey
    against its most recent touch, so old touches cannot underflow to a zero sum.
    """
    if half_life_days <= 0:
        raise ValueError("half_life_days must be positive")
    lengths = np.diff(offsets)
    journey = np.repeat(np.arange(len(lengths)), lengths)
    age = conversion_times[journey] - touch_times
    youngest = np.minimum.reduceat(age, offsets[:-1]) if len(lengths) else age
    weights = np.exp2(-(age - youngest[journey]) / (half_life_days * SECONDS_PER_DAY))
    totals = np.add.reduceat(weights, offsets[:-1]) if len(lengths) else weights
    return weights / totals[journey]


def attribute_time_decay(
    channels: tuple[str, ...],
    offsets: np.ndarray,
    touches: np.ndarray,
    touch_times: np.ndarray,
    conversions: np.ndarray,
    values: np.ndarray,
    conversion_times: np.ndarray,
    half_life_days: float = 7.0,
) -> Credits:
    """Time-decay credits over journeys (one row each, touches flat, times in seconds)."""
    shares = time_decay_shares(offsets, touch_times, conversion_times, half_life_days)
    journey = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    n_channels = len(channels)
    conv = np.bincount(touches, shares * conversions[journey], minlength=n_channels)
    value = np.bincount(touches, shares * values[journey], minlength=n_channels)
    return Credits(tuple(channels), conv, value)
