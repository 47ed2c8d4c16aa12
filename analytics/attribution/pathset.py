"""Journeys grouped into distinct paths, and the credits a model gives channels.

Every model works on a `PathSet`: channel names mapped to small ints and each
distinct path stored once with its conversions, conversion value and nulls
(journeys on that path that did not convert). A million journeys usually hold
a few hundred thousand distinct paths, so grouping first is most of the speed.

Paths are kept flat (CSR style): `touches` holds every path's channel codes
back to back and `offsets[i]:offsets[i + 1]` is path i. A long outlier journey
then costs its own length, not the width of a padded matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Bits of one int64 key that can hold channel codes: the sign bit stays clear.
_KEY_BITS = 63


@dataclass(frozen=True)
class Credits:
    """Conversions and conversion value credited to each channel by one model."""

    channels: tuple[str, ...]
    conversions: np.ndarray
    values: np.ndarray

    def rows(self) -> list[tuple[str, float, float]]:
        """(channel, conversions, value) per channel, in channel order."""
        return [
            (name, float(conv), float(value))
            for name, conv, value in zip(self.channels, self.conversions, self.values, strict=True)
        ]

    def by_channel(self) -> dict[str, tuple[float, float]]:
        return {name: (conv, value) for name, conv, value in self.rows()}


@dataclass(frozen=True, eq=False)
class PathSet:
    """Distinct paths with their conversions, conversion value and nulls."""

    channels: tuple[str, ...]
    offsets: np.ndarray  # int64, one more than there are paths
    touches: np.ndarray  # int32 channel codes, all paths back to back
    conversions: np.ndarray  # float64 per path
    values: np.ndarray  # float64 per path: the value of all its conversions
    nulls: np.ndarray  # float64 per path: journeys on it that did not convert

    @classmethod
    def from_paths(
        cls,
        paths: Sequence[Sequence[str]],
        conversions: Iterable[float],
        values: Iterable[float] | None = None,
        nulls: Iterable[float] | None = None,
    ) -> PathSet:
        """Paths as lists of channel names (aggregated rows; repeats are merged)."""
        names: dict[str, int] = {}
        codes = [names.setdefault(name, len(names)) for path in paths for name in path]
        lengths = np.fromiter((len(path) for path in paths), dtype=np.int64, count=len(paths))
        conversions = np.asarray(list(conversions), dtype=np.float64)
        values = _or_zeros(values, len(paths))
        nulls = _or_zeros(nulls, len(paths))
        return cls.from_codes(
            tuple(names), lengths, np.asarray(codes, dtype=np.int32), conversions, values, nulls
        )

    @classmethod
    def from_journeys(
        cls,
        channels: Sequence[str],
        lengths: np.ndarray,
        touches: np.ndarray,
        conversions: np.ndarray,
        values: np.ndarray,
        group: bool = True,
    ) -> PathSet:
        """One row per journey: touches flat, journey i has `lengths[i]` of them.

        A journey with no conversion counts as a null on its path. `group=False`
        keeps one path per journey: the rule-based models give the same credits
        either way and skip the grouping's sort.
        """
        conversions = np.asarray(conversions, dtype=np.float64)
        nulls = (conversions == 0).astype(np.float64)
        if group:
            return cls.from_codes(tuple(channels), lengths, touches, conversions, values, nulls)
        lengths = np.asarray(lengths, dtype=np.int64)
        touches = np.asarray(touches, dtype=np.int32)
        values = np.asarray(values, dtype=np.float64)
        _check_rows(channels, lengths, touches, conversions, values, nulls)
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return cls(tuple(channels), offsets, touches, conversions, values, nulls)

    @classmethod
    def from_codes(cls, channels, lengths, touches, conversions, values, nulls) -> PathSet:
        """Group rows of coded paths into distinct paths, summing their counts."""
        lengths = np.asarray(lengths, dtype=np.int64)
        touches = np.asarray(touches, dtype=np.int32)
        _check_rows(channels, lengths, touches, conversions, values, nulls)
        return _group(
            tuple(channels),
            lengths,
            touches,
            np.asarray(conversions, dtype=np.float64),
            np.asarray(values, dtype=np.float64),
            np.asarray(nulls, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.conversions)

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> np.ndarray:
        """For each touch, the index of its path."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        """For each touch, its place in its path (0 for the first touch)."""
        return np.arange(len(self.touches), dtype=np.int64) - self.offsets[self.path_of_touch]

    def path(self, index: int) -> list[str]:
        start, end = self.offsets[index], self.offsets[index + 1]
        return [self.channels[code] for code in self.touches[start:end]]

    def converting(self) -> PathSet:
        """Only the paths with conversions or value: all that rule-based credit depends on.

        About 3% of journeys convert, so rules that need no nulls skip the rest.
        """
        keep = np.flatnonzero((self.conversions > 0) | (self.values != 0))
        if len(keep) == len(self):
            return self
        lengths = self.offsets[keep + 1] - self.offsets[keep]
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        taken = np.repeat(self.offsets[keep] - offsets[:-1], lengths) + np.arange(offsets[-1])
        return PathSet(
            self.channels,
            offsets,
            self.touches[taken],
            self.conversions[keep],
            self.values[keep],
            self.nulls[keep],
        )

    def credit_shares(self, shares: np.ndarray) -> Credits:
        """Credits from each touch's share of its path's conversions and value."""
        per_touch = shares
        n_channels = len(self.channels)
        conv = np.bincount(
            self.touches, per_touch * self.conversions[self.path_of_touch], minlength=n_channels
        )
        value = np.bincount(
            self.touches, per_touch * self.values[self.path_of_touch], minlength=n_channels
        )
        return Credits(self.channels, conv, value)


def _or_zeros(column: Iterable[float] | None, size: int) -> np.ndarray:
    if column is None:
        return np.zeros(size, dtype=np.float64)
    return np.asarray(list(column), dtype=np.float64)


def _check_rows(channels, lengths, touches, conversions, values, nulls) -> None:
    """Programming errors in what callers pass, named plainly."""
    rows = len(lengths)
    for name, column in (("conversions", conversions), ("values", values), ("nulls", nulls)):
        if len(column) != rows:
            raise ValueError(f"{name} has {len(column)} rows, expected {rows}")
    if rows and lengths.min() < 1:
        raise ValueError(f"path {int(np.argmin(lengths))} is empty")
    if int(lengths.sum()) != len(touches):
        raise ValueError("lengths do not add up to the number of touches")
    if len(touches) and (touches.min() < 0 or touches.max() >= len(channels)):
        raise ValueError("a touch names a channel code outside the channel list")


def _group(channels, lengths, touches, conversions, values, nulls) -> PathSet:
    """Merge identical paths, one path length at a time.

    Within one length every path is a row of a dense matrix, packed into int64
    keys (several channel codes per key) so np.unique sorts integers, not rows.
    """
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    bits = max(1, int(len(channels) - 1).bit_length())
    pieces = []
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        matrix = touches[starts[rows, None] + np.arange(length)]
        pieces.append(_group_one_length(matrix, bits, rows, conversions, values, nulls))
    return _assemble(channels, pieces)


def _group_one_length(matrix, bits, rows, conversions, values, nulls):
    keys = _packed_keys(matrix, bits)
    if keys.shape[1] == 1:
        _, first, inverse = np.unique(keys[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    groups = len(first)

    def summed(column):
        return np.bincount(inverse, column[rows], minlength=groups)

    return matrix[first], summed(conversions), summed(values), summed(nulls)


def _packed_keys(matrix: np.ndarray, bits: int) -> np.ndarray:
    """Each row as a few int64 words, `bits` per channel code."""
    per_word = _KEY_BITS // bits
    n_words = -(-matrix.shape[1] // per_word)
    keys = np.zeros((matrix.shape[0], n_words), dtype=np.int64)
    for column in range(matrix.shape[1]):
        word = column // per_word
        keys[:, word] = (keys[:, word] << bits) | matrix[:, column]
    return keys


def _assemble(channels, pieces) -> PathSet:
    if not pieces:
        empty = np.zeros(0, dtype=np.float64)
        no_touches = np.zeros(0, dtype=np.int32)
        return PathSet(channels, np.zeros(1, dtype=np.int64), no_touches, empty, empty, empty)
    lengths = np.concatenate([np.full(len(p[0]), p[0].shape[1], dtype=np.int64) for p in pieces])
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return PathSet(
        channels=channels,
        offsets=offsets,
        touches=np.concatenate([p[0].ravel() for p in pieces]).astype(np.int32),
        conversions=np.concatenate([p[1] for p in pieces]),
        values=np.concatenate([p[2] for p in pieces]),
        nulls=np.concatenate([p[3] for p in pieces]),
    )
