"""Perceptual hash, blurhash, dominant colours and quality measures (pure numpy/Pillow)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

from tests.support import media_files as mf
from ugc.media import measures


def recompress(im: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(mf.jpeg_bytes(im, quality=quality))).convert("RGB")


def test_phash_is_a_signed_64_bit_int_stable_under_resizing_and_recompression():
    im = mf.photo(800, 600, seed=11)
    h = measures.phash(im)
    assert -(2**63) <= h < 2**63
    resized = recompress(im.resize((400, 300), Image.Resampling.BILINEAR), 60)
    assert measures.hamming(h, measures.phash(resized)) <= 4
    other = measures.phash(mf.photo(800, 600, seed=12))
    assert measures.hamming(h, other) > 12


def test_hamming_treats_signed_values_as_64_bits():
    assert measures.hamming(-1, 0) == 64
    assert measures.hamming(-(2**63), 0) == 1


def test_blurhash_has_the_standard_shape_and_the_average_colour():
    im = Image.new("RGB", (300, 200), (200, 40, 90))
    value = measures.blurhash(im)
    assert len(value) == 28  # 1 + 1 + 4 + 2 * (4 * 3 - 1)
    assert value[0] == "L"  # size flag of 4x3 components
    r, g, b = measures.blurhash_average_color(value)
    assert abs(r - 200) <= 2 and abs(g - 40) <= 2 and abs(b - 90) <= 2
    portrait = measures.blurhash(Image.new("RGB", (200, 300), (0, 0, 0)))
    assert portrait[0] == measures._B83[2 + 3 * 9]  # 3x4 components


def test_dominant_colours_most_common_first():
    im = Image.new("RGB", (100, 100), (250, 0, 0))
    im.paste((0, 0, 250), (0, 0, 100, 30))
    colors = measures.dominant_colors(im)
    assert colors[0] == "#fa0000"
    assert "#0000fa" in colors


def test_quality_prefers_sharp_well_exposed_colourful_images():
    sharp = mf.photo(640, 480, seed=3)
    blurred = sharp.filter(ImageFilter.GaussianBlur(4))
    dark = Image.fromarray((np.asarray(sharp) * 0.08).astype(np.uint8))
    grey = sharp.convert("L").convert("RGB")

    def q(im):
        return measures.quality(im, width=4032, height=3024)

    assert q(blurred)["sharpness"] < q(sharp)["sharpness"] / 4
    assert q(dark)["exposure_mean"] < 0.2
    assert q(dark)["clipped_shadows"] > q(sharp)["clipped_shadows"]
    assert q(grey)["colorfulness"] < 1
    flat = Image.new("RGB", (640, 480), (128, 128, 128))
    assert q(flat)["contrast_rms"] == 0
    images = {"sharp": sharp, "blurred": blurred, "dark": dark, "grey": grey, "flat": flat}
    scores = {name: measures.quality_score(q(im)) for name, im in images.items()}
    assert all(0 <= s <= 1 for s in scores.values())
    assert scores["sharp"] > max(scores["blurred"], scores["dark"], scores["grey"], scores["flat"])


def test_quality_records_resolution_and_aspect_ratio():
    m = measures.quality(mf.photo(320, 240), width=3024, height=4032)
    assert m["megapixels"] == 12.193
    assert m["aspect_ratio"] == 0.75
    assert set(m["parts"]) == set(measures.WEIGHTS)
    small = measures.quality(mf.photo(320, 240), width=320, height=240)
    assert small["parts"]["resolution"] < 0.25
