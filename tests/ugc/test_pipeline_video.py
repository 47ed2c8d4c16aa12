"""Video assets through the pipeline service (FFmpeg's libraries in process, real database)."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.support import media_files as mf
from tests.support.media_assets import make_asset, make_video_asset, media_storage  # noqa: F401
from ugc.models import ProcessingState, RenditionKind
from ugc.services import pipeline

pytestmark = pytest.mark.django_db


def run(asset):
    pipeline.process(asset.pk)
    asset.refresh_from_db()
    return asset


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return mf.make_clip(tmp_path_factory.mktemp("video") / "clip.mov", seconds=1.0)


def test_a_video_gets_a_web_mp4_and_poster_stills(clip, media_storage):  # noqa: F811
    asset = run(make_video_asset(clip, filename="IMG_0042.MOV", mime_type="video/quicktime"))
    assert asset.processing_state == ProcessingState.IN_REVIEW, asset.failure_reason
    assert set(asset.steps_done) == set(pipeline.VIDEO_STEPS)
    assert asset.media_type == "video" and asset.mime_type == "video/quicktime"
    assert 0.9 <= asset.duration_seconds <= 1.1
    assert (asset.width, asset.height) == (320, 240)
    assert asset.media_info["codec"] == "h264"
    assert asset.perceptual_hash is not None and asset.placeholder
    videos = list(asset.renditions.filter(kind=RenditionKind.VIDEO))
    assert [(v.format, v.width, v.height) for v in videos] == [("mp4", 320, 240)]
    data = videos[0].file.read()
    videos[0].file.close()
    assert b"52.5200" not in data and data.find(b"moov") < data.find(b"mdat")
    stills = asset.renditions.filter(kind=RenditionKind.IMAGE)
    assert {r.format for r in stills} >= {"webp", "jpeg"}
    assert {r.width for r in stills} == {320}

    # Reprocessing replaces, never adds.
    count = asset.renditions.count()
    pipeline.reprocess([asset.pk])
    assert run(asset).renditions.count() == count


def test_a_video_over_the_caps_is_refused(clip, media_storage, settings):  # noqa: F811
    settings.MEDIA_MAX_VIDEO_SECONDS = 0
    long = run(make_video_asset(clip))
    assert long.processing_state == ProcessingState.FAILED
    assert "the limit is 0 s" in long.failure_reason
    settings.MEDIA_MAX_VIDEO_SECONDS = 180
    settings.MEDIA_MAX_VIDEO_BYTES = 1000
    big = run(make_video_asset(clip))
    assert big.processing_state == ProcessingState.FAILED
    assert "MB" in big.failure_reason and "limit" in big.failure_reason


def test_a_broken_video_fails_with_a_reason(clip, media_storage):  # noqa: F811
    asset = run(
        make_asset(clip.read_bytes()[:3000], filename="cut.mov", mime_type="video/quicktime")
    )
    assert asset.processing_state == ProcessingState.FAILED
    assert "could not be read" in asset.failure_reason
    assert not asset.renditions.exists()


def test_a_rotated_phone_clip_comes_out_portrait_and_upright(media_storage, tmp_path):  # noqa: F811
    # Landscape pixels, red left and blue right, shown turned 90 degrees counter-clockwise.
    clip = mf.make_rotated_clip(tmp_path / "portrait.mp4", rotation=90)
    asset = run(make_video_asset(clip, filename="IMG_0100.mp4"))
    assert asset.processing_state == ProcessingState.IN_REVIEW, asset.failure_reason
    assert (asset.width, asset.height) == (180, 320)
    assert asset.media_info["rotation"] == 90
    video_rendition = asset.renditions.get(kind=RenditionKind.VIDEO)
    assert (video_rendition.width, video_rendition.height) == (180, 320)
    for still in asset.renditions.filter(kind=RenditionKind.IMAGE):
        assert still.height > still.width, (still.format, still.width, still.height)
        with still.file.open("rb") as f:
            im = Image.open(f)
            im.load()
        assert mf.shows_rotated_clip_upright(im), (still.format, still.width)
