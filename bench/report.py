"""A benchmark run's record: the figures as markdown and JSON under bench/results/.

Each run writes its own dated file, and merges its figures into `latest-<scale>`: that
table keeps every benchmark's most recent measurement with the moment it was taken, so
running a few benchmarks updates only their rows. Several benchmark processes may run
at once (one per engineer), so the read-merge-write holds an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.registry import Result, shown

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


def _moment() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
                "unit": result.unit,
                "measured": result.measured_s,
                "ceiling": result.ceiling_s,
                "ratio": result.ratio,
                "target_ratio": _number(result.target_ratio),
                "goals_met": result.goals_met,
                "met": result.within_target,
                "note": result.note,
                "measured_at": _moment(),
            }
        )

    def failed(self, name: str, error: str) -> None:
        self.errors.append({"benchmark": name, "error": error, "measured_at": _moment()})

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
        return markdown(self.as_json())

    def write(self, directory: Path = RESULTS_DIR, order: list[str] | None = None) -> list[Path]:
        """This run's own dated files, and its figures merged into latest-<scale>."""
        directory.mkdir(parents=True, exist_ok=True)
        stem = f"{self.started:%Y%m%d-%H%M%S}-{self.scale}"
        written = _write_record(directory / stem, self.as_json())
        with _locked(directory / f".latest-{self.scale}.lock"):
            latest = merge(read_latest(self.scale, directory), self.as_json(), order)
            written += _write_record(directory / f"latest-{self.scale}", latest)
        return written


def merge(latest: dict | None, run: dict, order: list[str] | None = None) -> dict:
    """The latest table with a run's figures in it: a benchmark the run measured takes
    the run's row, the others keep theirs. A failure is listed beside the benchmark's
    last good figure (which stays, dated) until a later run measures it again."""
    latest = latest or {"figures": [], "errors": []}
    # Rows written before figures carried their own moment were all measured at the
    # file's date.
    undated = latest.get("date", "")
    figures = {f["benchmark"]: {"measured_at": undated, **f} for f in latest["figures"]}
    errors = {e["benchmark"]: {"measured_at": undated, **e} for e in latest.get("errors", [])}
    for figure in run["figures"]:
        figures[figure["benchmark"]] = figure
        errors.pop(figure["benchmark"], None)
    for error in run["errors"]:
        errors[error["benchmark"]] = error
    if order:
        place = {name: i for i, name in enumerate(order)}
        figures = dict(sorted(figures.items(), key=lambda item: place.get(item[0], len(place))))
    return {
        "date": _moment(),  # of the last merge, not of the run's start
        "scale": run["scale"],
        "machine": run["machine"],
        "merged": True,
        "figures": list(figures.values()),
        "errors": list(errors.values()),
    }


def read_latest(scale: str, directory: Path = RESULTS_DIR) -> dict | None:
    path = directory / f"latest-{scale}.json"
    return json.loads(path.read_text()) if path.exists() else None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_record(stem: Path, record: dict) -> list[Path]:
    written = []
    for path, text in (
        (stem.with_name(stem.name + ".json"), json.dumps(record, indent=2) + "\n"),
        (stem.with_name(stem.name + ".md"), markdown(record)),
    ):
        # Readers (another run's merge, git add) never see half a file.
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(text)
        os.replace(partial, path)
        written.append(path)
    return written


def _when(moment: str) -> str:
    return moment[:16].replace("T", " ") if moment else ""


def markdown(record: dict) -> str:
    """The figures as a markdown table: a run's, or the merged latest of a scale."""
    if record.get("merged"):
        title = (
            f"Benchmarks, scale `{record['scale']}`: the latest measurement of each figure "
            f"(last updated {_when(record['date'])} UTC), {record['machine']}."
        )
    else:
        when = _when(record["date"])
        title = f"Benchmarks, scale `{record['scale']}`, {when} UTC, {record['machine']}."
    lines = [
        title,
        "Each ratio is measured / ceiling, both timed in the same run on this machine.",
        "",
        "| figure | measured | ceiling | ratio | target ratio | goal met | measured on | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in record["figures"]:
        target = "" if f["target_ratio"] is None else f"<= {f['target_ratio']:g}"
        unit = f.get("unit", "s")
        lines.append(
            f"| {f['figure']} | {shown(f['measured'], unit)} | {shown(f['ceiling'], unit)} "
            f"| {f['ratio']:.2f} | {target} | {'yes' if f['met'] else '**no**'} "
            f"| {_when(f.get('measured_at', record['date']))} | {f['note'].replace('|', '/')} |"
        )
    for error in record["errors"]:
        first = error["error"].strip().splitlines()[-1].replace("|", "/")
        lines.append(
            f"| {error['benchmark']} | failed | | | | **no** "
            f"| {_when(error.get('measured_at', record['date']))} | {first} |"
        )
    return "\n".join(lines) + "\n"


def readme_markers(scale: str) -> tuple[str, str]:
    return f"<!-- bench:{scale}:start -->", f"<!-- bench:{scale}:end -->"


def write_readme(readme: Path, scale: str = "full", directory: Path = RESULTS_DIR) -> None:
    """Put the latest table of a scale into a page (docs/benchmarks.md) between its
    two markers."""
    latest = read_latest(scale, directory)
    if latest is None:
        raise SystemExit(
            f"no {directory / f'latest-{scale}.json'}: run `python -m bench --scale {scale}` first"
        )
    start, end = readme_markers(scale)
    text = readme.read_text()
    if start not in text or end not in text:
        raise SystemExit(f"{readme} has no {start} ... {end} markers to put the table between")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    readme.write_text(f"{before}{start}\n{markdown(latest)}{end}{after}")
