"""The real-world videos (../shared/realworld/video, see its README) through a real worker.

Each is processed (poster stills and a 720p H.264/AAC MP4, upright, without the
phone's location) or fails with a reason a person can read; none is left stuck.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.realworld.corpus import require as corpus
from tests.support.media_assets import make_video_asset, media_cleanup  # noqa: F401
from tests.support.worker import wait_until
from ugc.models import Asset, ProcessingState, RenditionKind
from ugc.tasks import process_asset

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[2]
DONE = (ProcessingState.IN_REVIEW, ProcessingState.FAILED)
# name: (claimed MIME, None to be processed or the words its failure reason must hold)
EXPECTED = {
    "iphone_rotated.mov": ("video/quicktime", None),
    "small_webm.webm": ("video/webm", None),
    "small_Mpeg4.mp4": ("video/mp4", "no video stream"),
    "small_mp4-with-audio.mp4": ("video/mp4", "no video stream"),
}


def read_rendition(rendition) -> bytes:
    with rendition.file.open("rb") as f:
        return f.read()


# One broker is enough: what is under test is the media, not the transport.
@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_real_world_videos_on_a_worker(start_worker, producer, media_cleanup):  # noqa: F811
    folder = corpus("video")
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED), "corpus changed"
    assets = {
        name: make_video_asset(folder / name, filename=name, mime_type=mime)
        for name, (mime, _) in EXPECTED.items()
    }
    worker = start_worker()
    for asset in assets.values():
        process_asset.apply_async((asset.pk,), connection=producer)
    ids = [a.pk for a in assets.values()]
    wait_until(
        lambda: Asset.objects.filter(pk__in=ids, processing_state__in=DONE).count() == len(ids),
        timeout=120,
        interval=0.25,
        what="every real-world video processed",
    )
    for name, (_, reason) in EXPECTED.items():
        asset = assets[name]
        asset.refresh_from_db()
        if reason is None:
            assert asset.processing_state == ProcessingState.IN_REVIEW, (name, asset.failure_reason)
            mp4 = asset.renditions.get(kind=RenditionKind.VIDEO)
            assert mp4.format == "mp4" and min(mp4.width, mp4.height) <= 720, name
            assert asset.renditions.filter(kind=RenditionKind.IMAGE).exists(), name
        else:
            assert asset.processing_state == ProcessingState.FAILED, name
            assert reason in asset.failure_reason.lower(), (name, asset.failure_reason)
            assert not asset.renditions.exists(), name
    assert worker.process.poll() is None, "the worker survived the corpus"
    assert "Traceback" not in worker.log()

    # The iPhone clip: stored 568x320 with a -90 degree matrix, so shown portrait.
    phone = assets["iphone_rotated.mov"]
    assert (phone.width, phone.height) == (320, 568)
    assert phone.media_info["codec"] == "h264" and phone.media_info["audio_codec"] == "aac"
    assert 2.1 <= phone.duration_seconds <= 2.3
    mp4 = phone.renditions.get(kind=RenditionKind.VIDEO)
    assert (mp4.width, mp4.height) == (320, 568)
    data = read_rendition(mp4)
    assert data.find(b"moov") < data.find(b"mdat"), "faststart: the index comes first"
    original = (folder / "iphone_rotated.mov").read_bytes()
    for tag in (b"+40.7248-073.9883", b"ISO6709", b"iPhone 4S"):
        assert tag in original and tag not in data, tag
    for still in phone.renditions.filter(kind=RenditionKind.IMAGE):
        assert still.height > still.width, (still.format, still.width, still.height)
        assert b"40.7248" not in read_rendition(still)

    # The one-frame WebM: its only frame is the poster, its 8x8 picture the MP4.
    webm = assets["small_webm.webm"]
    assert (webm.width, webm.height) == (8, 8) and webm.media_info["codec"] == "vp8"
    still = webm.renditions.filter(kind=RenditionKind.IMAGE, format="jpeg").first()
    with still.file.open("rb") as f:
        assert Image.open(f).size == (8, 8)
    mp4 = webm.renditions.get(kind=RenditionKind.VIDEO)
    assert (mp4.width, mp4.height) == (8, 8)
