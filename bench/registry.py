"""The benchmark list and the shape of a result."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

T = TypeVar("T")


@dataclass
class Result:
    name: str
    measured_s: float
    ceiling_s: float
    target_ratio: float  # the goal: measured / ceiling must stay under this
    note: str = ""
    # Goals that are not a ratio (an absolute p95, a recall): None when there are none.
    goals_met: bool | None = None
    # What measured_s and ceiling_s count: seconds, or another quantity ("MB").
    unit: str = "s"

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
            f"measured {shown(self.measured_s, self.unit):>12}  "
            f"ceiling {shown(self.ceiling_s, self.unit):>12}"
            f"  {verdict}  {self.note}"
        )


def shown(value: float, unit: str = "s") -> str:
    """A measured or ceiling figure with its unit: seconds as milliseconds."""
    return f"{value * 1000:.1f} ms" if unit == "s" else f"{value:.1f} {unit}"


def best_of(runs: int, fn: Callable[[], None]) -> float:
    """The fastest of a few runs: the least disturbed by the machine's other load."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def cpu_seconds(fn: Callable[[], object]) -> float:
    """CPU seconds of this process running fn: unlike the wall clock, not stretched by the
    other processes sharing the machine's cores (a figure "per core")."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def best_cpu(runs: int, fn: Callable[[], object]) -> float:
    """The least CPU time of a few runs."""
    return min(cpu_seconds(fn) for _ in range(runs))


def best_cpu_per_item(
    rounds: int,
    items: Sequence[T],
    ways: Sequence[Callable[[T], object]],
    each_round: Callable[[], object] = lambda: None,
) -> list[list[float]]:
    """For each way of handling an item, each item's least CPU seconds over interleaved
    rounds: every round runs each_round (a peer timed elsewhere), then every way on every
    item, so what is compared saw the same load."""
    best = [[float("inf")] * len(items) for _ in ways]
    for _ in range(rounds):
        each_round()
        for index, item in enumerate(items):
            for times, way in zip(best, ways, strict=True):
                times[index] = min(times[index], cpu_seconds(partial(way, item)))
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


def module_name(fn: Callable[[], Result]) -> str:
    """The bench module a benchmark lives in (`media` for bench/media.py)."""
    return fn.__module__.rpartition(".")[2]


def selected(names: list[str]) -> list[Callable[[], Result]]:
    """The benchmarks named, by their own name or their module's (`media`: all of it)."""
    discover()

    if not names:
        return BENCHMARKS
    return [fn for fn in BENCHMARKS if fn.__name__ in names or module_name(fn) in names]
