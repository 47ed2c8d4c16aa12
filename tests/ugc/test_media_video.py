"""Video through FFmpeg's libraries (PyAV) on clips the tests make with them."""

from __future__ import annotations

import pytest

from tests.support import media_files as mf
from ugc.media import MediaRejected, video
from ugc.media.sniff import sniff


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return mf.make_clip(tmp_path_factory.mktemp("video") / "clip.mov", seconds=1.0)


def test_probe_reads_duration_size_and_codecs(clip):
    info = video.probe(clip, max_duration=60, max_pixels=10**7)
    assert 0.9 <= info.duration <= 1.1
    assert (info.width, info.height) == (320, 240)
    assert info.codec == "h264" and info.audio_codec == "aac"
    assert info.fps == 15


def test_caps_refuse_long_and_huge_videos(clip):
    with pytest.raises(MediaRejected, match=r"1.0 s long; the limit is 0 s") as caught:
        video.probe(clip, max_duration=0.5, max_pixels=10**7)
    assert caught.value.code == "too_long"
    with pytest.raises(MediaRejected, match="megapixels per frame"):
        video.probe(clip, max_duration=60, max_pixels=1000)


def test_poster_frame_is_an_rgb_still(clip):
    info = video.probe(clip, max_duration=60, max_pixels=10**7)
    frame = video.poster_frame(clip, info)
    assert frame.mode == "RGB" and frame.size == (320, 240)


def test_web_mp4_is_h264_aac_faststart_without_location(clip, tmp_path):
    assert b"52.5200" in clip.read_bytes()
    out = tmp_path / "web.mp4"
    video.web_mp4(clip, out, video.probe(clip, max_duration=60, max_pixels=10**7))
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: the index comes first
    assert b"52.5200" not in data
    info = video.probe(out, max_duration=60, max_pixels=10**7)
    assert info.codec == "h264" and info.audio_codec == "aac"


def test_web_mp4_is_at_most_720p(tmp_path):
    big = mf.make_clip(tmp_path / "big.mp4", seconds=0.4, size="1440x1080", rate=5, audio=False)
    out = tmp_path / "web.mp4"
    video.web_mp4(big, out, video.probe(big, max_duration=60, max_pixels=10**8))
    info = video.probe(out, max_duration=60, max_pixels=10**8)
    assert (info.width, info.height) == (960, 720)
    assert info.audio_codec is None
    portrait = mf.make_clip(tmp_path / "p.mp4", seconds=0.4, size="1080x1920", rate=5, audio=False)
    video.web_mp4(portrait, out, video.probe(portrait, max_duration=60, max_pixels=10**8))
    info = video.probe(out, max_duration=60, max_pixels=10**8)
    assert (info.width, info.height) == (720, 1280)


def test_unreadable_video_gives_a_reason(clip, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:2000])
    with pytest.raises(MediaRejected, match="could not be read to read its format") as caught:
        video.probe(broken, max_duration=60, max_pixels=10**7)
    assert caught.value.code == "corrupt"
    assert str(tmp_path) not in str(caught.value)  # no worker paths in a reason


def test_web_mp4_is_made_without_any_ffmpeg_program(clip, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "web.mp4"
    info = video.probe(clip, max_duration=60, max_pixels=10**7)
    video.web_mp4(clip, out, info)
    assert video.poster_frame(out, info).size == (320, 240)


def test_webm_is_read_with_its_own_demuxer(tmp_path):
    webm = mf.write_clip(
        tmp_path / "clip.webm",
        "testsrc=size=160x120:rate=5:duration=0.4",
        rate=5,
        codec="libvpx-vp9",
    )
    assert sniff(webm.read_bytes()[:4096], filename="clip.webm").format == "webm"
    info = video.probe(webm, container="webm", max_duration=60, max_pixels=10**7)
    assert info.codec == "vp9" and (info.width, info.height) == (160, 120)
    # Forced demuxers: the same bytes as "mp4" are not guessed into something else.
    with pytest.raises(MediaRejected):
        video.probe(webm, container="mp4", max_duration=60, max_pixels=10**7)


def test_a_one_frame_webm_gets_its_only_frame_as_poster(tmp_path):
    # One frame lasting a second: the poster's time (half a second) is past every frame.
    webm = mf.write_clip(
        tmp_path / "one.webm", "testsrc=size=64x48:rate=1:duration=1", rate=1, codec="libvpx"
    )
    info = video.probe(webm, container="webm", max_duration=60, max_pixels=10**7)
    assert info.duration >= 0.9
    frame = video.poster_frame(webm, info, container="webm")
    assert frame.size == (64, 48) and frame.getextrema() != ((0, 0), (0, 0), (0, 0))
    out = tmp_path / "web.mp4"
    video.web_mp4(webm, out, info, container="webm")
    assert video.probe(out, max_duration=60, max_pixels=10**7).codec == "h264"


def test_a_playlist_posing_as_a_video_never_reaches_ffmpeg():
    playlist = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n"
    with pytest.raises(MediaRejected) as caught:
        sniff(playlist, filename="clip.mp4", mime_type="video/mp4")
    assert caught.value.code == "unsupported_format"


# A phone's portrait clip: landscape pixels (red left, blue right) and a display matrix
# of 90 degrees counter-clockwise, so players show it 180x320 with the blue half on top.
@pytest.fixture(scope="module")
def rotated_clip(tmp_path_factory):
    return mf.make_rotated_clip(tmp_path_factory.mktemp("video") / "portrait.mp4", rotation=90)


def test_probe_gives_a_rotated_clip_its_upright_size(rotated_clip):
    info = video.probe(rotated_clip, max_duration=60, max_pixels=10**7)
    assert info.rotation == 90
    assert (info.width, info.height) == (180, 320)


def test_poster_of_a_rotated_clip_is_upright(rotated_clip):
    info = video.probe(rotated_clip, max_duration=60, max_pixels=10**7)
    frame = video.poster_frame(rotated_clip, info)
    assert frame.size == (180, 320)
    assert mf.shows_rotated_clip_upright(frame)


def test_web_mp4_of_a_rotated_clip_is_upright_pixels_without_a_matrix(rotated_clip, tmp_path):
    out = tmp_path / "web.mp4"
    video.web_mp4(rotated_clip, out, video.probe(rotated_clip, max_duration=60, max_pixels=10**7))
    info = video.probe(out, max_duration=60, max_pixels=10**7)
    # Turned in its pixels, and no matrix left to make a player turn it a second time.
    assert info.rotation == 0
    assert (info.width, info.height) == (180, 320)
    assert mf.shows_rotated_clip_upright(video.poster_frame(out, info))


def test_a_transcode_over_its_time_fails_with_a_reason(clip, tmp_path):
    info = video.probe(clip, max_duration=60, max_pixels=10**7)
    with pytest.raises(MediaRejected, match="took longer than 0 s to make the web MP4") as caught:
        video.web_mp4(clip, tmp_path / "web.mp4", info, timeout=0)
    assert caught.value.code == "too_slow"
