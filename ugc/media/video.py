"""Video through ffprobe and ffmpeg subprocesses: probe, poster frame, web MP4.

ffmpeg is optional on a machine: without it every function here raises
MediaRejected with a reason that says so, and images keep working.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ugc.media.errors import MediaRejected

NO_FFMPEG = (
    "Video processing needs ffmpeg and ffprobe, which are not installed on this worker "
    "(install Debian's ffmpeg package)."
)


def tool(name: str, configured: str = "") -> str:
    """The path of ffmpeg/ffprobe, or MediaRejected if it is not installed."""
    path = shutil.which(configured or name)
    if not path:
        raise MediaRejected(NO_FFMPEG, code="no_ffmpeg")
    return path


def _run(args: list[str], *, timeout: float, what: str) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603  (fixed argument list, no shell)
            args, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaRejected(f"ffmpeg took longer than {timeout:.0f} s to {what}.") from exc
    except OSError as exc:
        raise MediaRejected(NO_FFMPEG, code="no_ffmpeg") from exc
    if done.returncode != 0:
        last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
        raise MediaRejected(
            f"The video could not be read by ffmpeg to {what} ({last[:200]}).", code="corrupt"
        )
    return done.stdout


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


def _fps(rate: str) -> float | None:
    try:
        num, _, den = rate.partition("/")
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return round(value, 3) if value > 0 else None


# The demuxer for each sniffed container, forced: ffmpeg must never guess a format
# (an HLS or concat playlist disguised as a video would make it read other files or
# URLs). Only local files may be opened.
DEMUXERS = {"mp4": "mov", "webm": "matroska"}


def _input(path: Path, container: str) -> list[str]:
    return ["-protocol_whitelist", "file", "-f", DEMUXERS.get(container, "mov"), "-i", str(path)]


def probe(
    path: Path,
    *,
    container: str = "mp4",
    ffprobe: str = "",
    max_duration: float,
    max_pixels: int,
    timeout: float = 30,
) -> VideoInfo:
    """Duration, size and codecs of a video, or MediaRejected (unreadable, over a cap)."""
    out = _run(
        [
            tool("ffprobe", ffprobe),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            *_input(path, container),
        ],
        timeout=timeout,
        what="read its format",
    )
    try:
        data = json.loads(out or b"{}")
    except ValueError as exc:
        raise MediaRejected("ffprobe gave no readable description of the video.") from exc
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None:
        raise MediaRejected("The file has no video stream.", code="corrupt")
    try:
        duration = float(data.get("format", {}).get("duration") or video.get("duration") or 0)
    except ValueError:
        duration = 0.0
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if duration <= 0 or width <= 0 or height <= 0:
        raise MediaRejected("The video has no duration or no picture size.", code="corrupt")
    rotation = 0
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            rotation = int(float(side["rotation"])) % 360
    rotation = rotation or int(float((video.get("tags") or {}).get("rotate", 0) or 0)) % 360
    if duration > max_duration:
        raise MediaRejected(
            f"The video is {duration:.1f} s long; the limit is {max_duration:.0f} s.",
            code="too_long",
        )
    if width * height > max_pixels:
        raise MediaRejected(
            f"The video is {width}x{height}, over the limit of {max_pixels / 1e6:.1f} "
            "megapixels per frame.",
            code="too_many_pixels",
        )
    if rotation in (90, 270):
        width, height = height, width
    return VideoInfo(
        duration=round(duration, 3),
        width=width,
        height=height,
        codec=str(video.get("codec_name") or "unknown"),
        fps=_fps(str(video.get("avg_frame_rate") or "")),
        audio_codec=str(audio.get("codec_name")) if audio else None,
        rotation=rotation,
        container=str(data.get("format", {}).get("format_name") or ""),
    )


def poster_frame(
    path: Path, info: VideoInfo, *, container: str = "mp4", ffmpeg: str = "", timeout: float = 60
) -> Image.Image:
    """A still from a second in (or the middle of a shorter clip), upright, as RGB."""
    at = min(1.0, info.duration / 2)
    out = _run(
        [
            tool("ffmpeg", ffmpeg),
            "-v",
            "error",
            "-nostdin",
            "-ss",
            f"{at:.3f}",
            *_input(path, container),
            "-frames:v",
            "1",
            "-map_metadata",
            "-1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
        timeout=timeout,
        what="take a poster frame",
    )
    if not out:
        raise MediaRejected("ffmpeg found no frame to use as a poster.", code="corrupt")
    im = Image.open(io.BytesIO(out), formats=["PNG"])
    im.load()
    return im.convert("RGB")


# The shorter side at most 720 px (720p for landscape and for portrait), even dimensions.
SCALE_720 = (
    "scale=w='if(gte(iw,ih),-2,min(720,trunc(iw/2)*2))'"
    ":h='if(gte(iw,ih),min(720,trunc(ih/2)*2),-2)'"
)


def web_mp4(
    path: Path,
    out_path: Path,
    *,
    container: str = "mp4",
    ffmpeg: str = "",
    crf: int = 23,
    preset: str = "veryfast",
    timeout: float = 300,
) -> None:
    """An H.264/AAC MP4, at most 720p, moov atom first (faststart), no metadata."""
    _run(
        [
            tool("ffmpeg", ffmpeg),
            "-v",
            "error",
            "-nostdin",
            "-y",
            *_input(path, container),
            "-map",
            "0:v:0",
            "-map",
            "0:a:0?",
            "-map_metadata",
            "-1",
            "-map_chapters",
            "-1",
            "-vf",
            SCALE_720,
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(out_path),
        ],
        timeout=timeout,
        what="make the web MP4",
    )
