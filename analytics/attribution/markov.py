"""Markov chain attribution by removal effect, solved exactly.

The definition is that of the `channelattribution` package's `markov_model`
(read from its source), so results compare one to one:

- A path becomes states (start) -> s1 -> ... -> sm -> (conversion | null).
  For order k the states are the windows of k consecutive touches
  (c1..ck, c2..ck+1, ...); a path shorter than k is one state of all its
  touches. Consecutive identical states are merged, so `a > a > b` at order 1
  is (start) -> a -> b: self-loops are not transitions.
- Transitions between states count the path's conversions plus nulls; the
  last state goes to (conversion) with its conversions and to (null) with its
  nulls. Probabilities are the counts normalised per state.
- Removing a channel sends every state that contains it to (null). Its
  removal effect is the share of conversions lost. Credits are removal
  effects normalised to the total conversions.
- Value uses removal effects on value: each state's step into (conversion)
  is weighted by the mean value of the conversions whose path ended there.

`channelattribution` estimates these probabilities by simulating journeys;
here they are absorption probabilities of the chain, one sparse linear solve
per channel removed. Its simulation also cuts journeys after ten steps per
state (counted as nulls); the exact chain has no cut, a difference far below
its simulation noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from analytics.attribution.pathset import Credits, PathSet

if TYPE_CHECKING:
    import scipy.sparse

START = 0  # state index of (start); channel states follow


@dataclass(frozen=True)
class MarkovResult:
    credits: Credits
    removal_effects_conversions: np.ndarray  # per channel
    removal_effects_values: np.ndarray


@dataclass(frozen=True)
class _Chain:
    transitions: scipy.sparse.csr_matrix  # transient -> transient probabilities
    to_conversion: np.ndarray  # per transient state
    value_at_conversion: np.ndarray  # per transient state: prob x mean value
    members: np.ndarray  # (states, channels) bool: which channels a state holds


def attribute_markov(paths: PathSet, order: int = 1) -> Credits:
    return markov_model(paths, order).credits


def markov_model(paths: PathSet, order: int = 1) -> MarkovResult:
    """Credits and removal effects of the order-`order` chain over `paths`."""
    if order < 1:
        raise ValueError("order must be at least 1")
    chain = _chain(paths, order)
    effects = _removal_effects(chain, len(paths.channels))
    credits = Credits(
        paths.channels,
        _normalised(effects[:, 0], paths.conversions.sum()),
        _normalised(effects[:, 1], paths.values.sum()),
    )
    return MarkovResult(credits, effects[:, 0], effects[:, 1])


def _normalised(effects: np.ndarray, total: float) -> np.ndarray:
    weight = effects.sum()
    return effects / weight * total if weight > 0 else np.zeros_like(effects)


def _chain(paths: PathSet, order: int) -> _Chain:
    window_path, codes = _windows(paths, order)
    unique_codes, state = np.unique(codes, return_inverse=True)
    state = state.ravel() + 1  # 0 is (start)
    # Merge consecutive repeats of a state within a path.
    keep = np.ones(len(state), dtype=bool)
    keep[1:] = (state[1:] != state[:-1]) | (window_path[1:] != window_path[:-1])
    state, window_path = state[keep], window_path[keep]
    n_states = len(unique_codes) + 1
    first = np.ones(len(state), dtype=bool)
    first[1:] = window_path[1:] != window_path[:-1]
    previous = np.where(first, START, np.roll(state, 1))
    through = paths.conversions + paths.nulls
    last = np.flatnonzero(np.append(first[1:], True))
    # scipy.sparse is imported where a chain is built, not at every process start (web,
    # worker, manage.py import this module through the attribution runs): ~0.5 s.
    from scipy import sparse

    counts = sparse.coo_matrix(
        (through[window_path], (previous, state)), shape=(n_states, n_states)
    ).tocsr()
    conversions = np.bincount(state[last], paths.conversions, minlength=n_states)
    value = np.bincount(state[last], paths.values, minlength=n_states)
    nulls = np.bincount(state[last], paths.nulls, minlength=n_states)
    out = np.asarray(counts.sum(axis=1)).ravel() + conversions + nulls
    scale = np.divide(1.0, out, out=np.zeros(n_states), where=out > 0)
    return _Chain(
        transitions=sparse.diags(scale) @ counts,
        to_conversion=conversions * scale,
        # prob(-> conversion) x mean value there = value that ends there / out.
        value_at_conversion=value * scale,
        members=_members(unique_codes, order, len(paths.channels)),
    )


def _windows(paths: PathSet, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Each path's windows of `order` touches as int64 codes, base (channels + 1).

    Digit 0 marks "no touch", for the one short window of a path under `order`.
    """
    base = len(paths.channels) + 1
    if order * np.log2(base) >= 63:
        raise ValueError(f"order {order} over {base - 1} channels is too high to encode")
    per_path = np.maximum(paths.lengths - order + 1, 1)
    window_path = np.repeat(np.arange(len(paths), dtype=np.int64), per_path)
    starts = paths.offsets[window_path] + (
        np.arange(len(window_path)) - np.repeat(np.cumsum(per_path) - per_path, per_path)
    )
    ends = paths.offsets[window_path + 1]
    codes = np.zeros(len(window_path), dtype=np.int64)
    for step in range(order):
        at = starts + step
        inside = at < ends
        digit = np.where(inside, paths.touches[np.minimum(at, len(paths.touches) - 1)] + 1, 0)
        codes = codes * base + digit
    return window_path, codes


def _members(codes: np.ndarray, order: int, n_channels: int) -> np.ndarray:
    """(start) plus one row per state: which channels its window holds."""
    base = n_channels + 1
    members = np.zeros((len(codes) + 1, base), dtype=bool)
    rest = codes.copy()
    for _ in range(order):
        members[np.arange(1, len(codes) + 1), rest % base] = True
        rest //= base
    return members[:, 1:]  # drop the "no touch" digit


def _removal_effects(chain: _Chain, n_channels: int) -> np.ndarray:
    """(channels, 2): share of conversions and of value lost when each is removed."""
    everything = np.ones(chain.members.shape[0], dtype=bool)
    base = _absorbed(chain, everything)
    effects = np.zeros((n_channels, 2))
    for channel in range(n_channels):
        kept = ~chain.members[:, channel]
        if kept.all():
            continue
        left = _absorbed(chain, kept)
        effects[channel] = np.divide(base - left, base, out=np.zeros(2), where=base > 0)
    return effects


def _absorbed(chain: _Chain, kept: np.ndarray) -> np.ndarray:
    """Probability of conversion and expected value from (start), over kept states only.

    A removed state absorbs into (null): dropping its rows and columns from
    (I - Q) h = r leaves exactly the chain with those states redirected.
    """
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    index = np.flatnonzero(kept)
    q = chain.transitions[index][:, index]
    system = (sparse.identity(len(index), format="csc") - q).tocsc()
    rhs = np.column_stack((chain.to_conversion[index], chain.value_at_conversion[index]))
    solved = spsolve(system, rhs)
    solved = np.asarray(solved.toarray() if sparse.issparse(solved) else solved).reshape(-1, 2)
    return solved[0]  # (start) is always kept and comes first
