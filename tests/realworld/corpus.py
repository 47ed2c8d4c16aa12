"""Where the real-world corpus is (../shared/realworld, see its README.md), and what it expects.

The corpus is data collected from public sources, kept beside the repository
rather than in it. A test that needs it fails in CI when it is missing (a
corpus that quietly stops being read tests nothing) and is skipped elsewhere,
saying where it looked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    """REALWORLD_DIR if set, else <repository root>/../shared/realworld."""
    configured = os.environ.get("REALWORLD_DIR")
    return Path(configured) if configured else ROOT.parent / "shared" / "realworld"


def require(*parts: str) -> Path:
    """A folder or file of the corpus; fails the test in CI when it is missing, else skips."""
    path = corpus_dir().joinpath(*parts)
    if not path.exists():
        message = (
            f"the real-world corpus is missing: looked for {path} (set REALWORLD_DIR to its folder)"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def image_expectations() -> dict[str, str]:
    """File name in images/ -> "accept", "reject" or "any" (expected.json)."""
    document = json.loads(require("expected.json").read_text())
    return {name: entry["expect"] for name, entry in document["images"].items()}


def reference_for(name: str) -> Path | None:
    """What an accepted image's rendition must look like, when the corpus gives one:
    the references of expected.json (colours), and hopper.jpg for the orientation files."""
    document = json.loads(require("expected.json").read_text())
    if name in document["references"]:
        return require(document["references"][name])
    if name.startswith("hopper_orientation_"):
        return require("images", "hopper.jpg")
    return None
