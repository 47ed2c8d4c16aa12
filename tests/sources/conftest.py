"""The emulator once per module (in a thread), the settings pointed at it, and
accounts connected through the real OAuth round trip (screen -> consent -> callback)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from core.roles import COORDINATOR
from platforms.hosts import platform_urls
from platforms.models import ConnectedAccount
from platforms.sandbox.server import SandboxServer
from platforms.sandbox.state import Sandbox
from platforms.services import clients
from tests.ugc.ingest_support import private_media_fixture  # noqa: F401 (fixture)

SMALL_MEDIA = (64, 48)


@pytest.fixture(scope="module")
def sandbox_server():
    # rate 0.05/min: 72 posts in a hashtag's last 24 hours, two pages (50 and 22).
    # Small pictures: what these tests check does not depend on the size, and
    # drawing and storing 1 MP JPEGs would take most of their time.
    server = SandboxServer(Sandbox(seed=5, rate=0.05, media_size=SMALL_MEDIA)).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, settings, private_media):
    settings.PLATFORM_URLS = platform_urls(sandbox_server.url)
    settings.UGC_FETCH_ALLOWED_HOSTS = [urlsplit(sandbox_server.url).hostname]
    clients._cache.clear()
    sandbox_server.sandbox.faults.clear()
    yield sandbox_server.sandbox
    clients._cache.clear()


@pytest.fixture
def coordinator_web(db):
    user = User.objects.create_user("coord", password="pw-123456789")
    user.groups.add(Group.objects.get(name=COORDINATOR))
    web = Client(raise_request_exception=False)
    web.force_login(user)
    return web


def connect(web: Client, platform: str) -> ConnectedAccount:
    """Connect through the screen: start, the emulator's consent page, the callback."""
    start = web.post(f"/workspace/sources/connect/{platform}")
    assert start.status_code == 302, start.content[:300]
    consent = httpx.get(start["Location"])  # approves at once, redirects with code and state
    assert consent.status_code in (302, 303), consent.text[:300]
    back = urlsplit(consent.headers["location"])
    done = web.get(f"{back.path}?{back.query}")
    assert done.status_code == 302 and done["Location"].endswith("/workspace/sources")
    return ConnectedAccount.objects.get(platform=platform)


@pytest.fixture
def instagram(sandbox, coordinator_web) -> ConnectedAccount:
    return connect(coordinator_web, "instagram_facebook_login")
