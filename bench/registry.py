"""The benchmark list and the shape of a result."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    name: str
    measured_s: float
    ceiling_s: float
    target_ratio: float  # the target: measured / ceiling must stay under this
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.measured_s / self.ceiling_s

    @property
    def within_target(self) -> bool:
        return self.ratio <= self.target_ratio

    def line(self) -> str:
        verdict = "ok" if self.within_target else "OVER TARGET"
        return (
            f"{self.name:<34} ratio {self.ratio:6.2f} (target <= {self.target_ratio:g}) "
            f"measured {self.measured_s * 1000:9.1f} ms  ceiling {self.ceiling_s * 1000:9.1f} ms"
            f"  {verdict}  {self.note}"
        )


def best_of(runs: int, fn: Callable[[], None]) -> float:
    """The fastest of a few runs: the least disturbed by the machine's other load."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


BENCHMARKS: list[Callable[[], Result]] = []


def benchmark(fn: Callable[[], Result]) -> Callable[[], Result]:
    BENCHMARKS.append(fn)
    return fn


def selected(names: list[str]) -> list[Callable[[], Result]]:
    from bench import broker, commerce, ugc_import  # noqa: F401  (registers their benchmarks)

    if not names:
        return BENCHMARKS
    return [fn for fn in BENCHMARKS if fn.__name__ in names]
