"""The committed widget: within its size budget, current with its source, and served
with the right cache headers (a short cache at the stable URL, forever when hashed)."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from django.test import Client, override_settings

from tests.support.npm_build import fresh_build
from tests.support.procs import ROOT
from ugc.delivery.render import LOADER_PATH

STATIC = ROOT / "ugc" / "static" / "ugc"
WIDGET = ROOT / "widget"
MAX_GZIP_BYTES = 12 * 1024


def manifest() -> dict:
    return json.loads((STATIC / "ugc-gallery.manifest.json").read_text())


def test_the_bundle_is_at_most_12_kb_gzipped():
    bundle = (STATIC / "ugc-gallery.js").read_bytes()
    size = len(gzip.compress(bundle, compresslevel=9))
    assert size <= MAX_GZIP_BYTES, f"{size} bytes gzipped; the budget is {MAX_GZIP_BYTES}"


def test_the_hashed_copy_is_the_bundle_and_the_only_one():
    bundle = (STATIC / "ugc-gallery.js").read_bytes()
    name = manifest()["file"]
    assert name == f"ugc-gallery.{hashlib.sha256(bundle).hexdigest()[:12]}.js"
    assert (STATIC / name).read_bytes() == bundle
    hashed = [p.name for p in STATIC.glob("ugc-gallery.*.js")]
    assert hashed == [name], "a stale hashed copy was left behind"


def test_the_loader_path_is_the_stable_bundle():
    assert LOADER_PATH == "/static/ugc/ugc-gallery.js"


def test_the_committed_build_is_current(tmp_path):
    fresh_build(WIDGET, tmp_path)
    for built in tmp_path.iterdir():
        committed = STATIC / built.name
        assert committed.exists(), f"{built.name} is not committed: run `npm run build` in widget/"
        assert committed.read_bytes() == built.read_bytes(), (
            f"{built.name} differs from widget/src: run `npm run build` in widget/ and commit"
        )


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_the_stable_url_is_short_cached_and_the_hashed_one_immutable():
    client = Client()
    stable = client.get(LOADER_PATH)
    assert stable.status_code == 200
    assert "javascript" in stable["Content-Type"]
    max_age = int(re.search(r"max-age=(\d+)", stable["Cache-Control"])[1])
    assert max_age <= 300 and "immutable" not in stable["Cache-Control"]

    hashed = client.get(f"/static/ugc/{manifest()['file']}")
    assert hashed.status_code == 200
    assert "immutable" in hashed["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", hashed["Cache-Control"])[1]) >= 31536000
    assert b"".join(hashed.streaming_content) == (STATIC / "ugc-gallery.js").read_bytes()
