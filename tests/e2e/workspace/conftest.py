"""Browser tests of the coordinator's workspace: Debian's Chromium driven by
Playwright against pytest-django's live server (real PostgreSQL, committed data).

Screenshots go to .data/artifacts/workspace/ (the path is printed) so a person
can look at what the tests saw.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile

from tests.e2e.conftest import settle
from tests.support.media_assets import media_storage  # noqa: F401  (fixture)
from tests.support.media_files import photo
from tests.ugc.factories import AssetFactory, CoordinatorFactory

ARTIFACTS = Path(django_settings.DATA_DIR) / "artifacts" / "workspace"
PASSWORD = "pw-for-tests-123"


@pytest.fixture(scope="session")
def chromium(browser):
    """The one Chromium of the browser tests (tests/e2e/conftest.py): Playwright's sync
    API allows one instance per thread, so the storefront's and the workspace's tests
    share it."""
    return browser


@pytest.fixture
def workspace(live_server, transactional_db, settings, media_storage):  # noqa: F811
    """The live server with renditions served, and the reasons a rejection needs
    (a transactional test starts from empty tables)."""
    from ugc.models import RejectionReason

    settings.SERVE_MEDIA = True
    for slug, label in (("off-brand", "Off brand"), ("low-quality", "Low quality")):
        RejectionReason.objects.get_or_create(slug=slug, defaults={"label": label})
    return live_server


@pytest.fixture
def coordinator(workspace):
    return CoordinatorFactory(username="coord")


@pytest.fixture
def page(chromium, workspace, request):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.screenshot_as = lambda name: screenshot(page, request.node.name, name)
    yield page
    context.close()
    settle(workspace)
    assert not errors, f"script errors in the page: {errors}"


def screenshot(page, test_name: str, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{test_name}-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")
    return path


def log_in(page, base_url: str, username: str = "coord") -> None:
    page.goto(f"{base_url}/workspace/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/workspace/")


def pictured_asset(seed: int, **fields):
    """An asset in review with real WebP renditions (320 and 640 wide)."""
    from ugc.models import Rendition

    asset = AssetFactory(
        processing_state="in_review", width=800, height=1000, dominant_colors=["#8899aa"], **fields
    )
    image = photo(800, 1000, seed=seed)
    for width in (320, 640):
        small = image.resize((width, width * 5 // 4))
        buffer = io.BytesIO()
        small.save(buffer, "WEBP", quality=70)
        rendition = Rendition(
            asset=asset,
            kind="image",
            format="webp",
            width=width,
            height=width * 5 // 4,
            byte_size=buffer.tell(),
        )
        rendition.file.save(
            f"renditions/{asset.pk}/{uuid.uuid4().hex}-{width}.webp",
            ContentFile(buffer.getvalue()),
            save=False,
        )
        rendition.save()
    return asset
