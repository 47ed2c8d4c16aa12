"""Video through FFmpeg's libraries, in process (PyAV, whose wheel carries them): probe,
poster frame, web MP4. Nothing needs to be installed on the machine besides the wheel.

Every file is opened with the demuxer of its sniffed container, forced, and only as a
local file: FFmpeg must never guess a format (an HLS or concat playlist disguised as a
video would make it read other files or URLs).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
from av.error import FFmpegError, InvalidDataError
from PIL import Image

from ugc.media.errors import MediaRejected, gettext_noop, phrase

DEMUXERS = {"mp4": "mov", "webm": "matroska"}
LOCAL_FILES_ONLY = {"protocol_whitelist": "file"}
# The web MP4's shorter side at most this (720p for landscape and for portrait).
WEB_SHORT_SIDE = 720
# Turning a frame upright by its display rotation (degrees counter-clockwise): as a
# still (Pillow) and in the MP4's filter graph.
TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
FILTERS = {
    90: [("transpose", "cclock")],
    180: [("hflip", ""), ("vflip", "")],
    270: [("transpose", "clock")],
}


@dataclass
class VideoInfo:
    duration: float
    width: int
    height: int
    codec: str
    fps: float | None
    audio_codec: str | None
    rotation: int
    container: str

    def as_dict(self) -> dict:
        return {
            "duration": self.duration,
            "width": self.width,
            "height": self.height,
            "codec": self.codec,
            "fps": self.fps,
            "audio_codec": self.audio_codec,
            "rotation": self.rotation,
            "container": self.container,
        }


def _unreadable(what: str, exc: FFmpegError) -> MediaRejected:
    # strerror, not str(exc): the latter names the worker's temporary file.
    reason = (exc.strerror or type(exc).__name__)[:200]
    return MediaRejected(
        gettext_noop("The video could not be read to %(step)s (%(error)s)."),
        code="corrupt",
        step=phrase(what),
        error=reason,
    )


@contextlib.contextmanager
def _opened(path: Path, container: str, what: str) -> Iterator[av.container.InputContainer]:
    """The file opened for reading; FFmpeg's errors inside become MediaRejected."""
    try:
        box = av.open(
            str(path), format=DEMUXERS.get(container, "mov"), container_options=LOCAL_FILES_ONLY
        )
    except FFmpegError as exc:
        raise _unreadable(what, exc) from exc
    try:
        yield box
    except FFmpegError as exc:
        raise _unreadable(what, exc) from exc
    finally:
        box.close()


def _frames(box, stream, *, deadline: float, timeout: float, what: str) -> Iterator:
    """Decoded frames of one stream; a damaged packet is skipped, as players skip it."""
    for packet in box.demux(stream):
        if time.monotonic() > deadline:
            raise MediaRejected(
                gettext_noop("The video took longer than %(seconds)s s to %(step)s."),
                code="too_slow",
                seconds=round(timeout),
                step=phrase(what),
            )
        try:
            frames = packet.decode()
        except InvalidDataError:
            continue
        yield from frames


def _first_frame(box, stream, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    return next(_frames(box, stream, deadline=deadline, timeout=timeout, what=what), None)


def _rotation(frame) -> int:
    """The frame's display rotation, counter-clockwise, to the nearest quarter turn."""
    return round((frame.rotation or 0) / 90) % 4 * 90


def _duration(box, stream) -> float:
    if box.duration:
        return box.duration / av.time_base
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return 0.0


def probe(
    path: Path,
    *,
    container: str = "mp4",
    max_duration: float,
    max_pixels: int,
    timeout: float = 30,
) -> VideoInfo:
    """Duration, size and codecs of a video, or MediaRejected (unreadable, over a cap).

    The first frame is decoded too: it carries the display rotation, and a video whose
    pictures cannot be decoded is refused here rather than half-way through the MP4."""
    what = gettext_noop("read its format")
    with _opened(path, container, what) as box:
        if not box.streams.video:
            raise MediaRejected(gettext_noop("The file has no video stream."), code="corrupt")
        video = box.streams.video[0]
        audio = box.streams.audio[0] if box.streams.audio else None
        duration = _duration(box, video)
        width, height = video.codec_context.width, video.codec_context.height
        if duration <= 0 or width <= 0 or height <= 0:
            raise MediaRejected(
                gettext_noop("The video has no duration or no picture size."), code="corrupt"
            )
        if duration > max_duration:
            raise MediaRejected(
                gettext_noop("The video is %(seconds)s s long; the limit is %(limit)s s."),
                code="too_long",
                seconds=float(f"{duration:.1f}"),
                limit=round(max_duration),
            )
        if width * height > max_pixels:
            raise MediaRejected(
                gettext_noop(
                    "The video is %(width)sx%(height)s, over the limit of %(limit)s "
                    "megapixels per frame."
                ),
                code="too_many_pixels",
                width=width,
                height=height,
                limit=float(f"{max_pixels / 1e6:.1f}"),
            )
        first = _first_frame(box, video, timeout=timeout, what=what)
        if first is None:
            raise MediaRejected(
                gettext_noop("No picture of the video could be decoded."), code="corrupt"
            )
        rotation = _rotation(first)
        fps = video.average_rate
        info = VideoInfo(
            duration=round(duration, 3),
            width=width,
            height=height,
            codec=video.codec_context.name,
            fps=round(float(fps), 3) if fps else None,
            audio_codec=audio.codec_context.name if audio else None,
            rotation=rotation,
            container=box.format.name,
        )
    if rotation in (90, 270):
        info.width, info.height = height, width
    return info


def poster_frame(
    path: Path, info: VideoInfo, *, container: str = "mp4", timeout: float = 60
) -> Image.Image:
    """A still from a second in (or the middle of a shorter clip), upright, as RGB.

    The frame shown at that time: the last one starting at or before it. A clip whose
    frames all lie before it (one frame in a one-second WebM) gives its first frame."""
    what = gettext_noop("take a poster frame")
    at = min(1.0, info.duration / 2)
    with _opened(path, container, what) as box:
        video = box.streams.video[0]
        start = float((video.start_time or 0) * video.time_base) if video.time_base else 0.0
        frame = None
        with contextlib.suppress(FFmpegError):  # not seekable: read from the start
            box.seek(round((start + at) / video.time_base), stream=video, backward=True)
        deadline = time.monotonic() + timeout
        for decoded in _frames(box, video, deadline=deadline, timeout=timeout, what=what):
            if frame is not None and decoded.time is not None and decoded.time > start + at:
                break
            frame = decoded
    if frame is None:
        with _opened(path, container, what) as box:
            frame = _first_frame(box, box.streams.video[0], timeout=timeout, what=what)
    if frame is None:
        raise MediaRejected(
            gettext_noop("The video has no frame to use as a poster."), code="corrupt"
        )
    im = frame.to_image()
    if info.rotation in TRANSPOSE:
        im = im.transpose(TRANSPOSE[info.rotation])
    return im.convert("RGB")


def web_size(width: int, height: int) -> tuple[int, int]:
    """The web MP4's size for an upright picture: the shorter side at most 720 px, the
    aspect kept, both even (H.264 in 4:2:0 halves each for the colour planes)."""
    short, long = min(width, height), max(width, height)
    new_short = max(2, min(WEB_SHORT_SIDE, short // 2 * 2))
    new_long = max(2, round(long * new_short / short / 2) * 2)
    return (new_long, new_short) if width >= height else (new_short, new_long)


def _upright_scaler(frame, time_base, rotation: int, size: tuple[int, int]):
    """A filter graph turning frames like this one upright, scaled to size, in 4:2:0."""
    graph = av.filter.Graph()
    nodes = [
        graph.add_buffer(
            width=frame.width, height=frame.height, format=frame.format.name, time_base=time_base
        )
    ]
    for name, args in FILTERS.get(rotation, []):
        nodes.append(graph.add(name, args))
    nodes.append(graph.add("scale", f"{size[0]}:{size[1]}:flags=bicubic"))
    nodes.append(graph.add("format", "yuv420p"))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes).configure()
    return graph


def _aac_rate(rate: int) -> int:
    return rate if rate in (av.codec.Codec("aac", "w").audio_rates or ()) else 48000


def web_mp4(
    path: Path,
    out_path: Path,
    info: VideoInfo,
    *,
    container: str = "mp4",
    crf: int = 23,
    preset: str = "veryfast",
    timeout: float = 300,
) -> None:
    """An H.264/AAC MP4, upright, at most 720p, moov atom first (faststart), no metadata
    (nothing of the original's tags, location among them, is copied)."""
    what = gettext_noop("make the web MP4")
    deadline = time.monotonic() + timeout
    size = web_size(info.width, info.height)
    with (
        _opened(path, container, what) as box,
        av.open(
            str(out_path), "w", format="mp4", container_options={"movflags": "+faststart"}
        ) as out,
    ):
        video_in = box.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = box.streams.audio[0] if box.streams.audio else None
        video_out = out.add_stream("libx264", rate=video_in.average_rate or 30)
        video_out.width, video_out.height = size
        video_out.pix_fmt = "yuv420p"
        video_out.time_base = video_in.time_base
        video_out.codec_context.time_base = video_in.time_base
        video_out.options = {"crf": str(crf), "preset": preset}
        audio_out = None
        if audio_in is not None:
            audio_out = out.add_stream("aac", rate=_aac_rate(audio_in.rate or 48000))
            audio_out.layout = "stereo"
            audio_out.bit_rate = 128_000
        streams = [s for s in (video_in, audio_in) if s is not None]
        graph, shape, last_pts, pictures = None, None, None, 0
        for frame in _frames(box, streams, deadline=deadline, timeout=timeout, what=what):
            if isinstance(frame, av.AudioFrame):
                out.mux(audio_out.encode(frame))
                continue
            if (frame.width, frame.height, frame.format.name) != shape:
                shape = (frame.width, frame.height, frame.format.name)
                graph = _upright_scaler(frame, video_in.time_base, info.rotation, size)
            if frame.pts is not None and last_pts is not None and frame.pts <= last_pts:
                continue  # x264 takes only rising timestamps
            frame.pts = frame.pts if frame.pts is not None else (last_pts or 0) + 1
            last_pts = frame.pts
            graph.push(frame)
            out.mux(video_out.encode(graph.pull()))
            pictures += 1
        if not pictures:
            raise MediaRejected(
                gettext_noop("No picture of the video could be decoded."), code="corrupt"
            )
        out.mux(video_out.encode(None))
        if audio_out is not None:
            out.mux(audio_out.encode(None))
