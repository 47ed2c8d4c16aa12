"""The real-world image corpus through the product's real paths: a folder import of
../shared/realworld/images, processed by one real worker over the embedded broker (two
pool processes, as a worker runs on a two-core machine: the corpus goes through in about
half the time).

Each file is held to expected.json: an accepted image is processed, upright, in sRGB
colours (checked against the corpus's reference renderings), with no EXIF, XMP, GPS
or ICC in any rendition; a refused one has a reason a person can read; an "any" file
ends either way, never stuck and never a crash.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.realworld import corpus
from tests.support.worker import wait_until
from ugc.ingest.folder import parse_folder
from ugc.media.image import ORIENTATION_TRANSPOSE
from ugc.models import Asset, ImportItem, ProcessingState, Rendition
from ugc.services.ingest import import_fingerprint, run_import

pytestmark = pytest.mark.worker

DONE = (ProcessingState.IN_REVIEW, ProcessingState.FAILED)
# Mean absolute difference (0-255 per channel) between a rendition and its reference at
# the same size. A picture turned or mirrored lands near 60 or more, CMYK read inverted
# above 100; loss and resampling stay near 5. The YCCK reference is ImageMagick's with no
# colour management, while renditions go through the file's SWOP profile to sRGB as a
# browser shows it, which moves that one by about 16.
REFERENCE_TOLERANCE = 20
# Metadata a rendition must not carry, as Pillow names it once decoded.
METADATA_KEYS = {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp", "photoshop", "comment"}


def jpeg_segments(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the image data."""
    markers, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xDA:  # start of scan: the pixels follow
            break
        markers.append(marker)
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return markers


def webp_chunks(data: bytes) -> list[bytes]:
    chunks, at = [], 12
    while at + 8 <= len(data):
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        chunks.append(data[at : at + 4])
        at += 8 + size + (size & 1)
    return chunks


def assert_bare(data: bytes, fmt: str, what: str) -> None:
    """No EXIF (so no GPS), XMP or ICC profile, by Pillow's reading and by the raw bytes."""
    im = Image.open(io.BytesIO(data))
    assert not METADATA_KEYS & set(im.info), (what, set(im.info))
    assert not im.getexif(), what
    if fmt == "jpeg":
        # APP0 (JFIF) and the coding segments only: no APP1 (EXIF/XMP), APP2 (ICC), APP13...
        markers = jpeg_segments(data)
        assert not [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE], (what, markers)
    elif fmt == "webp":
        chunks = webp_chunks(data)
        assert set(chunks) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}, (what, chunks)


def pixels(source, size: tuple[int, int]) -> np.ndarray:
    im = Image.open(source).convert("RGB").resize(size, Image.Resampling.BOX)
    return np.asarray(im, np.float32)


def oriented_size(path) -> tuple[int, int]:
    """The size the picture has upright, by Pillow's reading of the file (not the product's)."""
    im = Image.open(path)
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    turned = ORIENTATION_TRANSPOSE.get(orientation) in (
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_270,
    )
    return (im.height, im.width) if turned else im.size


def largest_jpeg(asset: Asset) -> Rendition:
    return asset.renditions.filter(format="jpeg").order_by("-width").first()


def readable(reason: str) -> bool:
    return bool(
        reason
        and reason[0].isupper()
        and not re.search(r"object at 0x|Traceback|unexpectedly", reason)
    )


def wait_processed(ids: list[int], worker) -> None:
    """Until every asset is in review or failed; stuck ones named, with the worker's log."""
    try:
        wait_until(
            lambda: Asset.objects.filter(pk__in=ids, processing_state__in=DONE).count() == len(ids),
            timeout=300,
            interval=0.5,
            what="every image processed",
        )
    except TimeoutError as exc:
        stuck = Asset.objects.filter(pk__in=ids).exclude(processing_state__in=DONE)
        names = list(stuck.values_list("original_filename", "processing_state"))
        raise AssertionError(f"{exc}: {names}\n{worker.log()[-4000:]}") from None


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_every_corpus_image_meets_its_expectation(
    start_worker, app_on_broker, storage_dirs, settings
):
    import pillow_heif

    pillow_heif.register_heif_opener()
    images = corpus.require("images")
    expectations = corpus.image_expectations()
    worker = start_worker(concurrency=2, **storage_dirs)
    run = run_import(
        parse_folder(images),
        kind="folder",
        source=str(images),
        fingerprint=import_fingerprint("folder", str(images)),
    )
    items = {item.key: item for item in ImportItem.objects.filter(run=run)}
    assert set(items) == set(expectations), "one import item per corpus file"
    wait_processed([item.asset_id for item in items.values() if item.asset_id], worker)

    renditions = {}
    problems = []
    for name, expect in sorted(expectations.items()):
        item = items[name]
        asset = Asset.objects.get(pk=item.asset_id) if item.asset_id else None
        accepted = asset is not None and asset.processing_state == ProcessingState.IN_REVIEW
        # An import item's reason starts with the file's key.
        reason = (
            asset.failure_reason if asset is not None else item.reason.removeprefix(f"{name}: ")
        )
        if expect == "accept" and not accepted:
            problems.append(f"{name}: refused, expected accepted ({reason})")
        elif expect == "reject" and accepted:
            problems.append(f"{name}: accepted, expected refused")
        elif not accepted and not readable(reason):
            problems.append(f"{name}: refused without a readable reason ({reason!r})")
        if not accepted:
            assert asset is None or not asset.renditions.exists(), name
            continue
        assert {r.format for r in asset.renditions.all()} >= {"webp", "jpeg"}, name
        for rendition in asset.renditions.all():
            with rendition.file.open("rb") as f:
                assert_bare(f.read(), rendition.format, f"{name} {rendition.format}")
        width, height = oriented_size(images / name)
        assert (asset.width, asset.height) == (width, height), (name, "not upright")
        top = largest_jpeg(asset)
        assert abs(top.width / top.height - width / height) < 0.02, (name, "not upright")
        renditions[name] = top
    assert not problems, "\n".join(problems)

    # Upright and in the right colours: as the reference looks, at the rendition's size.
    for name, top in renditions.items():
        reference = corpus.reference_for(name)
        if reference is None:
            continue
        if reference.name == "hopper.jpg":
            reference = renditions["hopper.jpg"].file.path  # rendition against rendition
        size = (top.width, top.height)
        diff = np.abs(pixels(top.file.path, size) - pixels(reference, size)).mean()
        assert diff < REFERENCE_TOLERANCE, (name, reference, round(float(diff), 1))

    assert worker.process.poll() is None, "the worker lived through the corpus"
    assert "Traceback" not in worker.log()
