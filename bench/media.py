"""The still-image pipeline against Pillow's draft-mode decode of the same files.

Files: 12 MP phone JPEGs as a phone writes them (4032x3024 pixels with EXIF
orientation 6, so 3024x4032 upright; quality 90; gradients, shapes, texture
and sensor noise), generated once and kept under $DATA_DIR/bench/media.

Ceiling: Pillow decoding each file at the largest rendition size with draft
mode (libjpeg's DCT scaling), nothing else. Measured: what the pipeline's
steps do for a still (ugc.media: sniff, decode once, one resize, orientation,
every rendition of the current settings encoded, pHash, blurhash, colours,
quality measures), with the settings the workers use. The issue's goal is a
throughput of at least half the ceiling's: measured/ceiling time <= 2. Both are
timed in CPU seconds of the one process (images per second per core), best of
interleaved rounds; the two-process figure is wall-clock throughput.

The straightforward way (full decode, Lanczos from full size for each width,
WebP at Pillow's default effort) is run once as the visual reference: the
note gives the SSIM of our renditions against its renditions.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageDraw

from bench.registry import Result, benchmark
from ugc.media.image import (
    ORIENTATION_TRANSPOSE,
    RenditionSettings,
    avif_available,
    encode,
    make_renditions,
    open_picture,
)
from ugc.media.measures import measure_picture
from ugc.media.sniff import sniff

FILES = 4
ROUNDS = 5
STORED = (4032, 3024)  # the sensor's landscape; orientation 6 makes it 3024x4032


def _phone_jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    w, h = STORED
    sw, sh = w // 8, h // 8
    y, x = np.mgrid[0:sh, 0:sw].astype(np.float32)
    base = np.stack(
        [
            x / sw * 150 + 50 + rng.uniform(-30, 30),
            y / sh * 120 + 60,
            (x + y) / (sw + sh) * 140 + 40,
        ],
        -1,
    )
    blobs = rng.normal(128, 25, (sh // 8, sw // 8, 3)).clip(0, 255).astype(np.uint8)
    blobs = np.asarray(
        Image.fromarray(blobs).resize((sw, sh), Image.Resampling.BICUBIC), np.float32
    )
    small = Image.fromarray(np.clip(base + blobs - 128, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(small)
    for _ in range(60):
        x0, y0, size = int(rng.integers(0, sw)), int(rng.integers(0, sh)), int(rng.integers(8, 120))
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x0, y0, x0 + size, y0 + int(size * rng.uniform(0.5, 1.5))], fill=color)
    im = small.resize((w, h), Image.Resampling.BICUBIC)
    grain = rng.normal(0, 7, (h, w, 1)).astype(np.float32)  # texture and sensor noise
    im = Image.fromarray(np.clip(np.asarray(im, np.float32) + grain, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "BenchPhone"
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def corpus() -> list[bytes]:
    folder = Path(settings.DATA_DIR) / "bench" / "media"
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for seed in range(FILES):
        path = folder / f"phone-{seed}.jpg"
        if not path.exists():
            path.write_bytes(_phone_jpeg(seed))
        files.append(path.read_bytes())
    return files


def rendition_settings() -> RenditionSettings:
    from ugc.services.pipeline import rendition_settings as current

    return current()


def ceiling_once(data: bytes, width: int) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.draft("RGB", (1, width))  # upright width = stored height (orientation 6)
    im.load()
    return im


def pipeline_once(data: bytes, rs: RenditionSettings):
    sniffed = sniff(data, filename="IMG_0001.JPG", mime_type="image/jpeg")
    picture = open_picture(
        data,
        sniffed,
        max_pixels=settings.MEDIA_MAX_IMAGE_PIXELS,
        target_width=max(rs.widths),
        resample=rs.resample,
    )
    renditions = make_renditions(picture, rs)
    measure_picture(picture)
    return renditions


def stage_times(data: bytes, rs: RenditionSettings, rounds: int = 5) -> dict[str, float]:
    """Best seconds of each step of pipeline_once on its own, to show where the time goes."""
    import dataclasses

    def best(fn) -> float:
        return min(_timed(fn) for _ in range(rounds))

    def opened():
        sniffed = sniff(data, filename="IMG_0001.JPG", mime_type="image/jpeg")
        return open_picture(
            data,
            sniffed,
            max_pixels=settings.MEDIA_MAX_IMAGE_PIXELS,
            target_width=max(rs.widths),
            resample=rs.resample,
        )

    picture = opened()
    sizes = sorted(rs.widths, reverse=True)[1:]

    def smaller():
        picture._cache.clear()
        for width in sizes:
            picture.at_width(width)

    times = {
        "sniff": best(lambda: sniff(data, filename="IMG_0001.JPG", mime_type="image/jpeg")),
        "decode+resize+orient": best(opened),
        "smaller sizes": best(smaller),
    }
    for fmt in rs.formats:
        only = dataclasses.replace(rs, formats=(fmt,))
        times[f"{fmt} encodes"] = best(lambda only=only: make_renditions(picture, only))
    times["measures"] = best(lambda: measure_picture(picture))
    return times


def straightforward_once(data: bytes, rs: RenditionSettings) -> dict:
    """The slow way: full decode, Lanczos from full size per width, default WebP effort."""
    im = Image.open(io.BytesIO(data))
    orientation = im.getexif().get(0x0112, 1)
    im = im.convert("RGB")
    if orientation in ORIENTATION_TRANSPOSE:
        im = im.transpose(ORIENTATION_TRANSPOSE[orientation])
    slow = RenditionSettings(
        webp_method=4, jpeg_progressive=False, jpeg_optimize=True, avif_speed=6
    )
    out = {}
    for width in rs.widths:
        size = (width, round(im.height * width / im.width))
        small = im.resize(size, Image.Resampling.LANCZOS)
        formats = [f for f in rs.formats if f != "avif"]
        if avif_available() and width in rs.avif_widths:
            formats.append("avif")
        for fmt in formats:
            out[(fmt, width)] = encode(small, fmt, slow)
    return out


def ssim(a: np.ndarray, b: np.ndarray, window: int = 7) -> float:
    """Mean SSIM of two grey images (0..255), uniform 7x7 windows as scikit-image's default."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)

    def mean_filter(x):
        c = np.cumsum(np.cumsum(np.pad(x, ((1, 0), (1, 0))), 0), 1)
        return (
            c[window:, window:]
            - c[:-window, window:]
            - c[window:, :-window]
            + c[:-window, :-window]
        ) / window**2

    mu_a, mu_b = mean_filter(a), mean_filter(b)
    n = window * window
    cov = n / (n - 1)
    var_a = (mean_filter(a * a) - mu_a**2) * cov
    var_b = (mean_filter(b * b) - mu_b**2) * cov
    cov_ab = (mean_filter(a * b) - mu_a * mu_b) * cov
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov_ab + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(s.mean())


def _grey(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def _timed(fn) -> float:
    """CPU seconds of this process: "per core" as the goal says, and, unlike the wall
    clock, not stretched by the other processes sharing the machine's two cores."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def _worker(args) -> int:
    paths, rounds = args
    rs = rendition_settings()
    datas = [Path(p).read_bytes() for p in paths]
    for _ in range(rounds):
        for data in datas:
            pipeline_once(data, rs)
    return len(datas) * rounds


def _ceiling_worker(args) -> int:
    paths, rounds = args
    width = max(rendition_settings().widths)
    datas = [Path(p).read_bytes() for p in paths]
    for _ in range(rounds):
        for data in datas:
            ceiling_once(data, width)
    return len(datas) * rounds


def _two_processes(fn, rounds: int, repeats: int = 3) -> float:
    """Seconds per image with two processes working at once (both cores), best of repeats."""
    folder = Path(settings.DATA_DIR) / "bench" / "media"
    paths = [str(folder / f"phone-{seed}.jpg") for seed in range(FILES)]
    best = float("inf")
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(fn, [(paths[:1], 1)] * 2)  # warm both processes
        for _ in range(repeats):
            started = time.perf_counter()
            done = sum(pool.map(fn, [(paths, rounds)] * 2))
            best = min(best, (time.perf_counter() - started) / done)
    return best


@benchmark
def media_still_pipeline() -> Result:
    files = corpus()
    rs = rendition_settings()
    width = max(rs.widths)
    pipeline_once(files[0], rs)  # warm imports, codecs and caches
    ceiling_once(files[0], width)
    # Interleaved rounds, best per file: both sides see the same machine load.
    best_ceiling = [float("inf")] * len(files)
    best_measured = [float("inf")] * len(files)
    for _ in range(ROUNDS):
        for index, data in enumerate(files):
            best_ceiling[index] = min(
                best_ceiling[index], _timed(lambda d=data: ceiling_once(d, width))
            )
            best_measured[index] = min(
                best_measured[index], _timed(lambda d=data: pipeline_once(d, rs))
            )
    ceiling = sum(best_ceiling) / len(files)
    measured = sum(best_measured) / len(files)

    # The same code with Pillow's default encoder settings (bicubic, WebP method 4,
    # JPEG quality 75 baseline): what the chosen settings save.
    import dataclasses

    defaults = dataclasses.replace(
        rs,
        resample=Image.Resampling.BICUBIC,
        webp_method=4,
        jpeg_quality=75,
        jpeg_optimize=False,
        jpeg_progressive=False,
    )
    default_s = min(_timed(lambda: pipeline_once(files[0], defaults)) for _ in range(3))

    # Visual check against the straightforward renditions of one file.
    ours = {(r.format, r.width): r.data for r in pipeline_once(files[1], rs)}
    slow = {}
    slow_s = _timed(lambda: slow.update(straightforward_once(files[1], rs)))
    scores = {key: ssim(_grey(ours[key]), _grey(slow[key])) for key in ours if key in slow}
    worst = min(scores, key=scores.get)
    by_format = {
        fmt: np.mean([s for (f, _), s in scores.items() if f == fmt])
        for fmt in sorted({f for f, _ in scores})
    }
    ssim_text = ", ".join(f"{fmt} {value:.3f}" for fmt, value in by_format.items())
    avif_note = "AVIF: this Pillow cannot encode it"
    if avif_available():
        with_avif = dataclasses.replace(rs, avif_widths=tuple(rs.widths))
        avif_s = min(_timed(lambda: pipeline_once(files[0], with_avif)) for _ in range(2))
        extra_ms = (avif_s - best_measured[0]) * 1000
        avif_note = (
            f"AVIF at every width (speed {rs.avif_speed}) would add {extra_ms:.0f} ms per "
            "image, so it is off unless MEDIA_AVIF_WIDTHS names widths"
        )
    stages = stage_times(files[0], rs)
    encodes = sum(v for k, v in stages.items() if k.endswith("encodes"))
    stage_text = ", ".join(f"{k} {v * 1000:.1f}" for k, v in stages.items())
    kinds = sorted(
        {f"{f}@{w}" for f, w in ours}, key=lambda k: (k.split("@")[0], int(k.split("@")[1]))
    )
    return Result(
        "media: 12 MP JPEG -> renditions+measures",
        measured,
        ceiling,
        target_ratio=2.0,
        note=(
            f"throughput {ceiling / measured:.2f} of the draft decode (goal >= 0.5); "
            f"{1 / measured:.1f} img/s/core; Pillow's default encoder settings "
            f"{default_s * 1000:.0f} ms ({best_ceiling[0] / default_s:.2f}); straightforward way "
            f"{slow_s * 1000:.0f} ms ({ceiling / slow_s:.2f}); SSIM vs it: {ssim_text} "
            f"(min {scores[worst]:.3f} "
            f"{worst[0]}@{worst[1]}); renditions {' '.join(kinds)}; {avif_note}; "
            f"steps of one file in ms: {stage_text} (ceiling {best_ceiling[0] * 1000:.1f}); "
            f"the encodes alone are {encodes / best_ceiling[0]:.2f}x the ceiling's decode"
        ),
    )


@benchmark
def media_still_pipeline_two_cores() -> Result:
    corpus()
    ceiling = _two_processes(_ceiling_worker, rounds=2)
    measured = _two_processes(_worker, rounds=1)
    return Result(
        "media: the same on 2 processes",
        measured,
        ceiling,
        target_ratio=2.0,
        note=(
            f"{1 / measured:.1f} img/s with both cores ({os.cpu_count()} CPUs); "
            f"throughput {ceiling / measured:.2f} of 2-process draft decoding"
        ),
    )
