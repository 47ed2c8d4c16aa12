"""Deterministic assignment: the same visitor sees the same variant on every page and
server, with no stored state, and experiments are independent of each other because
the experiment id is part of the hash."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

_SCALE = float(1 << 64)


def bucket(experiment_id: int, visitor_id: str) -> float:
    """A uniform number in [0, 1) from SHA-256 of "experiment:visitor"."""
    digest = hashlib.sha256(f"{experiment_id}:{visitor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign_variant(experiment_id: int, visitor_id: str, weights: Sequence[float]) -> int:
    """Index of the variant whose slice of the cumulative split holds the visitor's bucket."""
    if not weights or any(w <= 0 for w in weights):
        raise ValueError("weights must be positive, at least one")
    point = bucket(experiment_id, visitor_id) * sum(weights)
    edge = 0.0
    for index, weight in enumerate(weights):
        edge += weight
        if point < edge:
            return index
    return len(weights) - 1  # rounding at the very top edge
