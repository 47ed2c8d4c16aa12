"""The benchmark command's record: what it writes is what it measured."""

import json
import multiprocessing
from pathlib import Path

import pytest

from bench.registry import Result
from bench.report import Run, write_readme


def test_a_run_writes_each_figure_with_its_ceiling_ratio_and_verdict(tmp_path):
    run = Run(scale="small")
    run.add("fast", Result("fast path", 0.002, 0.004, target_ratio=1.0, note="p95"))
    run.add("slow", Result("slow path", 0.030, 0.010, target_ratio=2.0))
    run.add("goal", Result("recall", 0.010, 0.010, target_ratio=float("inf"), goals_met=False))
    run.failed("broken", "Traceback ...\nRuntimeError: no wrk")
    paths = run.write(tmp_path)

    assert {p.name for p in paths} >= {"latest-small.json", "latest-small.md"}
    data = json.loads((tmp_path / "latest-small.json").read_text())
    by_name = {f["benchmark"]: f for f in data["figures"]}
    assert by_name["fast"]["ratio"] == 0.5 and by_name["fast"]["met"] is True
    assert by_name["slow"]["ratio"] == 3.0 and by_name["slow"]["met"] is False
    assert by_name["goal"]["target_ratio"] is None and by_name["goal"]["met"] is False
    assert data["errors"][0]["benchmark"] == "broken"
    assert not run.all_met
    table = (tmp_path / "latest-small.md").read_text()
    when = run.figures[0]["measured_at"][:16].replace("T", " ")
    assert f"| fast path | 2.0 ms | 4.0 ms | 0.50 | <= 1 | yes | {when} | p95 |" in table
    assert "| broken | failed |" in table and "RuntimeError: no wrk" in table


def _run(scale: str, **ratios: float) -> Run:
    run = Run(scale=scale)
    for name, ratio in ratios.items():
        run.add(name, Result(f"{name} figure", ratio / 100, 0.01, target_ratio=1.0))
    return run


def test_latest_keeps_each_benchmarks_most_recent_figure_and_when_it_was_measured(tmp_path):
    first = _run("full", alpha=0.5, beta=3.0)
    first.write(tmp_path)
    second = _run("full", beta=0.8, gamma=0.2)
    second.failed("alpha", "Traceback ...\nRuntimeError: server gone")
    second.write(tmp_path, order=["gamma", "beta", "alpha"])

    latest = json.loads((tmp_path / "latest-full.json").read_text())
    rows = {f["benchmark"]: f for f in latest["figures"]}
    assert list(rows) == ["gamma", "beta", "alpha"]
    assert round(rows["beta"]["ratio"], 6) == 0.8 and rows["beta"]["met"] is True
    # alpha's last good figure stays, dated by the first run, beside its newer failure.
    assert rows["alpha"]["measured_at"] == first.figures[0]["measured_at"]
    assert [e["benchmark"] for e in latest["errors"]] == ["alpha"]
    table = (tmp_path / "latest-full.md").read_text()
    assert "| measured on |" in table and "RuntimeError: server gone" in table
    # Each run's own file holds only what it measured.
    dated = [p for p in tmp_path.glob("2*-full.json")]
    assert sorted(len(json.loads(p.read_text())["figures"]) for p in dated) in ([2, 2], [2])

    third = _run("full", alpha=0.4)
    third.write(tmp_path)
    latest = json.loads((tmp_path / "latest-full.json").read_text())
    assert latest["errors"] == []
    assert {f["benchmark"] for f in latest["figures"]} == {"alpha", "beta", "gamma"}


def test_rows_from_before_figures_had_dates_take_the_files_date(tmp_path):
    old = _run("full", alpha=0.5).as_json()
    for figure in old["figures"]:
        del figure["measured_at"]
    old["date"] = "2026-01-02T03:04:05+00:00"
    (tmp_path / "latest-full.json").write_text(json.dumps(old))
    _run("full", beta=0.5).write(tmp_path)
    rows = {
        f["benchmark"]: f
        for f in json.loads((tmp_path / "latest-full.json").read_text())["figures"]
    }
    assert rows["alpha"]["measured_at"] == "2026-01-02T03:04:05+00:00"
    assert "| 2026-01-02 03:04 |" in (tmp_path / "latest-full.md").read_text()


def _write_one(directory: str, name: str) -> None:
    _run("small", **{name: 0.5}).write(Path(directory))


def test_runs_writing_at_once_lose_no_figure(tmp_path):
    names = [f"bench_{i}" for i in range(12)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        pool.starmap(_write_one, [(str(tmp_path), name) for name in names])
    latest = json.loads((tmp_path / "latest-small.json").read_text())
    assert sorted(f["benchmark"] for f in latest["figures"]) == sorted(names)


def test_readme_gets_the_latest_table_between_its_markers(tmp_path):
    _run("full", alpha=0.5).write(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n<!-- bench:full:start -->\nold table\n<!-- bench:full:end -->\n\nrest\n"
    )
    write_readme(readme, "full", tmp_path)
    text = readme.read_text()
    assert "old table" not in text and "| alpha figure | 5.0 ms | 10.0 ms | 0.50 |" in text
    assert text.startswith("# x\n\n<!-- bench:full:start -->\nBenchmarks, scale `full`")
    assert text.endswith("<!-- bench:full:end -->\n\nrest\n")
    write_readme(readme, "full", tmp_path)
    assert readme.read_text() == text

    readme.write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        write_readme(readme, "full", tmp_path)
