"""The platform clients built from settings, one per account and process.

A client keeps its pacing state (Graph usage, TikTok's sliding window, YouTube's
units spent today) in memory: reusing it across runs in one worker process keeps
that state instead of starting each run from zero.
"""

from __future__ import annotations

import threading

from django.conf import settings

from platforms.clients.graph import GraphClient
from platforms.clients.instagram_login import InstagramLoginClient
from platforms.clients.tiktok import TikTokClient
from platforms.clients.youtube import YouTubeClient
from platforms.models import INSTAGRAM_PLATFORMS, AccountPlatform

_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def app_credentials(platform: str) -> dict[str, str]:
    """The app's credentials for a platform, from settings (the environment)."""
    # Instagram Login has its own Instagram app id and secret; without them, the Meta app's.
    family = "instagram" if platform in INSTAGRAM_PLATFORMS else str(platform)
    apps = settings.PLATFORM_APPS
    return {**apps.get(family, {}), **apps.get(str(platform), {})}


def new_client(platform: str):
    urls = settings.PLATFORM_URLS
    credentials = app_credentials(platform)
    if platform == AccountPlatform.INSTAGRAM_LOGIN:
        return InstagramLoginClient(urls, **credentials)
    if platform in INSTAGRAM_PLATFORMS:
        return GraphClient(urls, **credentials)
    if platform == AccountPlatform.TIKTOK:
        return TikTokClient(urls, **credentials)
    if platform == AccountPlatform.YOUTUBE:
        return YouTubeClient(urls, **credentials)
    raise ValueError(f"unknown platform {platform!r}")


def client_for(platform: str, account_id: int | None = None):
    """The process's client for an account (or the app, for OAuth), made on first use."""
    key = (platform, account_id, settings.PLATFORM_URLS.get("graph"))
    with _lock:
        if key not in _cache:
            _cache[key] = new_client(platform)
        return _cache[key]
