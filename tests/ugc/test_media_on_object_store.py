"""A library on a real S3-compatible store, processed by two worker processes that
share nothing but the database, the broker and the store (each its own DATA_DIR).

One run: the store is down when the work starts (the tasks retry, nothing is
published), comes back, and every asset is processed once across both workers;
the renditions are fetched over HTTP as a browser would; the originals are not
reachable without a presigned URL; erasing the creator removes every object.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest

from core.storage import RENDITION_CACHE_CONTROL
from tests.support import media_files as mf
from tests.support.s3 import Gate, http_get, on_store
from tests.support.worker import wait_until
from ugc.ingest.items import AssetInput
from ugc.models import Asset, Creator, ProcessingState, Rendition
from ugc.services.ingest import ingest
from ugc.services.privacy import erase_creator

pytestmark = pytest.mark.worker
PHOTOS = 10


def local_dirs(node: Path) -> dict[str, str]:
    """A node's own disk: temporary copies of originals (TMPDIR) and the local media
    folders, which on the object store must stay unused. (The embedded PostgreSQL under
    DATA_DIR plays the shared database server.)"""
    for name in ("tmp", "media", "private"):
        (node / name).mkdir(parents=True)
    return {
        "TMPDIR": str(node / "tmp"),
        "MEDIA_ROOT": str(node / "media"),
        "PRIVATE_MEDIA_ROOT": str(node / "private"),
    }


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_two_workers_process_a_library_on_the_store_once_and_erase_removes_it(
    s3_store, start_worker, app_on_broker, monkeypatch, tmp_path
):
    pair = s3_store.buckets()
    _, originals = on_store(monkeypatch, s3_store.env(pair))
    gate = Gate(s3_store)
    gate.down()
    clip = mf.make_clip(tmp_path / "clip.mp4", seconds=1, size="320x240", rate=10)
    files = {f"photo-{n}.jpg": mf.jpeg_bytes(mf.photo(900, 700, seed=n)) for n in range(PHOTOS)}
    files["clip.mp4"] = clip.read_bytes()
    for name, data in files.items():
        outcome = ingest(AssetInput(creator_handle="ann"), file=io.BytesIO(data), filename=name)
        assert outcome.status == "created", outcome.reason
    ids = list(Asset.objects.values_list("pk", flat=True))

    env = s3_store.env(pair, S3_ENDPOINT_URL=gate.endpoint, S3_TIMEOUT_SECONDS="2")
    nodes = [start_worker(wait=False, **env, **local_dirs(tmp_path / f"node-{n}")) for n in (1, 2)]
    workers = [node.wait_ready() for node in nodes]
    wait_until(lambda: all("Retry in" in w.log() for w in workers), 60, what="retries")
    assert not Rendition.objects.exists(), "nothing published while the store is down"
    assert s3_store.keys(pair.media) == []

    gate.up()

    def all_processed():
        states = Counter(Asset.objects.values_list("processing_state", flat=True))
        return states[ProcessingState.IN_REVIEW] == len(ids) or states[ProcessingState.FAILED]

    try:
        wait_until(all_processed, 120, what="every asset processed")
    finally:
        gate.close()
    failed = Asset.objects.filter(processing_state=ProcessingState.FAILED)
    assert not failed.exists(), list(failed.values_list("failure_reason", flat=True))

    def done():
        return [len(re.findall(r"process_asset\[[^]]+\] succeeded", w.log())) for w in workers]

    # A worker logs a task's success just after its commit: the last line may trail.
    wait_until(lambda: all(done()), 10, what="both nodes to log a processed asset")

    rows = Rendition.objects.filter(asset__in=ids)
    keys = [(r.asset_id, r.kind, r.format, r.width) for r in rows]
    assert len(keys) == len(set(keys)), "no duplicate rendition"
    per_asset = Counter(asset_id for asset_id, *_ in keys)
    assert set(per_asset) == set(ids), "no asset without renditions"
    assert s3_store.keys(pair.media) == sorted(r.file.name for r in rows), "no stray object"
    for rendition in rows:
        status, headers, body = http_get(rendition.file.url)
        assert status == 200, rendition.file.url
        assert headers["Cache-Control"] == RENDITION_CACHE_CONTROL
        assert len(body) == rendition.byte_size
    video = Asset.objects.get(original_filename="clip.mp4")
    assert video.renditions.filter(kind="video", format="mp4").exists()

    name = video.original.name
    assert http_get(f"{s3_store.endpoint}/{pair.originals}/{name}")[0] == 403
    assert http_get(originals.url(name))[2] == files["clip.mp4"]
    for node in (1, 2):  # local copies of originals went with their runs; no local media
        assert not [p for p in (tmp_path / f"node-{node}").rglob("*") if p.is_file()]

    erase_creator(Creator.objects.get(handle="ann"))
    assert s3_store.keys(pair.media) == []
    assert s3_store.keys(pair.originals) == []
