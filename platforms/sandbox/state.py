"""The emulator's world in memory: a clock, apps and tokens, feeds of posts that keep
arriving, request counters, faults. The HTTP layer (server.py) and the platform
handlers (apis.py) read and change it; tests drive it through the same object.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

from platforms.sandbox import media

DAY = 86400.0
IG_USER_ID = "17841400000000001"
IG_USERNAME = "sandbox_brand"
TIKTOK_OPEN_ID = "sandbox-open-id-0001"
FAULT_KINDS = {
    "token_expired",
    "rate_limit",
    "server_error",
    "malformed",
    "truncated",
    "wrong_type",
}


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload, headers: dict | None = None) -> Reply:
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


@dataclass
class Request:
    method: str
    path: str
    query: dict  # name -> last value
    headers: dict  # lower-case names
    body: bytes

    def form(self) -> dict:
        from urllib.parse import parse_qsl

        if self.headers.get("content-type", "").startswith("application/json"):
            return self.json()
        return dict(parse_qsl(self.body.decode(errors="replace")))

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith(("bearer ", "oauth ")):
            return auth.split(" ", 1)[1].strip()
        return self.query.get("access_token")


@dataclass
class Token:
    platform: str
    user: str
    expires_at: float
    kind: str = "access"  # access | refresh
    revoked: bool = False


@dataclass
class Fault:
    kind: str
    platform: str = "*"
    path_contains: str = ""
    times: int = 1


@dataclass
class Post:
    feed: str
    index: int
    id: str
    created: float
    rng: random.Random


class Sandbox:
    """All state of one emulator. Thread-safe: the HTTP server answers from several threads."""

    def __init__(
        self,
        *,
        seed: int = 1,
        rate: float = 1.0,
        backlog: float = 2 * DAY,
        app_id: str = "sandbox-app",
        app_secret: str = "sandbox-secret",  # noqa: S107 (emulator only)
        verify_token: str = "sandbox-verify",  # noqa: S107
        graph_calls_per_hour: int = 200,
        tiktok_per_window: int = 600,
        tiktok_window: float = 60.0,
        youtube_daily_units: int = 10_000,
        replies_per_hour: int = 60,
        media_ttl: float = 3 * DAY,
        webhook_url: str = "",
        media_size: tuple[int, int] = media.SIZE,
        media_dir: str | None = None,
    ):
        self.seed = seed
        self.interval = max(1, round(60.0 / rate))  # seconds between posts of one feed
        self.app_id, self.app_secret, self.verify_token = app_id, app_secret, verify_token
        self.graph_calls_per_hour = graph_calls_per_hour
        self.tiktok_per_window, self.tiktok_window = tiktok_per_window, tiktok_window
        self.youtube_daily_units = youtube_daily_units
        self.replies_per_hour = replies_per_hour
        self.media_ttl = media_ttl
        self.webhook_url = webhook_url
        self.media_size = media_size  # tests ask for small pictures: drawing 1 MP takes time
        self.media_delay = 0.0  # seconds before each media file (a slow CDN; kill tests)
        # Pictures drawn ahead (media.draw_all): served like a CDN serves files, so a
        # benchmark times the collector, not the drawing.
        self.media_dir = media_dir
        self.base_url = ""
        self.lock = threading.RLock()
        self.offset = 0.0
        self.started = time.time()
        self.epoch = float(int(self.started - backlog))  # feeds hold this much history at start
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, dict] = {}
        self.searched: dict[str, dict[str, float]] = defaultdict(dict)
        self.hashtags: dict[str, str] = {}  # id -> name
        self.feeds: list[str] = []
        self.deleted: set[str] = set()
        self.replies: list[dict] = []  # the brand's comments and replies
        self.answers: dict[str, list[dict]] = defaultdict(list)  # parent id -> replies under it
        self.faults: list[Fault] = []
        self.counts: Counter = Counter()  # (platform, endpoint) -> answered calls
        self.refused: Counter = Counter()  # (platform, reason) -> calls refused for a limit
        self.windows: dict[tuple, deque] = defaultdict(deque)
        self.quota_peaks: dict[tuple, float] = {}  # window key -> highest share of its limit
        self.units: Counter = Counter()  # YouTube units per Pacific day
        self.delivered_mentions = 0
        self.webhook_log: list[dict] = []

    # -- clock ---------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.offset += seconds

    # -- tokens and codes ----------------------------------------------------------------

    def issue(self, platform: str, user: str, lifetime: float, kind: str = "access") -> str:
        value = f"{platform[:2]}.{kind[0]}.{secrets.token_urlsafe(24)}"
        self.tokens[value] = Token(platform, user, self.now() + lifetime, kind)
        return value

    def check_token(self, platform: str, value: str | None, kind: str = "access") -> Token | None:
        token = self.tokens.get(value or "")
        if token is None or token.platform != platform or token.kind != kind:
            return None
        if token.revoked or token.expires_at <= self.now():
            return None
        return token

    def expire(self, value: str | None) -> None:
        if value in self.tokens:
            self.tokens[value].expires_at = self.now() - 1

    def new_code(self, **details) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = dict(details, expires_at=self.now() + 600)
        return code

    def take_code(self, code: str) -> dict | None:
        """Codes are single use and live ten minutes."""
        details = self.codes.pop(code or "", None)
        if details is None or details["expires_at"] <= self.now():
            return None
        return details

    # -- faults --------------------------------------------------------------------------

    def add_fault(self, kind: str, platform: str = "*", path_contains: str = "", times: int = 1):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        with self.lock:
            self.faults.append(Fault(kind, platform, path_contains, times))

    def take_fault(self, platform: str, path: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if fault.platform in ("*", platform) and fault.path_contains in path:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault.kind
        return None

    # -- counting ------------------------------------------------------------------------

    def count_in_window(self, key: tuple, window: float, limit: int) -> int | None:
        """Record a call in a sliding window; None when it would pass `limit` (refused)."""
        now = self.now()
        calls = self.windows[key]
        while calls and now - calls[0] >= window:
            calls.popleft()
        if len(calls) >= limit:
            return None
        calls.append(now)
        self.quota_peaks[key] = max(self.quota_peaks.get(key, 0.0), len(calls) / limit)
        return len(calls)

    def max_in_window(self, key: tuple) -> int:
        return len(self.windows.get(key, ()))

    # -- feeds ---------------------------------------------------------------------------

    def feed_number(self, feed: str) -> int:
        with self.lock:
            if feed not in self.feeds:
                self.feeds.append(feed)
            return self.feeds.index(feed)

    def arrived(self, feed: str) -> int:
        """How many posts the feed has by now: one every `interval` seconds since the epoch."""
        return int((self.now() - self.epoch) // self.interval) + 1

    def post(self, feed: str, index: int) -> Post:
        number = self.feed_number(feed)
        rng = random.Random(f"{self.seed}|{feed}|{index}")  # noqa: S311 (made-up posts)
        return Post(
            feed, index, f"179{number:04d}{index:09d}", self.epoch + index * self.interval, rng
        )

    def post_by_id(self, media_id: str) -> Post | None:
        if (
            len(media_id) != 16
            or not media_id.isdigit()
            or media_id[:3] not in {"179", "180", "181"}
        ):
            return None
        number, index = int(media_id[3:7]), int(media_id[7:])
        if number >= len(self.feeds) or index >= self.arrived(self.feeds[number]):
            return None
        return self.post(self.feeds[number], index)

    def newest_first(self, feed: str, since: float = 0.0):
        """Indexes of the feed's posts, newest first, created at or after `since`."""
        newest = self.arrived(feed) - 1
        oldest = max(0, int((since - self.epoch + self.interval - 1) // self.interval))
        return range(newest, oldest - 1, -1)

    # -- signed media URLs ---------------------------------------------------------------

    def sign(self, name: str, expires: int) -> str:
        key = f"{self.seed}:{self.app_secret}".encode()
        return hmac.new(key, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def media_url(self, name: str, style: str = "instagram") -> str:
        expires = int(self.now() + self.media_ttl)
        signature = self.sign(name, expires)
        if style == "tiktok":
            return (
                f"{self.base_url}/__media/{name}.jpeg?x-expires={expires}&x-signature={signature}"
            )
        return f"{self.base_url}/__media/{name}.jpg?oe={expires:X}&oh={signature}"

    def media_allowed(self, name: str, query: dict) -> str | None:
        """None when the URL is valid and unexpired, else why it is refused."""
        if name.startswith("yt"):
            return None
        raw = query.get("oe") or query.get("x-expires") or ""
        signature = query.get("oh") or query.get("x-signature") or ""
        try:
            expires = int(raw, 16) if "oe" in query else int(raw)
        except ValueError:
            return "Bad URL signature"
        if not hmac.compare_digest(self.sign(name, expires), signature):
            return "Bad URL signature"
        if expires <= self.now():
            return "URL signature expired"
        post_id = name.removeprefix("tt")
        if post_id in self.deleted:
            return "Content not found"
        return None

    # -- webhooks ------------------------------------------------------------------------

    def signature(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def pending_mentions(self) -> list[Post]:
        """Mentions that arrived since the last delivery (the first call starts from now)."""
        feed = f"mentions:{IG_USER_ID}"
        with self.lock:
            arrived = self.arrived(feed)
            first = self.delivered_mentions or arrived
            self.delivered_mentions = arrived
        return [self.post(feed, i) for i in range(first, arrived)]

    def mention_payload(self, post: Post) -> bytes:
        change = {"field": "mentions", "value": {"media_id": post.id}}
        entry = {"id": IG_USER_ID, "time": int(post.created), "changes": [change]}
        return json.dumps({"object": "instagram", "entry": [entry]}).encode()

    def creator_answers(
        self, reply_id: str, text: str, *, username: str, user_id: str, verb: str = "add"
    ) -> dict:
        """Someone answers under one of the brand's replies (the creator approving or
        declining, or anyone else): the answer is listed under the reply (Graph's
        /{id}/replies, YouTube's comments.list) and the comments webhook payload
        Instagram would send is returned. "remove" deletes the author's answers there."""
        with self.lock:
            comment_id = f"183{sum(map(len, self.answers.values())) + len(self.replies):013d}"
            if verb == "remove":
                self.answers[reply_id] = [
                    a for a in self.answers[reply_id] if a["from"]["id"] != user_id
                ]
            else:
                self.answers[reply_id].append(
                    {
                        "id": comment_id,
                        "text": text,
                        "from": {"id": user_id, "username": username},
                        "timestamp": int(self.now()),
                    }
                )
        value = {
            "id": comment_id,
            "parent_id": reply_id,
            "text": text,
            "from": {"id": user_id, "username": username},
            "verb": verb,
            "media": {"id": next((r["target"] for r in self.replies if r["id"] == reply_id), "")},
        }
        return {
            "object": "instagram",
            "entry": [
                {
                    "id": IG_USER_ID,
                    "time": int(self.now()),
                    "changes": [{"field": "comments", "value": value}],
                }
            ],
        }

    def stats(self) -> dict:
        with self.lock:
            return {
                "counts": {f"{p} {e}": n for (p, e), n in self.counts.items()},
                "refused": {f"{p} {r}": n for (p, r), n in self.refused.items()},
                "youtube_units": dict(self.units),
                # The highest share of each limit used at any moment (1.0: all of it).
                "quota_used": {
                    **{" ".join(map(str, k)): round(v, 4) for k, v in self.quota_peaks.items()},
                    **{
                        f"youtube units {day}": round(n / self.youtube_daily_units, 4)
                        for day, n in self.units.items()
                    },
                },
                "hashtags_searched": {u: len(h) for u, h in self.searched.items()},
                "replies": len(self.replies),
                "webhooks": len(self.webhook_log),
            }


def encode_cursor(value) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError:
        return -1
