"""Fixtures of the real-world tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def storage_dirs(monkeypatch, tmp_path):
    """Originals and renditions under tmp_path, for this process and its workers alike:
    pass the returned environment to start_worker."""
    from django.core.files.storage import FileSystemStorage

    from ugc.models import Asset, Rendition

    private, media = tmp_path / "private", tmp_path / "media"
    monkeypatch.setattr(
        Asset._meta.get_field("original"), "storage", FileSystemStorage(location=private)
    )
    monkeypatch.setattr(
        Rendition._meta.get_field("file"), "storage", FileSystemStorage(location=media)
    )
    return {"PRIVATE_MEDIA_ROOT": str(private), "MEDIA_ROOT": str(media)}
