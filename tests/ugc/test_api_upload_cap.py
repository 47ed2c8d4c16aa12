"""An oversize upload is cut off while it streams in, not after it is all on disk."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from tests.ugc.factories import CoordinatorFactory
from tests.ugc.ingest_support import jpeg_bytes, private_media_fixture  # noqa: F401
from ugc.ingest import uploads

pytestmark = pytest.mark.django_db


def test_the_capped_handler_drops_bytes_past_the_cap(private_media, settings, monkeypatch):
    settings.UGC_MAX_UPLOAD_BYTES = 5000
    written = []
    real = uploads.TemporaryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data, start):
        written.append(len(raw_data))
        return real(self, raw_data, start)

    monkeypatch.setattr(uploads.TemporaryFileUploadHandler, "receive_data_chunk", spy)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    response = client.post(
        "/api/v1/assets/",
        {
            "files": [
                ContentFile(b"v" * 300_000, name="long.mp4"),
                ContentFile(jpeg_bytes(), "a.jpg"),
            ]
        },
        format="multipart",
    )
    assert response.status_code == 207, response.content
    big, small = response.json()["results"]
    assert big["status"] == "failed" and "5,000-byte limit" in big["reason"]
    assert small["status"] == "created"
    assert sum(written) < 300_000  # the rest of the big file never reached the disk
