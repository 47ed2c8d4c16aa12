"""Browser tests: the demo storefront on its own origin, the API on the live server,
the widget in real headless Chromium (Debian's package, through Playwright).

The live server runs in this process, so it sees this test's committed rows
(transactional_db) and shares its cache: a takedown made here invalidates what the
server serves, as it does across processes with Redis in production.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from PIL import Image

from demo.storefront.server import Storefront, serve
from tests.ugc.factories import (
    GalleryFactory,
    GalleryPinFactory,
    ProductFactory,
    ProductTagFactory,
    PublishableAssetFactory,
    SiteFactory,
)
from ugc.models import Rendition

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE_CAPTION = "<img src=x onerror=alert(1)>"
TILES = 8
COLLECT_PATH = "/api/v1/collect"


def find_chromium() -> str:
    """Debian's chromium: found, or installed with apt-get when we may; else a clear failure."""
    candidates = [os.environ.get("CHROMIUM_PATH", ""), "/usr/bin/chromium"]
    found = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    found = found or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            timeout=600,
            check=False,
        )
        if os.access("/usr/bin/chromium", os.X_OK):
            return "/usr/bin/chromium"
    pytest.fail(
        "Browser tests need Chromium: run `apt-get install chromium` (Debian's package), "
        "or set CHROMIUM_PATH to a Chromium binary. Playwright's own download is not used.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    # Playwright's sync API keeps an asyncio loop on this thread, which Django's
    # async-safety check mistakes for async code calling the ORM (Django's docs
    # name this flag for exactly this case); only while the browser is up.
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def media_cdn(tmp_path, monkeypatch):
    """Renditions stored under tmp_path and served from their own origin, as from a CDN."""
    root = tmp_path / "media"
    root.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietFiles, directory=str(root))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    storage = FileSystemStorage(location=root, base_url=f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setattr(Rendition._meta.get_field("file"), "storage", storage)
    yield storage
    server.shutdown()


def _image_bytes(colour: tuple[int, int, int], size: tuple[int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt.upper(), quality=70)
    return out.getvalue()


def add_renditions(asset, storage, colour) -> None:
    for fmt in ("webp", "jpeg"):
        for width in (320, 640):
            height = width * asset.height // asset.width
            name = storage.save(
                f"renditions/{asset.pk}/{width}.{fmt}",
                ContentFile(_image_bytes(colour, (width, height), fmt)),
            )
            Rendition.objects.create(
                asset=asset,
                kind="image",
                format=fmt,
                width=width,
                height=height,
                byte_size=storage.size(name),
                file=name,
            )


@dataclass
class Shop:
    url: str
    api: str
    site: object
    assets: list
    product: object
    hostile: object
    collected: list = field(default_factory=list)

    def watch_beacons(self, page) -> list[dict]:
        """Every request the page sends to the collect endpoint, as (url, json body)."""
        import json

        seen: list[dict] = []

        def on_request(request):
            if COLLECT_PATH in request.url:
                seen.append(
                    {
                        "url": request.url,
                        "headers": request.headers,
                        "body": json.loads(request.post_data or "null"),
                    }
                )

        page.on("request", on_request)
        return seen


@pytest.fixture
def shop(live_server, transactional_db, media_cdn):
    """The demo storefront's pages on one origin, the API on another, a gallery of
    eight real images (one with a hostile caption) with a tagged product."""
    cache.clear()
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    site = SiteFactory(allowed_origins=[origin])
    gallery = GalleryFactory(site=site, slug="homepage", title="Our customers", layout="grid")
    product = ProductFactory(
        sku="DEMO-TENT", title="Tent <b>Pro</b>", url=f"{origin}/products/DEMO-TENT"
    )
    assets = []
    for n in range(TILES):
        caption = HOSTILE_CAPTION if n == 2 else f"Camping day {n}"
        asset = PublishableAssetFactory(caption=caption, alt_text=f"Customer photo {n}")
        add_renditions(asset, media_cdn, (40 * n % 255, 120, 200 - 20 * n))
        GalleryPinFactory(gallery=gallery, asset=asset, position=n)
        assets.append(asset)
    ProductTagFactory(asset=assets[0], product=product, accepted=True, hotspot_x=0.4, hotspot_y=0.6)
    server = serve(Storefront(api=live_server.url, key=site.publishable_key), "127.0.0.1", port)
    yield Shop(
        url=origin,
        api=live_server.url,
        site=site,
        assets=assets,
        product=product,
        hostile=assets[2],
    )
    server.shutdown()
    cache.clear()


def settle(live_server, timeout: float = 5.0) -> None:
    """Let the live server finish what a closed page sent last (the widget flushes its
    beacons on pagehide): the database flush after a test must not race those requests
    (it deadlocked once, TRUNCATE against a session upsert)."""
    time.sleep(0.3)  # the beacons leave the browser as its context closes
    httpd = getattr(live_server.thread, "httpd", None)
    deadline = time.monotonic() + timeout
    for thread in list(getattr(httpd, "_threads", None) or []):
        thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
    settle(live_server)
