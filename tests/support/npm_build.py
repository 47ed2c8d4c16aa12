"""A fresh build of one of the committed npm bundles (widget/, frontend/), to compare
with what is committed; skips when node and npm are not installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def fresh_build(project: Path, outdir: Path) -> None:
    """`node build.mjs --outdir outdir` in project, after `npm ci` if it never ran."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not (node and npm):
        pytest.skip("node and npm are not installed: the committed build is served as is")
    if not (project / "node_modules" / "esbuild").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=project,
            check=True,
            capture_output=True,
            timeout=300,
        )
    subprocess.run(
        [node, "build.mjs", "--outdir", str(outdir)],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=120,
    )
