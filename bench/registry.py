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
    # Goals that are not a ratio (an absolute p95, a recall): None when there are none.
    goals_met: bool | None = None

    @property
    def ratio(self) -> float:
        return self.measured_s / self.ceiling_s

    @property
    def within_target(self) -> bool:
        return self.ratio <= self.target_ratio and self.goals_met is not False

    def line(self) -> str:
        verdict = "ok" if self.within_target else "OVER TARGET"
        target = f"(target <= {self.target_ratio:g})" if self.target_ratio != float("inf") else ""
        return (
            f"{self.name:<34} ratio {self.ratio:6.2f} {target:<18} "
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


def discover() -> None:
    """Import every module of bench/: each registers its benchmarks as it loads."""
    import importlib
    import pkgutil

    import bench

    for module in pkgutil.iter_modules(bench.__path__):
        if module.name not in {"registry", "report", "__main__"}:
            importlib.import_module(f"bench.{module.name}")


def selected(names: list[str]) -> list[Callable[[], Result]]:
    discover()

    if not names:
        return BENCHMARKS
    return [fn for fn in BENCHMARKS if fn.__name__ in names]
