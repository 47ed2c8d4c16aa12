"""Fingerprints and quality measures of a still, computed from already-resized pixels.

- `phash`: the 64-bit DCT perceptual hash (32x32 grey, DCT-II, the 8x8 lowest
  frequencies against their median), as a signed 64-bit int for a bigint column.
- `blurhash`: the placeholder string of blurha.sh, computed with numpy on a
  ~32 px thumbnail.
- `dominant_colors`: a median-cut palette of a ~64 px thumbnail, most common first.
- `quality`: resolution, aspect ratio, sharpness, exposure, contrast and
  colourfulness, and a 0..1 score combining them (formula in `quality_score`).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
from PIL import Image

# -- perceptual hash -----------------------------------------------------------------


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * (2 * x + 1) * k / (2 * n))


_DCT32 = _dct_matrix(32)


def phash(im: Image.Image) -> int:
    """64-bit DCT pHash of an image, as a signed 64-bit int (bit 63 is the top-left)."""
    grey = np.asarray(im.convert("L").resize((32, 32), Image.Resampling.LANCZOS), np.float64)
    coefficients = _DCT32 @ grey @ _DCT32.T
    low = coefficients[:8, :8].ravel()
    bits = low > np.median(low)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value - (1 << 64) if value >= (1 << 63) else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


# -- finding near pHashes through an index ---------------------------------------------
#
# Hamming distance has no B-tree order, so the pHash is also stored as PHASH_BANDS
# 16-bit bands (ugc.models.Asset.perceptual_hash_bands, GIN-indexed), each tagged with
# its position: key = position * 65536 + band. Two hashes within `distance` bits differ
# in their PHASH_BANDS bands by bits adding up to at most `distance`, so at least one
# band differs by no more than distance // PHASH_BANDS bits (pigeonhole). Looking up
# every key within that many bits of the asset's own bands therefore finds every near
# hash (and some others, dropped by the exact count): 68 keys for distance 6, each
# matching about 1 in 65,536 random hashes, instead of reading every row.

PHASH_BANDS = 4
BAND_BITS = 64 // PHASH_BANDS
BAND_MASK = (1 << BAND_BITS) - 1


def phash_bands(value: int) -> list[int]:
    """The band keys of a pHash, as the database's generated column computes them."""
    unsigned = value & ((1 << 64) - 1)
    return [
        position * (1 << BAND_BITS) + ((unsigned >> (64 - BAND_BITS * (position + 1))) & BAND_MASK)
        for position in range(PHASH_BANDS)
    ]


@functools.lru_cache(maxsize=8)
def _flips_within(bits: int) -> tuple[int, ...]:
    """Every band-wide mask with at most `bits` bits set."""
    return tuple(
        mask
        for count in range(bits + 1)
        for positions in itertools.combinations(range(BAND_BITS), count)
        for mask in [sum(1 << p for p in positions)]
    )


def phash_band_keys(value: int, distance: int) -> list[int]:
    """The band keys a hash within `distance` bits of `value` must share at least one of."""
    flips = _flips_within(max(0, distance) // PHASH_BANDS)
    keys = []
    for key in phash_bands(value):
        position, band = divmod(key, 1 << BAND_BITS)
        keys.extend(position * (1 << BAND_BITS) + (band ^ mask) for mask in flips)
    return keys


# -- blurhash ------------------------------------------------------------------------

_B83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"


def _base83(value: int, length: int) -> str:
    return "".join(_B83[(value // 83 ** (length - i)) % 83] for i in range(1, length + 1))


def _srgb_to_linear(values: np.ndarray) -> np.ndarray:
    v = values / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exp: float) -> float:
    return math.copysign(abs(value) ** exp, value)


def blurhash(im: Image.Image, components: tuple[int, int] | None = None) -> str:
    """The blurhash of an image: 4x3 components for landscape, 3x4 for portrait."""
    if components is None:
        components = (4, 3) if im.width >= im.height else (3, 4)
    cx, cy = components
    scale = 32 / max(im.width, im.height)
    small = im.convert("RGB")
    if scale < 1:
        small = small.resize(
            (max(1, round(im.width * scale)), max(1, round(im.height * scale))),
            Image.Resampling.BOX,
        )
    linear = _srgb_to_linear(np.asarray(small, np.float64))
    h, w = linear.shape[:2]
    cos_x = np.cos(np.pi * np.arange(cx)[:, None] * np.arange(w)[None, :] / w)  # cx x w
    cos_y = np.cos(np.pi * np.arange(cy)[:, None] * np.arange(h)[None, :] / h)  # cy x h
    # factors[j, i, c] = sum_y sum_x cos_y[j,y] cos_x[i,x] linear[y,x,c]
    factors = np.einsum("jy,ix,yxc->jic", cos_y, cos_x, linear) / (w * h)
    factors[1:, :, :] *= 2
    factors[0, 1:, :] *= 2
    flat = factors.reshape(-1, 3)
    dc, ac = flat[0], flat[1:]
    out = _base83((cx - 1) + (cy - 1) * 9, 1)
    if len(ac):
        actual_max = float(np.abs(ac).max())
        quantised_max = int(max(0, min(82, math.floor(actual_max * 166 - 0.5))))
        max_value = (quantised_max + 1) / 166
        out += _base83(quantised_max, 1)
    else:
        max_value = 1.0
        out += _base83(0, 1)
    r, g, b = (_linear_to_srgb(float(c)) for c in dc)
    out += _base83((r << 16) + (g << 8) + b, 4)
    for factor in ac:
        q = [
            int(max(0, min(18, math.floor(_sign_pow(float(c) / max_value, 0.5) * 9 + 9.5))))
            for c in factor
        ]
        out += _base83(q[0] * 19 * 19 + q[1] * 19 + q[2], 2)
    return out


def blurhash_average_color(value: str) -> tuple[int, int, int]:
    """The average colour a blurhash encodes (its DC component)."""
    number = 0
    for ch in value[2:6]:
        number = number * 83 + _B83.index(ch)
    return (number >> 16) & 255, (number >> 8) & 255, number & 255


# -- dominant colours ----------------------------------------------------------------


def dominant_colors(im: Image.Image, count: int = 5) -> list[str]:
    """Up to `count` colours as #rrggbb, most common first (median cut on a thumbnail)."""
    small = im.convert("RGB")
    if max(small.size) > 64:
        scale = 64 / max(small.size)
        small = small.resize(
            (max(1, round(small.width * scale)), max(1, round(small.height * scale))),
            Image.Resampling.BOX,
        )
    paletted = small.quantize(colors=count, method=Image.Quantize.MEDIANCUT)
    palette = paletted.getpalette() or []
    colors = sorted(paletted.getcolors() or [], reverse=True)
    result = []
    for _, index in colors:
        r, g, b = palette[index * 3 : index * 3 + 3]
        hex_color = f"#{r:02x}{g:02x}{b:02x}"
        if hex_color not in result:
            result.append(hex_color)
    return result[:count]


# -- quality ------------------------------------------------------------------------

WEIGHTS = {"sharpness": 0.30, "exposure": 0.25, "contrast": 0.15, "colorfulness": 0.10}
WEIGHTS["resolution"] = 0.20


def quality(im: Image.Image, *, width: int, height: int, small: Image.Image | None = None) -> dict:
    """Measures of a still: `im` is its pixels at about 640 px wide, `small` at about 320
    (default: `im`); width/height are the original's.

    Sharpness is the variance of the Laplacian of `im` in grey, so it compares
    between assets only because the pipeline always measures at 640 px (or the
    original's width when smaller). Exposure, contrast and colourfulness are
    averages, as good on 320 px and four times cheaper.
    """
    grey = np.asarray(im.convert("L"), np.float32)
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    sharpness = float(lap.var()) if lap.size else 0.0
    rgb = np.asarray((small or im).convert("RGB"), np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b  # Rec. 601, 0..255
    mean = float(luma.mean()) / 255
    shadows = float((luma <= 5).mean())
    highlights = float((luma >= 250).mean())
    contrast = float(luma.std()) / 255
    rg = r - g
    yb = 0.5 * (r + g) - b
    colorfulness = float(
        math.hypot(float(rg.std()), float(yb.std()))
        + 0.3 * math.hypot(float(rg.mean()), float(yb.mean()))
    )
    measures = {
        "width": width,
        "height": height,
        "megapixels": round(width * height / 1e6, 3),
        "aspect_ratio": round(width / height, 4) if height else None,
        "sharpness": round(sharpness, 2),
        "exposure_mean": round(mean, 4),
        "clipped_shadows": round(shadows, 4),
        "clipped_highlights": round(highlights, 4),
        "contrast_rms": round(contrast, 4),
        "colorfulness": round(colorfulness, 2),
    }
    parts = quality_parts(measures)
    measures["parts"] = {name: round(value, 4) for name, value in parts.items()}
    return measures


def quality_parts(m: dict) -> dict[str, float]:
    """Each measure mapped to 0..1 (1 is good)."""
    short_side = min(m["width"], m["height"])
    exposure = max(0.0, 1 - abs(m["exposure_mean"] - 0.5) / 0.5)
    exposure *= max(0.0, 1 - 2 * (m["clipped_shadows"] + m["clipped_highlights"]))
    return {
        # Shown at up to 1080 px wide: a shorter side of 1080 px or more is full marks.
        "resolution": min(1.0, short_side / 1080),
        # Laplacian variance at 640 px: ~20 is soft, ~100 crisp, several hundred very crisp.
        "sharpness": 1 - math.exp(-m["sharpness"] / 100),
        # Mid-grey mean is ideal; every 1 % of clipped pixels costs 2 %.
        "exposure": exposure,
        # RMS contrast of 0.2 (on 0..1 luminance) or more is full marks.
        "contrast": min(1.0, m["contrast_rms"] / 0.2),
        # Hasler-Süsstrunk: 59 is "quite colourful", 82 "highly"; 80 or more is full marks.
        "colorfulness": min(1.0, m["colorfulness"] / 80),
    }


def quality_score(measures: dict) -> float:
    """0.30 sharpness + 0.25 exposure + 0.20 resolution + 0.15 contrast + 0.10 colourfulness,
    each part in 0..1 as `quality_parts` maps it; the result is clamped to 0..1."""
    parts = quality_parts(measures)
    score = sum(WEIGHTS[name] * parts[name] for name in WEIGHTS)
    return round(min(1.0, max(0.0, score)), 4)


def measure_picture(picture) -> dict:
    """Everything the pipeline stores about a decoded still (a ugc.media.image.Picture),
    from the rendition-sized pixels it already has: asset fields by name."""
    small = picture.at_width(320)
    at_640 = picture.at_width(640)
    measures = quality(at_640, width=picture.width, height=picture.height, small=small)
    return {
        "perceptual_hash": phash(small),
        "placeholder": blurhash(small),
        "dominant_colors": dominant_colors(small),
        "quality": measures,
        "quality_score": quality_score(measures),
    }
