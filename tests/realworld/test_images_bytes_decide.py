"""Folder import takes what the bytes are, not what the name says: a phone's .mpo, an
.apng and renamed files come through the pipeline; files that are not media are refused
at import with a reason that names what they are."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.support import media_files as mf
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from ugc.ingest.folder import parse_folder
from ugc.models import Asset, ImportItem, ProcessingState
from ugc.services import pipeline
from ugc.services.ingest import import_fingerprint, run_import


def mpo_bytes() -> bytes:
    """A two-picture MPO, as a 3D camera or a phone's portrait mode writes it."""
    left, right = mf.photo(640, 480, seed=1), mf.photo(640, 480, seed=2)
    out = io.BytesIO()
    left.save(out, "MPO", save_all=True, append_images=[right])
    return out.getvalue()


def apng_bytes() -> bytes:
    frames = [Image.new("RGB", (200, 100), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


# name -> (bytes, the MIME type they are, or the words of the refusal at import)
FILES = {
    "IMG_0001.mpo": (mpo_bytes, "image/jpeg"),
    "spinner.apng": (apng_bytes, "image/png"),
    "real-png.jpg": (lambda: mf.save_bytes(mf.photo(320, 240, seed=3), "PNG"), "image/png"),
    "photo.txt": (lambda: mf.jpeg_bytes(mf.photo(320, 240, seed=4)), "image/jpeg"),
    "photo": (lambda: mf.save_bytes(mf.photo(320, 240, seed=5), "WEBP"), "image/webp"),
    "notes.jpg": (lambda: b"a note, not a photo\n" * 10, "plain text"),
    "scan.jpg": (mf.tiff_bytes, "TIFF, which we do not accept"),
}


@pytest.mark.django_db(transaction=True)
def test_folder_import_goes_by_the_bytes(tmp_path, media_storage):  # noqa: F811
    folder = tmp_path / "drop"
    folder.mkdir()
    for name, (make, _) in FILES.items():
        (folder / name).write_bytes(make())
    assert Image.open(folder / "IMG_0001.mpo").format == "MPO"
    assert getattr(Image.open(folder / "spinner.apng"), "is_animated", False)

    fingerprint = import_fingerprint("folder", str(folder))
    run = run_import(
        parse_folder(folder), kind="folder", source=str(folder), fingerprint=fingerprint
    )
    items = {item.key: item for item in ImportItem.objects.filter(run=run)}
    assert set(items) == set(FILES)
    for name, (_, expected) in FILES.items():
        item = items[name]
        if not expected.startswith("image/"):
            assert item.outcome == "failed" and expected in item.reason, (name, item.reason)
            assert name in item.reason
            continue
        assert item.outcome == "created", (name, item.reason)
        assert pipeline.process(item.asset_id) == "done", name
        asset = Asset.objects.get(pk=item.asset_id)
        assert asset.processing_state == ProcessingState.IN_REVIEW, (name, asset.failure_reason)
        assert (asset.media_type, asset.mime_type) == ("image", expected), name
        assert asset.renditions.filter(format="jpeg").exists(), name
