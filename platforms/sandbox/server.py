"""The emulator over HTTP: one ThreadingHTTPServer, each platform under its prefix
(platforms/hosts.py SANDBOX_PATHS), plus media files, webhook deliveries and an
admin API under /__sandbox/ (faults, clock, stats, webhook delivery).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from platforms.hosts import SANDBOX_PATHS
from platforms.sandbox import media
from platforms.sandbox.apis import Graph, TikTok, YouTube, graph_error, tiktok_error, youtube_error
from platforms.sandbox.state import Reply, Request, Sandbox

log = logging.getLogger(__name__)


class Router:
    """Request -> Reply for every path the emulator serves, faults applied first."""

    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox
        self.graph, self.tiktok, self.youtube = Graph(sandbox), TikTok(sandbox), YouTube(sandbox)

    def answer(self, req: Request) -> Reply:
        path = req.path
        if path.startswith("/__sandbox/"):
            return self.admin(req, path.removeprefix("/__sandbox/"))
        if path.startswith("/__media/"):
            return self.media_file(req, path.removeprefix("/__media/"))
        if path == SANDBOX_PATHS["facebook_dialog"]:
            return self.graph.dialog(req)
        if path == SANDBOX_PATHS["instagram_authorize"]:
            return self.graph.instagram_dialog(req)
        if path == SANDBOX_PATHS["tiktok_authorize"]:
            return self.tiktok.authorize(req)
        if path == SANDBOX_PATHS["google_authorize"]:
            return self.youtube.authorize(req)
        if path == SANDBOX_PATHS["google_token"]:
            return self.youtube.token(req)
        for prefix, platform, handler in (
            (SANDBOX_PATHS["graph"], "instagram", self.graph.handle),
            (SANDBOX_PATHS["instagram_graph"] + "/", "instagram", self.graph.instagram_host),
            (
                SANDBOX_PATHS["instagram_api"] + "/oauth/access_token",
                "instagram",
                lambda r, p: self.graph.instagram_code(r),
            ),
            (
                SANDBOX_PATHS["tiktok_api"] + "/v2/oauth/token/",
                "tiktok",
                lambda r, p: self.tiktok.token(r),
            ),
            (SANDBOX_PATHS["tiktok_api"], "tiktok", self.tiktok.handle),
            (SANDBOX_PATHS["youtube_api"], "youtube", self.youtube.handle),
        ):
            if path.startswith(prefix):
                with self.sb.lock:
                    fault = self.sb.take_fault(platform, path)
                    if fault == "token_expired":
                        self.sb.expire(req.token())
                    elif fault:
                        return FAULTS[fault](platform)
                    return handler(req, path.removeprefix(prefix))
        return Reply.json(404, {"error": {"message": f"no such path {path}"}})

    def media_file(self, req: Request, name: str) -> Reply:
        stem = name.rsplit(".", 1)[0]
        with self.sb.lock:
            refused = self.sb.media_allowed(stem, req.query)
        if refused:
            return Reply(
                403 if "signature" in refused else 404,
                refused.encode(),
                {"Content-Type": "text/plain"},
            )
        if self.sb.media_delay:
            time.sleep(self.sb.media_delay)
        with self.sb.lock:
            self.sb.counts["media", "/__media"] += 1
        picture = media.picture(stem, self.sb.seed, self.sb.media_size, self.sb.media_dir)
        return Reply(200, picture, {"Content-Type": "image/jpeg"})

    def admin(self, req: Request, what: str) -> Reply:
        body = req.json()
        try:
            if what == "faults" and req.method == "POST":
                self.sb.add_fault(
                    body.get("kind", ""),
                    body.get("platform", "*"),
                    body.get("path_contains", ""),
                    int(body.get("times", 1)),
                )
            elif what == "clock" and req.method == "POST":
                self.sb.advance(float(body.get("advance", 0)))
            elif what == "delete" and req.method == "POST":
                self.sb.deleted.add(str(body.get("media_id", "")))
            elif what == "webhooks" and req.method == "POST":
                return Reply.json(200, {"delivered": deliver_mentions(self.sb)})
            elif what != "stats":
                return Reply.json(404, {"error": f"unknown admin call {what}"})
        except (ValueError, TypeError) as exc:
            return Reply.json(400, {"error": str(exc)})
        return Reply.json(200, self.sb.stats())


def _malformed(platform: str) -> Reply:
    return Reply(
        200,
        b"<html><body>Sorry, something went wrong.</body></html>",
        {"Content-Type": "text/html"},
    )


def _truncated(platform: str) -> Reply:
    whole = json.dumps({"data": [{"id": "17900000000000001", "caption": "cut"}] * 3}).encode()
    return Reply(200, whole[: len(whole) // 2], {"Content-Type": "application/json"})


def _wrong_type(platform: str) -> Reply:
    if platform == "tiktok":
        return Reply.json(
            200,
            {
                "data": {"videos": "not-a-list", "cursor": "x", "has_more": 1},
                "error": {"code": "ok", "message": "", "log_id": "sandbox"},
            },
        )
    return Reply.json(200, {"data": "not-a-list", "items": "not-a-list"})


def _rate_limit(platform: str) -> Reply:
    if platform == "instagram":
        return graph_error(403, "(#4) Application request limit reached", 4)
    if platform == "tiktok":
        return tiktok_error(429, "rate_limit_exceeded", "API rate limit was exceeded.")
    return youtube_error(403, "rateLimitExceeded", "Rate limit exceeded.", "usageLimits")


def _server_error(platform: str) -> Reply:
    if platform == "instagram":
        return graph_error(
            500, "An unexpected error has occurred. Please retry your request later.", 2
        )
    if platform == "tiktok":
        return tiktok_error(500, "internal_error", "Something went wrong. Please try again later.")
    return youtube_error(500, "backendError", "Backend Error", "global")


FAULTS = {
    "malformed": _malformed,
    "truncated": _truncated,
    "wrong_type": _wrong_type,
    "rate_limit": _rate_limit,
    "server_error": _server_error,
}


def deliver_mentions(sandbox: Sandbox) -> int:
    """POST each new mention to the webhook URL, signed like Meta (X-Hub-Signature-256)."""
    if not sandbox.webhook_url:
        return 0
    delivered = 0
    for post in sandbox.pending_mentions():
        body = sandbox.mention_payload(post)
        request = urllib.request.Request(  # noqa: S310 (the configured callback)
            sandbox.webhook_url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sandbox.signature(body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (configured URL)
                status = response.status
        except OSError as exc:
            status = getattr(exc, "code", 0)
        sandbox.webhook_log.append({"media_id": post.id, "status": status})
        delivered += 1
    return delivered


def handshake(sandbox: Sandbox, challenge: str = "sandbox-challenge") -> bool:
    """Meta's subscription check: GET the callback with hub.* and expect the challenge back."""
    from urllib.parse import urlencode

    query = urlencode(
        {
            "hub.mode": "subscribe",
            "hub.verify_token": sandbox.verify_token,
            "hub.challenge": challenge,
        }
    )
    try:
        with urllib.request.urlopen(f"{sandbox.webhook_url}?{query}", timeout=5) as response:  # noqa: S310
            return response.read().decode() == challenge
    except OSError:
        return False


class Handler(BaseHTTPRequestHandler):
    router: Router
    protocol_version = "HTTP/1.1"

    def _serve(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            self.command,
            parts.path,
            dict(parse_qsl(parts.query)),
            {k.lower(): v for k, v in self.headers.items()},
            self.rfile.read(length),
        )
        try:
            reply = self.router.answer(request)
        except Exception:  # the emulator must answer, like the real API, even when it breaks
            log.exception("sandbox failed on %s %s", self.command, parts.path)
            reply = Reply.json(500, {"error": {"message": "sandbox internal error"}})
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format, *args):  # request lines carry no tokens, but keep tests quiet
        log.debug("sandbox %s", format % args)


class SandboxServer:
    """The emulator on 127.0.0.1:`port` (0 picks a free port), served from a thread."""

    def __init__(self, sandbox: Sandbox, port: int = 0, host: str = "127.0.0.1"):
        self.sandbox = sandbox
        handler = type("BoundHandler", (Handler,), {"router": Router(sandbox)})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        sandbox.base_url = self.url
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.stopping = threading.Event()

    def start(self) -> SandboxServer:
        self.thread.start()
        return self

    def deliver_forever(self, every: float = 1.0) -> None:
        """Deliver mentions as they arrive until stopped (the management command runs this)."""
        while not self.stopping.wait(every):
            deliver_mentions(self.sandbox)

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
