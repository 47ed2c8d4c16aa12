"""Request-level upload limits answer with problem details, not a bare 400 page."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from tests.ugc.factories import CoordinatorFactory
from tests.ugc.ingest_support import private_media_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


def test_too_many_files(api, private_media, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = [ContentFile(b"x", name=f"{i}.jpg") for i in range(4)]
    response = api.post("/api/v1/assets/", {"files": files}, format="multipart")
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert "DATA_UPLOAD_MAX_NUMBER_FILES" in response.json()["detail"]


def test_too_large_form_fields(api, private_media, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(
        "/api/v1/assets/",
        {"files": [ContentFile(b"x", name="a.jpg")], "caption": "x" * 5000},
        format="multipart",
    )
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" in response.json()["detail"]


def test_malformed_bodies_are_400_problems(api):
    for content_type in ("multipart/form-data; boundary=xyz", "multipart/form-data"):
        response = api.generic("POST", "/api/v1/assets/", b"--nope\r\ngarbage", content_type)
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/problem+json")
    response = api.generic("PATCH", "/api/v1/assets/1", b"{not json", "application/json")
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/problem+json")
    response = api.generic("POST", "/api/v1/assets/", b"<x/>", "application/xml")
    assert response.status_code == 415
    assert response["Content-Type"].startswith("application/problem+json")
