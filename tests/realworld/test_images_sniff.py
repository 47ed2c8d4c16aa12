"""A file's type is what its bytes decode as: markup inside a raster file's metadata is
no reason to refuse it (only a file that is itself markup is refused)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.realworld import corpus
from tests.support import media_files as mf
from ugc.media import MediaRejected
from ugc.media.image import RenditionSettings, make_renditions, open_picture
from ugc.media.sniff import sniff

PLIST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"'
    b' "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict/></plist>'
)


def with_photoshop_resource(jpeg: bytes, payload: bytes) -> bytes:
    """The JPEG with an APP13 "Photoshop 3.0" 8BIM resource holding `payload`, as Photoshop
    for Mac saves its print settings."""
    resource = b"8BIM" + b"\x03\xef" + b"\x00\x00" + len(payload).to_bytes(4, "big") + payload
    body = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + (len(body) + 2).to_bytes(2, "big") + body
    return jpeg[:2] + segment + jpeg[2:]


def test_a_jpeg_with_a_plist_in_its_photoshop_resources_is_a_jpeg():
    data = with_photoshop_resource(mf.jpeg_bytes(mf.photo(640, 480, seed=3)), PLIST)
    sniffed = sniff(data, filename="print.jpg", mime_type="image/jpeg")
    assert sniffed.format == "jpeg"
    picture = open_picture(data, sniffed, max_pixels=60_000_000, target_width=1080)
    for rendition in make_renditions(picture, RenditionSettings()):
        assert b"plist" not in rendition.data and b"8BIM" not in rendition.data
        assert Image.open(io.BytesIO(rendition.data)).size == (rendition.width, rendition.height)


@pytest.mark.parametrize("name", ["pil_sample_rgb.jpg", "pil_sample_cmyk.jpg"])
def test_photoshop_for_mac_jpegs_of_the_corpus_are_accepted(name):
    data = corpus.require("images", name).read_bytes()
    assert b"<!DOCTYPE plist" in data  # what the markup check used to refuse
    assert sniff(data, filename=name).format == "jpeg"


@pytest.mark.parametrize(
    "data",
    [mf.SVG_WITH_SCRIPT, b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)>"],
    ids=["SVG", "HTML"],
)
def test_a_file_that_is_markup_is_still_refused(data):
    with pytest.raises(MediaRejected, match="which we do not accept") as caught:
        sniff(data, filename="picture.jpg", mime_type="image/jpeg")
    assert caught.value.code == "unsupported_format"
