"""Generated journeys with a known shape, for tests, benchmarks and demos.

Channels differ in reach (how often they appear) and in lift (how much a
touch raises the odds of converting), so models have something to tell
apart. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.attribution.pathset import PathSet

CHANNELS = (
    "direct",
    "organic_search",
    "paid_search",
    "instagram",
    "tiktok",
    "facebook",
    "email",
    "display",
    "affiliate",
    "youtube",
    "pinterest",
    "referral",
)
MAX_TOUCHES = 40  # a long tail, but no journey of thousands of touches


@dataclass(frozen=True)
class Journeys:
    """One row per journey; touches flat, journey i holds `lengths[i]` of them."""

    channels: tuple[str, ...]
    lengths: np.ndarray
    touches: np.ndarray
    touch_times: np.ndarray  # seconds, increasing within a journey
    conversions: np.ndarray  # 0 or 1
    values: np.ndarray
    conversion_times: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        return np.concatenate(([0], np.cumsum(self.lengths))).astype(np.int64)

    def path_set(self, group: bool = True) -> PathSet:
        return PathSet.from_journeys(
            self.channels, self.lengths, self.touches, self.conversions, self.values, group
        )

    def path_strings(self, separator: str = " > ") -> list[str]:
        names = np.asarray(self.channels, dtype=object)[self.touches]
        bounds = self.offsets
        return [separator.join(names[bounds[i] : bounds[i + 1]]) for i in range(len(self.lengths))]


def generate_journeys(
    count: int,
    channels: tuple[str, ...] = CHANNELS,
    conversion_rate: float = 0.03,
    mean_touches: float = 3.0,
    seed: int = 0,
) -> Journeys:
    rng = np.random.default_rng(seed)
    n_channels = len(channels)
    reach = 1.0 / np.arange(1, n_channels + 1) ** 0.8
    reach /= reach.sum()
    lift = rng.normal(0.0, 0.6, n_channels)
    lengths = np.minimum(rng.geometric(1.0 / mean_touches, count), MAX_TOUCHES).astype(np.int64)
    touches = rng.choice(n_channels, size=int(lengths.sum()), p=reach).astype(np.int32)
    journey = np.repeat(np.arange(count), lengths)
    score = np.bincount(journey, lift[touches], minlength=count) / np.sqrt(lengths)
    odds = np.exp(score + 0.25 * np.log(lengths))
    # Scale the odds so the average conversion probability lands on the rate asked for.
    scale = conversion_rate / np.mean(odds / (1 + odds))
    probability = np.clip(scale * odds / (1 + odds), 0, 1)
    conversions = (rng.random(count) < probability).astype(np.float64)
    values = np.where(conversions > 0, np.round(rng.lognormal(3.5, 0.6, count), 2), 0.0)
    # One running clock: times rise within each journey, which is all a model reads.
    touch_times = np.cumsum(rng.exponential(2.0 * 86_400, len(touches)))
    conversion_times = touch_times[np.cumsum(lengths) - 1] + rng.exponential(3_600, count)
    return Journeys(
        tuple(channels), lengths, touches, touch_times, conversions, values, conversion_times
    )
