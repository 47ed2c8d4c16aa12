"""The benchmark command's record: what it writes is what it measured."""

import json

from bench.registry import Result
from bench.report import Run


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
    assert "| fast path | 2.0 ms | 4.0 ms | 0.50 | <= 1 | yes | p95 |" in table
    assert "| broken | failed |" in table and "RuntimeError: no wrk" in table
