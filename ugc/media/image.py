"""Decode a still safely, once, and make its renditions fast.

The speed comes from doing each expensive thing once, at the smallest size
that still serves the largest rendition:

- JPEG draft mode (libjpeg DCT scaling) decodes a 12 MP photo straight to
  1/2, 1/4 or 1/8 size, never below the largest rendition we need;
- one resize to the largest rendition width; each smaller width is resized
  from the next larger one, not from the original;
- EXIF orientation is applied after that resize, on the small image;
- measures, hashes and the placeholder reuse those resized pixels
  (`Picture.at_width`).

Every rendition is written from bare pixels: no EXIF, GPS, XMP, comments or
ICC profile (colours are converted to sRGB first, which is what a browser
assumes for an untagged image).
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import BinaryIO

from PIL import Image, ImageCms, ImageFile, features

from ugc.media.errors import MediaRejected, gettext_noop
from ugc.media.sniff import Sniffed

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is refused, never half-decoded

# sniffed format -> the Pillow plugin allowed to open it (no guessing by Pillow).
PILLOW_FORMATS = {
    "jpeg": ["JPEG", "MPO"],
    "png": ["PNG"],
    "webp": ["WEBP"],
    "gif": ["GIF"],
    "heif": ["HEIF"],
    "avif": ["AVIF", "HEIF"],
}

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        # Thumbnails and depth images would only cost memory; we use the primary image.
        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _heif_registered = True


def avif_available() -> bool:
    return bool(features.check("avif"))


@dataclass(frozen=True)
class RenditionSettings:
    """How renditions are made. The defaults are what bench/media.py chose: against the
    straightforward way (Lanczos from full size, WebP at Pillow's default effort) they
    keep an SSIM of about 0.98 at several times the speed."""

    widths: tuple[int, ...] = (320, 640, 1080)
    formats: tuple[str, ...] = ("webp", "jpeg")
    avif_widths: tuple[int, ...] = ()  # AVIF encodes are slow: only these widths get one
    jpeg_quality: int = 82
    # Progressive costs 4x a baseline encode here; optimised Huffman tables cost
    # little and save about 7 %.
    jpeg_progressive: bool = False
    jpeg_optimize: bool = True
    webp_quality: int = 80
    webp_method: int = 0  # 0 fastest .. 6 smallest; 4 (Pillow's default) is ~3x slower
    avif_quality: int = 60
    avif_speed: int = 10
    # Bilinear for the one big resize (a 1.4x step after draft mode) and the steps
    # down from it: the same SSIM as bicubic at two thirds of the time.
    resample: Image.Resampling = Image.Resampling.BILINEAR


@dataclass
class EncodedRendition:
    format: str  # webp, jpeg, avif
    width: int
    height: int
    data: bytes


def _icc_description(profile_bytes: bytes) -> str:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(profile_bytes))
        return ImageCms.getProfileDescription(profile) or ""
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return ""


@functools.lru_cache(maxsize=32)
def _to_srgb_transform(profile_digest: str, profile_bytes: bytes, mode: str):
    """A cached transform from an embedded profile to sRGB; None if the profile is unusable."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile_bytes))
        return ImageCms.buildTransform(
            source,
            ImageCms.createProfile("sRGB"),
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
        )
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return None


def _is_srgb(profile_bytes: bytes) -> bool:
    return "srgb" in _icc_description(profile_bytes).lower().replace(" ", "")


def to_srgb8(im: Image.Image) -> Image.Image:
    """Any decoded still as 8-bit RGB in sRGB: CMYK, 16-bit, greyscale, palette, alpha."""
    profile = im.info.get("icc_profile")
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits instead of clipping at 255 (which whitens it).
        import numpy as np

        arr = np.asarray(im.convert("I") if mode != "I" else im, dtype=np.int64)
        if mode.startswith("I;16") or arr.max(initial=0) > 255:
            arr = arr >> 8 if arr.max(initial=0) <= 65535 else arr * 255 // max(1, arr.max())
        im = Image.fromarray(arr.clip(0, 255).astype(np.uint8), "L")
        mode = "L"
        profile = None  # the profile described the 16-bit data
    elif mode == "F":
        im = im.point(lambda v: v * 255 if 0 <= v <= 1 else v).convert("L")
        mode = "L"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info):
        # Renditions are opaque: flatten transparency onto white, as a page would show it.
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        im, mode = background, "RGB"
    elif mode in ("P", "1"):
        im, mode = im.convert("RGB"), "RGB"
    if profile and mode in ("RGB", "CMYK", "L") and not (mode == "RGB" and _is_srgb(profile)):
        digest = hashlib.sha1(profile, usedforsecurity=False).hexdigest()
        transform = _to_srgb_transform(digest, profile, mode)
        if transform is not None:
            try:
                im = ImageCms.applyTransform(im, transform)
                mode = im.mode
            except (OSError, ImageCms.PyCMSError, ValueError):
                pass  # an unusable profile: fall back to Pillow's plain conversion
    if mode != "RGB":
        im = im.convert("RGB")
    im.info = {}
    return im


# EXIF orientation -> the transpose that shows the image upright (as ImageOps.exif_transpose).
ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _rotated_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


@dataclass
class Picture:
    """A decoded still, oriented, 8-bit sRGB, at the largest size the renditions need.

    `width`/`height` are the original's (oriented) dimensions; `base` may be
    smaller (draft mode, one resize). `at_width` hands out resized copies, each
    made from the closest larger one, and keeps them for reuse.
    """

    width: int
    height: int
    format: str
    mode: str
    frames: int  # 1 for a still, 2 for "animated" (more than one frame)
    base: Image.Image
    info: dict = field(default_factory=dict)
    _cache: dict[int, Image.Image] = field(default_factory=dict)
    resample: Image.Resampling = Image.Resampling.BILINEAR

    def at_width(self, width: int) -> Image.Image:
        width = min(width, self.base.width)
        if width == self.base.width:
            return self.base
        if width in self._cache:
            return self._cache[width]
        larger = [w for w in self._cache if w > width]
        source = self._cache[min(larger)] if larger else self.base
        height = max(1, round(self.base.height * width / self.base.width))
        factor = source.width // width
        if factor >= 2 and source.width == width * factor:
            # An exact integer step (640 -> 320): a box reduce, ten times cheaper.
            reduced = source.reduce(factor)
            if reduced.height == height:
                self._cache[width] = reduced
                return reduced
        self._cache[width] = source.resize((width, height), self.resample, reducing_gap=None)
        return self._cache[width]


def check_header(file: BinaryIO, image_format: str, *, max_pixels: int) -> None:
    """MediaRejected when the image's header is unreadable or gives it more than
    `max_pixels`: read from the header alone, no pixel decoded (a first look at an
    upload; open_picture decodes it later, in the pipeline)."""
    if image_format in ("heif", "avif"):
        _register_heif()
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(file, formats=PILLOW_FORMATS[image_format]) as im:
                width, height = im.size
    except Image.DecompressionBombError:
        raise MediaRejected(
            gettext_noop(
                "The image is over the limit of %(limit)s megapixels; refused as a possible "
                "decompression bomb."
            ),
            code="too_many_pixels",
            limit=round(max_pixels / 1e6),
        ) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise MediaRejected(
            gettext_noop("The image header cannot be read: %(error)s"),
            code="corrupt",
            error=str(exc),
        ) from None
    _check_pixels(width, height, max_pixels)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise MediaRejected(
            gettext_noop("The image header gives it no width or height."), code="corrupt"
        )
    if width * height > max_pixels:
        raise MediaRejected(
            gettext_noop(
                "The image is %(width)sx%(height)s (%(megapixels)s megapixels), over the limit "
                "of %(limit)s megapixels; refused as a possible decompression bomb."
            ),
            code="too_many_pixels",
            width=width,
            height=height,
            megapixels=float(f"{width * height / 1e6:.1f}"),
            limit=round(max_pixels / 1e6),
        )


def open_picture(
    data: bytes,
    sniffed: Sniffed,
    *,
    max_pixels: int,
    target_width: int,
    resample: Image.Resampling = Image.Resampling.BILINEAR,
) -> Picture:
    """Decode `data` once, no wider than `target_width` (never upscaled), or MediaRejected."""
    if sniffed.kind != "image":
        raise MediaRejected(
            gettext_noop("%(label)s is not a still image."),
            code="unsupported_format",
            label=sniffed.label,
        )
    if sniffed.format in ("heif", "avif"):
        _register_heif()
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own bomb check, at open
    label = sniffed.label
    try:
        with warnings.catch_warnings():
            # Between 1x and 2x the cap Pillow only warns: our own check below refuses.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on broken EXIF
            im = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[sniffed.format])
            width, height = im.size
            _check_pixels(width, height, max_pixels)  # from the header, before any pixel
            if sniffed.format == "png":
                # verify() checks every chunk's CRC, which decoding alone does not.
                Image.open(io.BytesIO(data), formats=["PNG"]).verify()
            # Not n_frames: counting walks every frame, and a GIF can hold a million.
            frames = 2 if getattr(im, "is_animated", False) else 1
            if frames > 1:
                im.seek(0)  # animations: the first frame stands for the still
            try:
                orientation = im.getexif().get(0x0112, 1)
            except Exception:
                orientation = 1  # broken EXIF is metadata we drop anyway, not a broken image
            if orientation not in range(1, 9):
                orientation = 1
            mode = im.mode
            info = {
                "format": sniffed.format,
                "mode": mode,
                "frames": frames,
                "icc_profile": bool(im.info.get("icc_profile")),
                "exif_orientation": orientation,
            }
            # Draft mode: let libjpeg decode at 1/2, 1/4 or 1/8 scale, as long as the
            # result stays at least as wide (after orientation) as the largest rendition.
            if sniffed.format == "jpeg":
                if orientation in (5, 6, 7, 8) and height > target_width:
                    im.draft(None, (1, target_width))  # the source's height becomes the width
                elif orientation not in (5, 6, 7, 8) and width > target_width:
                    im.draft(None, (target_width, 1))
            im.load()
    except MediaRejected:
        raise
    except Image.DecompressionBombError as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        limit = round(max_pixels / 1e6)
        if not claimed:
            raise MediaRejected(
                gettext_noop(
                    "The image is over the limit of %(limit)s megapixels; refused as a possible "
                    "decompression bomb."
                ),
                code="too_many_pixels",
                limit=limit,
            ) from exc
        raise MediaRejected(
            gettext_noop(
                "The image is over the limit of %(limit)s megapixels (its header says "
                "%(claimed)s megapixels); refused as a possible decompression bomb."
            ),
            code="too_many_pixels",
            limit=limit,
            claimed=round(int(claimed[1]) / 1e6),
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow reports damaged data through any of these; name the problem.
        detail = re.sub(r"\s*<_io\.\w+ object at 0x[0-9a-f]+>", "", str(exc)) or type(exc).__name__
        if "truncated" in detail.lower():
            raise MediaRejected(
                gettext_noop(
                    "The %(label)s file is truncated: its data ends before the image does."
                ),
                code="corrupt",
                label=label,
            ) from exc
        raise MediaRejected(
            gettext_noop("The %(label)s file is corrupt and cannot be decoded (%(error)s)."),
            code="corrupt",
            label=label,
            error=detail,
        ) from exc
    except MemoryError as exc:
        raise MediaRejected(
            gettext_noop("The %(label)s image needs more memory to decode than a worker has."),
            code="too_large",
            label=label,
        ) from exc

    # An RGB photo in another colour space (an iPhone's Display P3) is converted after
    # the big resize, on half the pixels: resampling is as good in either space.
    deferred_icc = None
    profile = im.info.get("icc_profile")
    if im.mode == "RGB" and profile and not _is_srgb(profile):
        deferred_icc = im.info.pop("icc_profile")
    im = to_srgb8(im)
    # The one big resize, before rotation so it runs on the smallest pixels.
    oriented = _rotated_size(im.size, orientation)
    if oriented[0] > target_width:
        new_oriented = (target_width, max(1, round(oriented[1] * target_width / oriented[0])))
        # A JPEG is already within 2x (draft mode). Other formats decode at full size:
        # a box reduce() takes the bulk of a big step first, which Pillow's docs call
        # indistinguishable from a full resample at a gap of 3.
        im = im.resize(_rotated_size(new_oriented, orientation), resample, reducing_gap=3.0)
    if deferred_icc:
        im.info["icc_profile"] = deferred_icc
        im = to_srgb8(im)
    if orientation != 1:
        # What ImageOps.exif_transpose does, from the orientation read before the
        # metadata was dropped, on the already-small image.
        im = im.transpose(ORIENTATION_TRANSPOSE[orientation])
    im.info = {}
    ow, oh = _rotated_size((width, height), orientation)
    return Picture(
        width=ow,
        height=oh,
        format=sniffed.format,
        mode=mode,
        frames=frames,
        base=im,
        info=info,
        resample=resample,
    )


def picture_from_image(im: Image.Image, *, target_width: int, fmt: str = "png") -> Picture:
    """A Picture from pixels we made ourselves (a video's poster frame)."""
    width, height = im.size
    mode = im.mode
    im = to_srgb8(im)
    if im.width > target_width:
        im = im.resize(
            (target_width, max(1, round(im.height * target_width / im.width))),
            Image.Resampling.BICUBIC,
        )
    return Picture(
        width=width, height=height, format=fmt, mode=mode, frames=1, base=im, info={"mode": mode}
    )


def rendition_widths(picture: Picture, widths: tuple[int, ...]) -> list[int]:
    """The widths to make: those not wider than the original; the original's own if all are."""
    chosen = sorted({w for w in widths if w <= picture.width})
    return chosen or [picture.width]


def encode(im: Image.Image, fmt: str, rs: RenditionSettings) -> bytes:
    out = io.BytesIO()
    if fmt == "jpeg":
        im.save(
            out,
            "JPEG",
            quality=rs.jpeg_quality,
            progressive=rs.jpeg_progressive,
            optimize=rs.jpeg_optimize,
            subsampling="4:2:0",
        )
    elif fmt == "webp":
        im.save(out, "WEBP", quality=rs.webp_quality, method=rs.webp_method, exif=b"", xmp=b"")
    elif fmt == "avif":
        im.save(out, "AVIF", quality=rs.avif_quality, speed=rs.avif_speed, max_threads=1, exif=b"")
    else:
        raise ValueError(f"unknown rendition format {fmt!r}")
    return out.getvalue()


def make_renditions(picture: Picture, rs: RenditionSettings) -> list[EncodedRendition]:
    """Every rendition of the settings, largest first (each smaller one resized from it)."""
    results = []
    want_avif = "avif" in rs.formats or bool(rs.avif_widths)
    avif_ok = want_avif and avif_available()
    for width in sorted(rendition_widths(picture, rs.widths), reverse=True):
        im = picture.at_width(width)
        formats = [f for f in rs.formats if f != "avif"]
        if avif_ok and ("avif" in rs.formats or width in rs.avif_widths):
            formats.append("avif")
        for fmt in formats:
            results.append(EncodedRendition(fmt, im.width, im.height, encode(im, fmt, rs)))
    return results
