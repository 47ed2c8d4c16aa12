"""Gallery ordering: the score, Thompson sampling for exploration, pins and diversity.

The order of a gallery is a function of (data, gallery, time bucket, seed): the random
generator is seeded from those, so every view within a bucket, and every worker that
recomputes it, gets the same order; the next bucket draws afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

# How much an item is held back for each of its creator's items already placed just
# before it, and for being a near-duplicate of one already placed.
SAME_CREATOR_PENALTY = 0.25
NEAR_DUPLICATE_PENALTY = 0.6
CREATOR_WINDOW = 6  # places: a creator may come back after this many others


def time_bucket(epoch_seconds: float, period_seconds: int) -> int:
    return int(epoch_seconds // max(period_seconds, 1))


def generator(gallery_id: int, bucket: int, seed: int) -> np.random.Generator:
    """The same generator for the same gallery, bucket and seed, in any process."""
    digest = hashlib.sha256(f"{seed}:{gallery_id}:{bucket}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def exploration_places(size: int, share: float) -> set[int]:
    """Places (0-based) in the first `size` given to exploration, spread evenly and never
    the first: round(size x share) of them."""
    count = min(round(size * max(share, 0.0)), max(size - 1, 0))
    if count <= 0:
        return set()
    step = size / count  # > 1, so counting back from the last place never reaches 0
    return {size - 1 - int(i * step) for i in range(count)}


@dataclass
class Candidates:
    """Arrays over the candidate assets of one gallery (pins excluded)."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # the stored score, 0..1
    ctr_alpha: np.ndarray
    ctr_beta: np.ndarray
    creators: np.ndarray  # int64, -1 unknown
    duplicate_groups: np.ndarray  # int64: the original's id, or the asset's own


def recommended_order(
    candidates: Candidates, *, size: int, share: float, rng: np.random.Generator
) -> list[int]:
    """Every candidate's id in recommended order.

    Within the first `size` places, exploration places take the highest Thompson draw
    from each remaining asset's click-through posterior (a new asset's wide posterior
    often draws high: that is how it gets shown enough to learn); the other places take
    the highest score. Either way an asset is held back when its creator appeared just
    before or a near-duplicate of it is already placed. Past the first `size` places the
    rest follow by score, as a next page.
    """
    n = len(candidates.ids)
    if n == 0:
        return []
    draws = rng.beta(candidates.ctr_alpha, candidates.ctr_beta)
    explore = exploration_places(size, share)
    horizon = min(n, size)
    remaining = np.ones(n, dtype=bool)
    placed: list[int] = []
    recent_creators: list[int] = []
    placed_groups: set[int] = set()
    for place in range(horizon):
        key = draws if place in explore else candidates.scores
        held = _hold_back(candidates, recent_creators, placed_groups)
        pick = int(np.argmax(np.where(remaining, key * held, -np.inf)))
        remaining[pick] = False
        placed.append(pick)
        recent_creators = [*recent_creators, int(candidates.creators[pick])][-CREATOR_WINDOW:]
        placed_groups.add(int(candidates.duplicate_groups[pick]))
    rest = np.flatnonzero(remaining)
    rest = rest[np.lexsort((-candidates.ids[rest], -candidates.scores[rest]))]
    return [int(candidates.ids[i]) for i in placed] + [int(candidates.ids[i]) for i in rest]


def _hold_back(candidates: Candidates, recent_creators: list[int], groups: set[int]) -> np.ndarray:
    """A factor per candidate, 1 for no reason to hold it back, smaller for each reason."""
    factor = np.ones(len(candidates.ids))
    for creator in recent_creators:
        if creator >= 0:
            factor *= np.where(candidates.creators == creator, 1 - SAME_CREATOR_PENALTY, 1.0)
    if groups:
        duplicate = np.isin(candidates.duplicate_groups, list(groups))
        factor *= np.where(duplicate, 1 - NEAR_DUPLICATE_PENALTY, 1.0)
    return factor
