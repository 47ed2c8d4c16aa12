"""The TikTok and YouTube clients against the emulator over HTTP, and the webhook helpers."""

import hashlib
import hmac
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from platforms.clients.tiktok import TikTokClient, pkce_pair
from platforms.clients.youtube import YouTubeClient
from platforms.errors import (
    MalformedResponse,
    PlatformError,
    QuotaExceeded,
    RateLimited,
    TokenInvalid,
)
from platforms.sandbox.server import deliver_mentions, handshake
from platforms.webhooks import handshake_challenge, signature_valid

from .conftest import APP


def tiktok_connect(tiktok) -> dict:
    verifier, challenge = pkce_pair()
    url = tiktok.authorize_url("https://app.example/tt", "st-9", ["video.list"], challenge)
    location = httpx.URL(httpx.get(url).headers["location"])
    assert location.params["state"] == "st-9"
    return tiktok.exchange_code(location.params["code"], "https://app.example/tt", verifier)


def test_tiktok_pkce_is_checked_and_refresh_works(tiktok):
    _verifier, challenge = pkce_pair()
    url = tiktok.authorize_url("https://app.example/tt", "s", ["video.list"], challenge)
    code = httpx.URL(httpx.get(url).headers["location"]).params["code"]
    with pytest.raises(PlatformError, match="verifier"):
        tiktok.exchange_code(code, "https://app.example/tt", "not-the-verifier" * 3)
    tokens = tiktok_connect(tiktok)
    fresh = tiktok.refresh(tokens["refresh_token"])
    assert fresh["access_token"] != tokens["access_token"]
    assert tiktok.user_info(fresh["access_token"])["display_name"]


def test_tiktok_videos_page_by_cursor_and_query_refreshes_covers(tiktok, sandbox):
    tokens = tiktok_connect(tiktok)
    token = tokens["access_token"]
    pages = []
    for page in tiktok.videos(token):
        pages.append(page)
        if len(pages) == 3:
            break
    ids = [v["id"] for p in pages for v in p.items]
    assert len(ids) == 60 == len(set(ids)) and pages[0].cursor
    video = pages[0].items[0]
    assert video["embed_link"] and "x-expires=" in video["cover_image_url"]
    assert httpx.get(video["cover_image_url"]).status_code == 200
    sandbox.advance(sandbox.media_ttl + 1)
    assert httpx.get(video["cover_image_url"]).status_code == 403
    token = tiktok.refresh(tokens["refresh_token"])["access_token"]  # a day-long token lapsed too
    fresh = tiktok.query_videos(token, [video["id"]])[0]["cover_image_url"]
    assert httpx.get(fresh).status_code == 200


def test_tiktok_paced_client_never_meets_the_rate_limit(urls, sandbox):
    sandbox.tiktok_per_window, sandbox.tiktok_window = 5, 1.0
    paced = TikTokClient(
        urls, client_key=APP["app_id"], client_secret=APP["app_secret"], per_minute=5, window=1.0
    )
    token = tiktok_connect(paced)["access_token"]
    for _ in range(12):
        paced.user_info(token)
    assert sandbox.counts["tiktok", "/v2/user/info/"] == 12
    assert sandbox.refused["tiktok", "rate_limit"] == 0
    unpaced = TikTokClient(
        urls, client_key=APP["app_id"], client_secret=APP["app_secret"], per_minute=100, window=1.0
    )
    with pytest.raises(RateLimited):
        for _ in range(12):
            unpaced.user_info(token)
    assert sandbox.refused["tiktok", "rate_limit"] == 1
    paced.close(), unpaced.close()


def test_tiktok_faults(tiktok, sandbox):
    token = tiktok_connect(tiktok)["access_token"]
    sandbox.add_fault("wrong_type", "tiktok")
    with pytest.raises(MalformedResponse):
        next(tiktok.videos(token))
    sandbox.add_fault("token_expired", "tiktok")
    with pytest.raises(TokenInvalid, match="access token is invalid"):
        tiktok.user_info(token)


def youtube_token(youtube) -> str:
    url = youtube.authorize_url("https://app.example/yt", "st", ["youtube.force-ssl"])
    location = httpx.URL(httpx.get(url).headers["location"])
    tokens = youtube.exchange_code(location.params["code"], "https://app.example/yt")
    return youtube.refresh(tokens["refresh_token"])["access_token"]


def test_youtube_quota_is_counted_and_never_overspent(urls, sandbox):
    sandbox.youtube_daily_units = 350
    youtube = YouTubeClient(
        urls, client_id=APP["app_id"], client_secret=APP["app_secret"], daily_quota=350
    )
    token = youtube_token(youtube)
    pages = []
    with pytest.raises(QuotaExceeded):
        for page in youtube.search(token, "denim haul"):
            pages.append(page)
    assert len(pages) == 3  # 100 units a page: a fourth would pass 350
    ids = [item["id"]["videoId"] for page in pages for item in page.items]
    videos = youtube.videos(token, ids[:50])
    assert videos[0]["player"]["embedHtml"].startswith("<iframe")
    assert sum(sandbox.units.values()) == 301 and sandbox.refused["youtube", "quota"] == 0
    youtube.close()


def test_youtube_comment_and_errors(youtube, sandbox):
    token = youtube_token(youtube)
    video_id = next(youtube.search(token, "picnic")).items[0]["id"]["videoId"]
    thread = youtube.comment(token, video_id, "May we feature this?")
    assert sandbox.replies[-1]["target"] == video_id and thread["id"]
    sandbox.add_fault("server_error", "youtube")
    with pytest.raises(PlatformError):
        youtube.my_channels(token)
    with pytest.raises(TokenInvalid):
        youtube.my_channels("not-a-token")


class Receiver(BaseHTTPRequestHandler):
    """A webhook endpoint built on the helpers in platforms/webhooks.py."""

    received: list = []

    def do_GET(self):
        query = dict(parse_qsl(urlsplit(self.path).query))
        challenge = handshake_challenge(query, "sandbox-verify")
        self.send_response(200 if challenge else 403)
        self.end_headers()
        self.wfile.write((challenge or "").encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        ok = signature_valid("sandbox-secret", body, self.headers.get("X-Hub-Signature-256"))
        self.received.append((ok, body))
        self.send_response(200 if ok else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_webhook_handshake_and_signed_mentions(sandbox):
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        sandbox.webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        assert handshake(sandbox)
        sandbox.verify_token = "wrong"
        assert not handshake(sandbox)
        deliver_mentions(sandbox)  # starts from now
        sandbox.advance(sandbox.interval * 3)
        assert deliver_mentions(sandbox) == 3
        assert [ok for ok, _ in Receiver.received] == [True] * 3
        assert all(entry["status"] == 200 for entry in sandbox.webhook_log)
    finally:
        receiver.shutdown()
        receiver.server_close()
    body = b'{"object":"instagram"}'
    good = "sha256=" + hmac.new(b"sandbox-secret", body, hashlib.sha256).hexdigest()
    assert signature_valid("sandbox-secret", body, good)
    assert not signature_valid("sandbox-secret", body + b" ", good)
    assert not signature_valid("sandbox-secret", body, None)
