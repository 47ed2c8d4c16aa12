"""Helpers for the ingestion tests: images made on the spot, a local HTTP server."""

from __future__ import annotations

import io
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image


def jpeg_bytes(color=(200, 30, 30), size=(32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def png_bytes(color=(10, 200, 30), size=(20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


class LocalServer:
    """An HTTP server on 127.0.0.1 answering from a route table.

    routes: path -> (status, headers dict, body bytes); `delay` holds each answer
    back that long, and `most_at_once` is the most requests it has served at once.
    """

    def __init__(self, tls_cert: str | None = None, tls_key: str | None = None):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: list[str] = []
        self.hosts: list[str] = []  # Host headers received
        self.server_names: list[str | None] = []  # TLS SNI received
        self.delay, self.most_at_once, self._serving = 0.0, 0, 0
        lock = threading.Lock()
        routes, hits, hosts, local = self.routes, self.hits, self.hosts, self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                hosts.append(self.headers.get("Host", ""))
                with lock:
                    local._serving += 1
                    local.most_at_once = max(local.most_at_once, local._serving)
                try:
                    time.sleep(local.delay)
                    self.answer()
                finally:
                    with lock:
                        local._serving -= 1

            def answer(self):
                status, headers, body = routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls_cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            context.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# Fixtures: test modules import the *_fixture functions (no shared conftest to collide
# on) and ask for them by their short names.


@pytest.fixture(name="private_media")
def private_media_fixture(monkeypatch, tmp_path):
    """Originals and renditions under this test's tmp_path."""
    from django.core.files.storage import FileSystemStorage

    from ugc.models import Asset, Rendition

    originals = FileSystemStorage(location=tmp_path / "private", base_url=None)
    served = FileSystemStorage(location=tmp_path / "media", base_url="/media/")
    monkeypatch.setattr(Asset._meta.get_field("original"), "storage", originals)
    monkeypatch.setattr(Rendition._meta.get_field("file"), "storage", served)
    return tmp_path / "private"


@pytest.fixture(name="local_server")
def local_server_fixture(settings):
    """A server on 127.0.0.1 that the fetcher may reach (only this exact host name)."""
    settings.UGC_FETCH_ALLOWED_HOSTS = ["127.0.0.1"]
    with LocalServer() as server:
        yield server
