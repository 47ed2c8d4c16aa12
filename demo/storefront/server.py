"""A small threaded HTTP server for the demo storefront's pages."""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, unquote, urlsplit

PAGES = Path(__file__).resolve().parent / "pages"
PRODUCT_PATH = re.compile(r"^/products/([A-Za-z0-9._-]{1,100})$")


@dataclass(frozen=True)
class Storefront:
    """What the pages need: where the API is and the site's publishable key."""

    api: str
    key: str
    product_sku: str = "DEMO-TENT"

    def page(self, name: str, *, title: str, consent: bool, **values: str) -> bytes:
        """The page `name` inside the layout; every value is escaped into the HTML."""
        shared = {
            "api": html.escape(self.api),
            "key": html.escape(self.key),
            "product": html.escape(self.product_sku),
            "title": html.escape(title),
            "consent": "" if consent else ' data-ugc-consent="false"',
        }
        escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
        content = _template(name).substitute(**shared, **escaped)
        return _template("layout").substitute(**shared, content=content).encode()


def _template(name: str) -> Template:
    return Template((PAGES / f"{name}.html").read_text())


def _consented(query: str) -> bool:
    # ?consent=false shows a visitor who declined tracking.
    return parse_qs(query).get("consent") != ["false"]


def handler_for(shop: Storefront) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "DemoStorefront/1"

        def do_GET(self):
            url = urlsplit(self.path)
            consent = _consented(url.query)
            if url.path == "/":
                return self.send_page(shop.page("home", title="Home", consent=consent))
            match = PRODUCT_PATH.match(unquote(url.path))
            if match:
                page = shop.page("product", title=match[1], sku=match[1], consent=consent)
                return self.send_page(page)
            if url.path == "/favicon.ico":  # no icon; a 204 keeps the console clean
                self.send_response(HTTPStatus.NO_CONTENT)
                return self.end_headers()
            if url.path == "/healthz":
                return self.send_page(b"ok", "text/plain")
            return self.send_error(HTTPStatus.NOT_FOUND, "No such page in the demo storefront")

        def send_page(self, body: bytes, content_type: str = "text/html; charset=utf-8"):
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass  # the demo's log stays readable; the API's log has the requests that matter

    return Handler


def serve(shop: Storefront, host: str, port: int) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; the caller stops it with .shutdown()."""
    server = ThreadingHTTPServer((host, port), handler_for(shop))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="storefront", daemon=True).start()
    return server
