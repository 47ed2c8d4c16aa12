"""Assets as ingestion leaves them (`received`, original in private storage), for pipeline tests."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from ugc.models import Asset, Rendition


def make_asset(data: bytes, *, filename: str, mime_type: str, media_type: str = "image") -> Asset:
    asset = Asset(
        media_type=media_type,
        source_platform="upload",
        original_filename=filename,
        mime_type=mime_type,
        byte_size=len(data),
        content_sha256=hashlib.sha256(data + uuid.uuid4().bytes).hexdigest(),
    )
    # Stored under a random name, as ingestion does: the original's name is data, not a path.
    asset.original.save(f"tests/{uuid.uuid4().hex}", ContentFile(data), save=False)
    asset.save()
    return asset


def make_video_asset(path: Path, *, filename: str = "clip.mp4", mime_type: str = "video/mp4"):
    return make_asset(path.read_bytes(), filename=filename, mime_type=mime_type, media_type="video")


@pytest.fixture
def media_storage(monkeypatch, tmp_path):
    """Originals and renditions under this test's tmp_path (in this process only)."""
    from django.core.files.storage import FileSystemStorage

    originals = FileSystemStorage(location=tmp_path / "private", base_url=None)
    served = FileSystemStorage(location=tmp_path / "media", base_url="/media/")
    monkeypatch.setattr(Asset._meta.get_field("original"), "storage", originals)
    monkeypatch.setattr(Rendition._meta.get_field("file"), "storage", served)
    return tmp_path / "media"


@pytest.fixture
def media_cleanup():
    """For worker tests (another process, the real storages): deletes what the test left."""
    yield
    private, public = storages["private"], storages["default"]
    for name in Asset.objects.exclude(original="").values_list("original", flat=True):
        if name.startswith("tests/"):
            private.delete(name)
    for name in Rendition.objects.values_list("file", flat=True):
        public.delete(name)
        folder = Path(public.path(name)).parent  # renditions/ab/<token>/, then renditions/ab/
        for empty in (folder, folder.parent):
            with contextlib.suppress(OSError):
                empty.rmdir()
