"""The emulator on a free port for each test, and clients pointed at it over real HTTP."""

import pytest

from platforms.clients.graph import GraphClient
from platforms.clients.tiktok import TikTokClient
from platforms.clients.youtube import YouTubeClient
from platforms.hosts import platform_urls
from platforms.sandbox.server import SandboxServer
from platforms.sandbox.state import Sandbox

APP = {"app_id": "sandbox-app", "app_secret": "sandbox-secret"}


@pytest.fixture
def server():
    # rate 0.1/min: 144 posts in a hashtag's last 24 hours, three pages of 50
    running = SandboxServer(Sandbox(seed=7, rate=0.1)).start()
    yield running
    running.stop()


@pytest.fixture
def sandbox(server):
    return server.sandbox


@pytest.fixture
def urls(server):
    return platform_urls(server.url)


@pytest.fixture
def graph(urls):
    client = GraphClient(urls, **APP)
    yield client
    client.close()


@pytest.fixture
def tiktok(urls):
    client = TikTokClient(urls, client_key=APP["app_id"], client_secret=APP["app_secret"])
    yield client
    client.close()


@pytest.fixture
def youtube(urls):
    client = YouTubeClient(urls, client_id=APP["app_id"], client_secret=APP["app_secret"])
    yield client
    client.close()
