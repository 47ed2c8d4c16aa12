"""The committed workspace build (frontend/ -> workspace/static/workspace/): current with its
source, Chart.js in one shared chunk rather than a copy per bundle, and every chunk a
script imports present."""

from __future__ import annotations

import re

from tests.support.npm_build import fresh_build
from tests.support.procs import ROOT

BUILT = ROOT / "workspace" / "static" / "workspace"
FRONTEND = ROOT / "frontend"
CHART_JS_BANNER = b"Chart.js v"  # the licence comment esbuild keeps with the library


def built_files(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_chart_js_is_in_exactly_one_file():
    holding = [name for name, body in built_files(BUILT).items() if CHART_JS_BANNER in body]
    assert len(holding) == 1, f"Chart.js is bundled in {holding}"
    assert holding[0].startswith("chunks/")


def test_the_library_script_does_not_load_chart_js_up_front():
    workspace = (BUILT / "workspace.js").read_text()
    static_imports = re.findall(r'import[^("]*"(\./chunks/[^"]+)"', workspace)
    chart_chunk = next(n for n, b in built_files(BUILT).items() if CHART_JS_BANNER in b)
    assert f"./{chart_chunk}" not in static_imports
    assert 'import("./chunks/charts-' in workspace  # fetched when a page draws a chart


def test_every_imported_chunk_is_committed():
    for name, body in built_files(BUILT).items():
        if not name.endswith(".js"):
            continue
        for target in re.findall(rb'"\./(?:chunks/)?([\w-]+\.js)"', body):
            found = list(BUILT.rglob(target.decode()))
            assert found, f"{name} imports {target.decode()}, which is not committed"


def test_the_committed_build_is_current(tmp_path):
    fresh_build(FRONTEND, tmp_path)
    fresh, committed = built_files(tmp_path), built_files(BUILT)
    assert sorted(fresh) == sorted(committed), "run `npm run build` in frontend/ and commit"
    for name, body in fresh.items():
        assert committed[name] == body, f"{name} differs: run `npm run build` in frontend/"
