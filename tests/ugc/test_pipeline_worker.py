"""The pipeline in real worker processes over a real broker.

One test, two workers (each start and database flush costs seconds): the first
is killed half-way through a video; the second takes a batch of good and bad
files and the redelivered video. Nothing is duplicated, the good files
succeed, the bad ones fail with reasons, and the worker lives on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import storages

from config.queues import QUEUES
from tests.support import media_files as mf
from tests.support.media_assets import make_asset, make_video_asset, media_cleanup  # noqa: F401
from tests.support.worker import wait_until
from ugc.models import Asset, ProcessingState, Rendition
from ugc.services.pipeline import VIDEO_STEPS, rendition_folder
from ugc.tasks import process_asset

pytestmark = pytest.mark.worker

DONE = (ProcessingState.IN_REVIEW, ProcessingState.FAILED)
# Short limits so the killed worker's message comes back within seconds.
FAST_REDELIVERY = {
    "CELERY_TIME_LIMITS": ",".join(f"{queue}=6:7" for queue in QUEUES),
    "CELERY_VISIBILITY_TIMEOUT": "8",
}
BATCH = [
    "zero bytes",
    "decompression bomb",
    "PNG header claiming 100000x100000",
    "JPEG+ZIP polyglot",
    "truncated JPEG",
    "SVG with script",
    "PNG named .jpg",
    "EXIF-rotated JPEG with GPS",
    "HEIC",
    "CMYK JPEG",
]


def wait_all_done(ids, worker, timeout=90):
    try:
        return wait_until(
            lambda: Asset.objects.filter(pk__in=ids, processing_state__in=DONE).count() == len(ids),
            timeout=timeout,
            interval=0.25,
            what="every asset processed",
        )
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; worker log:\n{worker.log()[-6000:]}") from exc


def test_bad_files_fail_good_ones_succeed_and_a_killed_run_leaves_no_duplicates(
    start_worker,
    producer,
    media_cleanup,  # noqa: F811
    tmp_path,
):
    clip = mf.make_clip(tmp_path / "long.mp4", seconds=10, size="640x480", rate=25)
    video = make_video_asset(clip)
    first = start_worker(**FAST_REDELIVERY)
    process_asset.apply_async((video.pk,), connection=producer)

    # The poster's stills are written; the MP4 encode (a second or two) is under way.
    def stills_done():
        video.refresh_from_db()
        return "renditions" in video.steps_done

    wait_until(stills_done, timeout=60, interval=0.05, what="the stills step")
    first.kill()
    video.refresh_from_db()
    assert "video" not in video.steps_done, "killed before the MP4 was recorded"
    assert video.processing_state == ProcessingState.PROCESSING
    stills_at = video.steps_done["renditions"]

    # The second worker imports the project while the batch is made.
    second = start_worker(wait=False, **FAST_REDELIVERY)
    corpus = {case.label: case for case in mf.bad_corpus()}
    batch = {
        label: make_asset(
            corpus[label].data, filename=corpus[label].filename, mime_type=corpus[label].mime_type
        )
        for label in BATCH
    }
    good = make_asset(mf.jpeg_bytes(mf.photo(1600, 1200, seed=5)), filename="g.jpg", mime_type="")
    second.wait_ready()
    for asset in [*batch.values(), good]:
        process_asset.apply_async((asset.pk,), connection=producer)
    wait_all_done([a.pk for a in batch.values()] + [good.pk, video.pk], second)

    for label, asset in batch.items():
        asset.refresh_from_db()
        expected = ProcessingState.FAILED if corpus[label].expect else ProcessingState.IN_REVIEW
        assert asset.processing_state == expected, (label, asset.failure_reason)
        assert bool(asset.failure_reason) == bool(corpus[label].expect)
    good.refresh_from_db()
    assert good.processing_state == ProcessingState.IN_REVIEW
    assert good.renditions.filter(width=1080).count() == 2
    assert second.process.poll() is None, "the worker survived the batch"
    assert "Traceback" not in second.log()

    # The killed run, redelivered: finished, stills not redone, nothing duplicated.
    video.refresh_from_db()
    assert video.processing_state == ProcessingState.IN_REVIEW, video.failure_reason
    assert set(video.steps_done) == set(VIDEO_STEPS)
    assert video.steps_done["renditions"] == stills_at
    keys = list(video.renditions.values_list("kind", "format", "width"))
    assert len(keys) == len(set(keys))
    assert ("video", "mp4", 640) in keys
    # One file per row in the asset's folder: nothing half-written left behind.
    folder = Path(storages["default"].path(rendition_folder(video)))
    files = sorted(p.name for p in folder.iterdir())
    rows = Rendition.objects.filter(asset=video).values_list("file", flat=True)
    assert files == sorted(Path(name).name for name in rows)
