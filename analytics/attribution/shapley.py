"""Shapley value attribution over the channel coalitions seen in converting paths.

The game (the "simplified Shapley value" of Zhao et al., 2018, "Shapley value
methods for attribution modeling in online advertising"): a coalition S of
channels is worth the conversions (or value) of the paths whose set of
channels lies within S, v(S) = sum over observed sets T <= S of c(T). Order
and repeats inside a path do not matter; channels only on non-converting
paths get nothing. v(all channels) is the total, so the credits sum to it,
and v only grows with S, so every credit is >= 0.

Up to `exact_up_to` channels (15 by default) the value is computed exactly by
enumerating all 2^n coalitions with bitmasks; above that it is estimated from
`samples` random orderings of the channels (seeded), where each observed set
T pays c(T) to its member that joins last. That estimate is unbiased and
every sample still sums to the total exactly.

For this game the Shapley value also has the closed form
phi_i = sum over T containing i of c(T) / |T|; `shapley_shares` uses it to
give each touch its part, and the tests use it as an oracle.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from analytics.attribution.pathset import Credits, PathSet

EXACT_UP_TO = 15
SAMPLES = 2_000
SAMPLE_BATCH = 64


def attribute_shapley(
    paths: PathSet, exact_up_to: int = EXACT_UP_TO, samples: int = SAMPLES, seed: int = 0
) -> Credits:
    players, coalitions, worth = _coalitions(paths)
    if len(players) <= exact_up_to:
        share = _exact(coalitions, worth, len(players))
    else:
        share = _sampled(coalitions, worth, len(players), samples, seed)
    conv = np.zeros(len(paths.channels))
    value = np.zeros(len(paths.channels))
    conv[players], value[players] = share[:, 0], share[:, 1]
    return Credits(paths.channels, conv, value)


def shapley_shares(paths: PathSet) -> np.ndarray:
    """Each touch's share of its path: 1/|channels in it|, split over that channel's touches."""
    path = paths.path_of_touch
    key = path * len(paths.channels) + paths.touches
    unique_keys, inverse, repeats = np.unique(key, return_inverse=True, return_counts=True)
    distinct = np.bincount(unique_keys // len(paths.channels), minlength=len(paths))
    return 1.0 / (distinct[path] * repeats[inverse.ravel()])


def _coalitions(paths: PathSet):
    """Players (channels on converting paths), each observed set as a membership row, its worth."""
    paths = paths.converting()
    members = np.zeros((len(paths), len(paths.channels)), dtype=bool)
    members[paths.path_of_touch, paths.touches] = True
    players = np.flatnonzero(members.any(axis=0))
    sets, inverse = np.unique(members[:, players], axis=0, return_inverse=True)
    inverse = inverse.ravel()
    worth = np.column_stack(
        (
            np.bincount(inverse, paths.conversions, minlength=len(sets)),
            np.bincount(inverse, paths.values, minlength=len(sets)),
        )
    )
    return players, sets, worth


def _exact(coalitions: np.ndarray, worth: np.ndarray, n: int) -> np.ndarray:
    """Shapley values by enumeration: v over all 2^n masks, then weighted marginals."""
    if n == 0:
        return np.zeros((0, 2))
    masks = coalitions.astype(np.int64) @ (np.int64(1) << np.arange(n, dtype=np.int64))
    v = np.zeros((1 << n, 2))
    np.add.at(v, masks, worth)
    for bit in range(n):  # sum over subsets: v(S) = sum of v(T) for T <= S
        halves = v.reshape(-1, 2, 1 << bit, 2)
        halves[:, 1] += halves[:, 0]
    size = np.bitwise_count(np.arange(1 << n, dtype=np.uint64)).astype(np.int64)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    share = np.zeros((n, 2))
    for player in range(n):
        halves = v.reshape(-1, 2, 1 << player, 2)
        without = size.reshape(-1, 2, 1 << player)[:, 0]
        marginal = halves[:, 1] - halves[:, 0]
        share[player] = (marginal * weight[without][..., None]).reshape(-1, 2).sum(axis=0)
    return share


def _sampled(coalitions, worth, n, samples, seed) -> np.ndarray:
    """Shapley values estimated over random orderings of the players."""
    rng = np.random.default_rng(seed)
    share = np.zeros((n, 2))
    done = 0
    while done < samples:
        batch = min(SAMPLE_BATCH, samples - done)
        # rank[b, i]: when player i joins in ordering b.
        rank = np.argsort(rng.random((batch, n)), axis=1).argsort(axis=1)
        joined = np.where(coalitions[None, :, :], rank[:, None, :], -1)
        last = joined.argmax(axis=2)  # (batch, sets): the member joining last
        for column in range(2):
            weights = np.broadcast_to(worth[:, column], last.shape)
            share[:, column] += np.bincount(last.ravel(), weights.ravel(), minlength=n)
        done += batch
    return share / samples
