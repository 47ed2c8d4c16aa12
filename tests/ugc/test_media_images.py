"""ugc/media without Django: sniffing, safe decoding, colour, orientation, renditions."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.support import media_files as mf
from ugc.media import MediaRejected
from ugc.media.image import (
    RenditionSettings,
    _to_srgb_transform,
    avif_available,
    make_renditions,
    open_picture,
    to_srgb8,
)
from ugc.media.sniff import detect, sniff

CAP = 60_000_000
CORPUS = mf.bad_corpus()


def decode(data: bytes, filename: str = "", mime_type: str = "", **kwargs):
    sniffed = sniff(data, filename=filename, mime_type=mime_type)
    return open_picture(
        data, sniffed, max_pixels=kwargs.pop("max_pixels", CAP), target_width=1080, **kwargs
    )


def test_the_corpus_has_at_least_25_bad_files():
    assert sum(case.expect is not None for case in CORPUS) >= 25


@pytest.mark.parametrize("case", CORPUS, ids=[case.label for case in CORPUS])
def test_each_corpus_file_is_refused_with_a_reason_or_decoded(case):
    if case.expect is None:
        picture = decode(case.data, case.filename, case.mime_type)
        assert picture.base.mode == "RGB"
        assert make_renditions(picture, RenditionSettings())
        return
    with pytest.raises(MediaRejected) as caught:
        decode(case.data, case.filename, case.mime_type)
    assert caught.value.code == case.expect
    reason = caught.value.reason
    assert reason.endswith(".") and reason[0].isupper(), reason
    assert not re.search(r"object at 0x|Traceback", reason)  # no Python internals


def test_a_claim_that_is_not_a_known_type_is_no_excuse():
    data = mf.jpeg_bytes(mf.photo(64, 48))
    assert sniff(data, filename="upload.bin", mime_type="application/octet-stream").format == "jpeg"
    assert sniff(data).format == "jpeg"
    assert sniff(data, filename="x.tif", mime_type="image/tiff").format == "jpeg"
    with pytest.raises(MediaRejected, match=r"TIFF.*claimed to be “\.jpg”"):
        sniff(mf.tiff_bytes(), filename="x.jpg")


def test_detect_names_what_it_sees():
    assert detect(mf.heic_bytes()) == "heif"
    assert detect(mf.avif_bytes()) == "avif"
    assert detect(b"\x1a\x45\xdf\xa3" + b"\x00" * 20 + b"webm") == "webm"
    assert detect(b"\x00\x00\x00\x18ftypqt  \x00\x00\x00\x00qt  ") == "mp4"


def test_header_size_is_checked_against_the_cap_before_decoding():
    # Between 1x and 2x the cap Pillow only warns; our own check refuses.
    data = mf.png_claiming(9000, 9000)
    with pytest.raises(MediaRejected, match=r"9000x9000 \(81.0 megapixels\)") as caught:
        decode(data, "a.png", max_pixels=60_000_000)
    assert caught.value.code == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == 60_000_000  # set from the parameter


def test_exif_orientation_is_applied_and_every_rendition_is_stripped():
    data = mf.rotated_jpeg_with_gps()
    assert b"PhoneMaker" in data
    picture = decode(data, "IMG_1234.JPG", "image/jpeg")
    assert (picture.width, picture.height) == (700, 1200)
    renditions = make_renditions(picture, RenditionSettings(avif_widths=(320,)))
    assert {(r.format, r.width) for r in renditions} >= {("webp", 640), ("jpeg", 320)}
    for r in renditions:
        assert b"PhoneMaker" not in r.data and b"Exif" not in r.data
        im = Image.open(io.BytesIO(r.data))
        assert im.size == (r.width, r.height)
        assert r.height > r.width  # upright: portrait
        assert not im.getexif(), r.format
        assert "icc_profile" not in im.info and "xmp" not in im.info and "exif" not in im.info
        top = im.convert("RGB").getpixel((r.width // 2, r.height // 8))
        bottom = im.convert("RGB").getpixel((r.width // 2, r.height * 7 // 8))
        assert top[0] > 200 and top[2] < 60, (r.format, top)
        assert bottom[2] > 200 and bottom[0] < 60, (r.format, bottom)


def test_icc_profiles_are_converted_and_dropped():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = mf.jpeg_bytes(mf.photo(400, 300), icc_profile=srgb)
    picture = decode(data, "a.jpg")
    assert picture.info["icc_profile"] is True
    for r in make_renditions(picture, RenditionSettings()):
        assert "icc_profile" not in Image.open(io.BytesIO(r.data)).info


def test_a_non_srgb_profile_is_converted_after_the_resize():
    from PIL import ImageCms

    # sRGB under another name: the conversion runs (and changes nothing visible).
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    renamed = profile.replace("sRGB".encode("utf-16-be"), "xRGB".encode("utf-16-be"))
    assert renamed != profile
    source = Image.new("RGB", (2400, 1600), (200, 80, 40))
    calls = _to_srgb_transform.cache_info()
    picture = decode(mf.jpeg_bytes(source, icc_profile=renamed), "p3.jpg")
    after = _to_srgb_transform.cache_info()
    assert after.hits + after.misses == calls.hits + calls.misses + 1
    assert picture.base.size == (1080, 720) and picture.base.info == {}
    r, g, b = picture.base.getpixel((500, 300))
    assert abs(r - 200) <= 6 and abs(g - 80) <= 6 and abs(b - 40) <= 6


def test_cmyk_becomes_srgb_red():
    picture = decode(mf.cmyk_jpeg(), "print.jpg")
    r, g, b = picture.base.getpixel((10, 10))
    assert r > 220 and g < 40 and b < 40


def test_16_bit_is_scaled_to_8_bit_not_clipped():
    grey = decode(mf.png16_grey(32768), "deep.png").base.getpixel((5, 5))
    assert all(120 <= v <= 136 for v in grey), grey
    rgb = decode(mf.png16_rgb((65535, 32768, 0)), "deep.png").base.getpixel((5, 5))
    assert rgb[0] > 245 and 120 <= rgb[1] <= 136 and rgb[2] < 10, rgb


def test_transparency_is_flattened_onto_white():
    im = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    assert to_srgb8(im).getpixel((3, 3)) == (255, 255, 255)


def test_animated_gif_uses_its_first_frame():
    picture = decode(mf.animated_gif(), "anim.gif")
    assert picture.frames == 2
    r, g, _ = picture.base.getpixel((10, 10))
    assert r > 200 and g < 50


def test_heic_and_avif_decode():
    for data, name, size in (
        (mf.heic_bytes(), "a.heic", (160, 120)),
        (mf.avif_bytes(), "a.avif", (640, 480)),
    ):
        picture = decode(data, name)
        assert (picture.width, picture.height) == size


def test_an_iphone_heic_taken_upright_is_turned_once():
    # An iPhone stores a portrait HEIC as landscape pixels turned by the container's
    # `irot` and says orientation 6 in its EXIF too. pillow-heif applies `irot` and
    # resets the EXIF tag; turning again by the tag would lay the photo on its side.
    import pillow_heif

    pillow_heif.register_heif_opener()
    stored = Image.new("RGB", (160, 120), (255, 0, 0))
    stored.paste((0, 0, 255), (80, 0, 160, 120))  # red left half, blue right half
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise: the left half on top
    picture = decode(mf.save_bytes(stored, "HEIF", quality=90, exif=exif.tobytes()), "a.heic")
    assert (picture.width, picture.height) == (120, 160)
    top = picture.base.getpixel((60, 5))
    bottom = picture.base.getpixel((60, 154))
    assert top[0] > 200 and top[2] < 50 and bottom[2] > 200 and bottom[0] < 50, (top, bottom)


def test_renditions_never_upscale_and_use_draft_mode_for_big_jpegs():
    big = mf.jpeg_bytes(mf.photo(600, 400).resize((3000, 2000)))
    picture = decode(big, "big.jpg")
    assert (picture.width, picture.height) == (3000, 2000)
    # Decoded at 1/2 scale (1500 wide) by libjpeg, then one resize to 1080.
    assert picture.base.size == (1080, 720)
    renditions = make_renditions(picture, RenditionSettings())
    assert sorted({r.width for r in renditions}) == [320, 640, 1080]
    assert {r.format for r in renditions} == {"webp", "jpeg"}

    small = decode(mf.jpeg_bytes(mf.photo(500, 400)), "small.jpg")
    widths = {r.width for r in make_renditions(small, RenditionSettings())}
    assert widths == {320}  # 640 and 1080 would be upscales

    tiny = decode(mf.jpeg_bytes(mf.photo(50, 30)), "tiny.jpg")
    assert {r.width for r in make_renditions(tiny, RenditionSettings())} == {50}


@pytest.mark.skipif(not avif_available(), reason="this Pillow has no AVIF encoder")
def test_avif_renditions_at_the_configured_widths():
    picture = decode(mf.jpeg_bytes(mf.photo(1200, 900)), "a.jpg")
    renditions = make_renditions(picture, RenditionSettings(avif_widths=(320,)))
    avif = [r for r in renditions if r.format == "avif"]
    assert [r.width for r in avif] == [320]
    assert Image.open(io.BytesIO(avif[0].data)).format == "AVIF"


def test_renditions_look_like_the_original():
    source = mf.photo(1600, 1200, seed=7)
    picture = decode(mf.jpeg_bytes(source, quality=95), "a.jpg")
    reference = np.asarray(source.resize((640, 480), Image.Resampling.LANCZOS), np.float32)
    for r in make_renditions(picture, RenditionSettings()):
        if r.width != 640:
            continue
        got = np.asarray(Image.open(io.BytesIO(r.data)).convert("RGB"), np.float32)
        assert np.abs(got - reference).mean() < 6, r.format


def test_the_bytes_decide_whatever_the_name_claims():
    assert sniff(mf.avif_bytes(), filename="x.heic", mime_type="image/heif").format == "avif"
    assert sniff(mf.avif_bytes(), filename="x.jpg", mime_type="image/jpeg").format == "avif"
