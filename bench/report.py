"""A benchmark run's record: the figures as markdown and JSON under bench/results/."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.registry import Result

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """What ran it: the figures are ratios, but a reader still wants to know."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    cpus = os.cpu_count() or 0
    return f"{platform.system()} {platform.machine()}, {cpus} cores {model}{memory}".strip()


def _number(value: float) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else value


@dataclass
class Run:
    scale: str
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    figures: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def add(self, name: str, result: Result) -> None:
        self.figures.append(
            {
                "benchmark": name,
                "figure": result.name,
                "unit": "s",
                "measured": result.measured_s,
                "ceiling": result.ceiling_s,
                "ratio": result.ratio,
                "target_ratio": _number(result.target_ratio),
                "goals_met": result.goals_met,
                "met": result.within_target,
                "note": result.note,
            }
        )

    def failed(self, name: str, error: str) -> None:
        self.errors.append({"benchmark": name, "error": error})

    @property
    def all_met(self) -> bool:
        return not self.errors and all(figure["met"] for figure in self.figures)

    def as_json(self) -> dict:
        return {
            "date": self.started.isoformat(timespec="seconds"),
            "scale": self.scale,
            "machine": machine(),
            "figures": self.figures,
            "errors": self.errors,
        }

    def as_markdown(self) -> str:
        lines = [
            f"Benchmarks, scale `{self.scale}`, {self.started:%Y-%m-%d %H:%M} UTC, {machine()}.",
            "Each ratio is measured / ceiling, both timed in this run on this machine.",
            "",
            "| figure | measured | ceiling | ratio | target ratio | goal met | notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in self.figures:
            target = "" if f["target_ratio"] is None else f"<= {f['target_ratio']:g}"
            lines.append(
                f"| {f['figure']} | {f['measured'] * 1000:.1f} ms | {f['ceiling'] * 1000:.1f} ms "
                f"| {f['ratio']:.2f} | {target} | {'yes' if f['met'] else '**no**'} "
                f"| {f['note'].replace('|', '/')} |"
            )
        for error in self.errors:
            first = error["error"].strip().splitlines()[-1]
            lines.append(f"| {error['benchmark']} | failed | | | | **no** | {first} |")
        return "\n".join(lines) + "\n"

    def write(self, directory: Path = RESULTS_DIR) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started.strftime("%Y%m%d-%H%M%S")
        written = []
        for stem in (f"{stamp}-{self.scale}", f"latest-{self.scale}"):
            json_path, md_path = directory / f"{stem}.json", directory / f"{stem}.md"
            json_path.write_text(json.dumps(self.as_json(), indent=2) + "\n")
            md_path.write_text(self.as_markdown())
            written += [json_path, md_path]
        return written
