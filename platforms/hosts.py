"""Where each platform API lives: the real hosts, or the local emulator's prefixes.

Plain module (no Django import) so settings can use it. The emulator serves every
platform from one address, each under its own prefix (platforms/sandbox/server.py).
"""

from __future__ import annotations

# The Graph API version the clients speak (developers.facebook.com/docs/graph-api/changelog).
GRAPH_VERSION = "v26.0"

REAL = {
    "graph": f"https://graph.facebook.com/{GRAPH_VERSION}",
    "facebook_dialog": f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
    "instagram_graph": "https://graph.instagram.com",
    "instagram_authorize": "https://www.instagram.com/oauth/authorize",
    "instagram_api": "https://api.instagram.com",
    "tiktok_api": "https://open.tiktokapis.com",
    "tiktok_authorize": "https://www.tiktok.com/v2/auth/authorize/",
    "youtube_api": "https://www.googleapis.com/youtube/v3",
    "google_authorize": "https://accounts.google.com/o/oauth2/v2/auth",
    "google_token": "https://oauth2.googleapis.com/token",
}

SANDBOX_PATHS = {
    "graph": f"/graph/{GRAPH_VERSION}",
    "facebook_dialog": f"/facebook/{GRAPH_VERSION}/dialog/oauth",
    "instagram_graph": "/instagram",
    "instagram_authorize": "/ig-web/oauth/authorize",
    "instagram_api": "/ig-api",
    "tiktok_api": "/tiktok",
    "tiktok_authorize": "/tiktok-web/v2/auth/authorize/",
    "youtube_api": "/youtube/v3",
    "google_authorize": "/google/o/oauth2/v2/auth",
    "google_token": "/google/token",
}


def platform_urls(sandbox_url: str = "") -> dict[str, str]:
    """The real hosts, or every API under the emulator at `sandbox_url` when one is given."""
    if not sandbox_url:
        return dict(REAL)
    base = sandbox_url.rstrip("/")
    return {name: base + path for name, path in SANDBOX_PATHS.items()}
