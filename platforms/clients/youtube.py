"""YouTube Data API v3 and Google's OAuth 2.0 token endpoint.

Covers: the authorize URL and code exchange / refresh, search.list (videos for a
query, by pageToken), videos.list (statistics and the embed player),
channels.list (mine), commentThreads.list and commentThreads.insert, comments.insert
(a reply in a thread) and comments.list (a thread's replies, by parentId). YouTube gives
thumbnails and an embed player, never the video file.

Limits respected: the daily quota (10,000 units by default; search.list costs
100, commentThreads.insert 50, the list calls 1), counted here per day in
Pacific time so a call that would overspend is refused before it is sent;
maxResults at most 50.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from platforms.clients.base import Answer, Page, Transport, expect, paginate
from platforms.errors import (
    MediaGone,
    PlatformError,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    TokenInvalid,
)

PLATFORM = "youtube"
DAILY_QUOTA = 10_000
COSTS = {
    "search": 100,
    "videos": 1,
    "channels": 1,
    "commentThreads.list": 1,
    "commentThreads.insert": 50,
    "comments.insert": 50,
    "comments.list": 1,
}
MAX_RESULTS = 50
PACIFIC = ZoneInfo("America/Los_Angeles")
QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded"}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
GONE_REASONS = {"videoNotFound", "commentThreadNotFound", "commentNotFound", "channelNotFound"}


def seconds_to_quota_reset(now: dt.datetime | None = None) -> float:
    """The quota resets at midnight Pacific time."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(PACIFIC)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def raise_for(answer: Answer) -> None:
    """{"error": {code, message, errors: [{reason, domain, message}]}}, and Google
    OAuth's {"error": "invalid_grant", "error_description": ...}."""
    error = answer.body.get("error")
    if error is None:
        return
    if isinstance(error, str):
        message = str(answer.body.get("error_description", error))[:300]
        kind = TokenInvalid if error in {"invalid_grant", "invalid_token"} else PlatformError
        raise kind(PLATFORM, message, code=error, status=answer.status)
    expect(PLATFORM, error, dict, "error")
    reasons = {e.get("reason") for e in error.get("errors") or [] if isinstance(e, dict)}
    message = str(error.get("message", ""))[:300]
    kwargs = {"code": next(iter(reasons), error.get("code")), "status": answer.status}
    if answer.status == 401 or "authError" in reasons:
        raise TokenInvalid(PLATFORM, message, **kwargs)
    if reasons & QUOTA_REASONS:
        raise QuotaExceeded(PLATFORM, message, retry_after=seconds_to_quota_reset(), **kwargs)
    if reasons & RATE_REASONS or answer.status == 429:
        raise RateLimited(PLATFORM, message, retry_after=60.0, **kwargs)
    if reasons & GONE_REASONS:
        raise MediaGone(PLATFORM, message, **kwargs)
    if answer.status >= 500:
        raise PlatformUnavailable(PLATFORM, message, **kwargs)
    raise PlatformError(PLATFORM, message, **kwargs)


class QuotaLedger:
    """Units spent today (Pacific day); refuses a call that would pass the daily quota."""

    def __init__(self, daily: int = DAILY_QUOTA):
        self.daily = daily
        self.day = None
        self.spent = 0
        self._lock = threading.Lock()

    def spend(self, units: int) -> None:
        with self._lock:
            today = dt.datetime.now(PACIFIC).date()
            if today != self.day:
                self.day, self.spent = today, 0
            if self.spent + units > self.daily:
                raise QuotaExceeded(
                    PLATFORM,
                    f"{self.spent} of {self.daily} units spent today; a call costs {units}",
                    retry_after=seconds_to_quota_reset(),
                )
            self.spent += units


class YouTubeClient:
    def __init__(
        self,
        urls: dict[str, str],
        *,
        client_id: str = "",
        client_secret: str = "",
        daily_quota: int = DAILY_QUOTA,
        http=None,
    ):
        self.urls = urls
        self.client_id = client_id
        self.client_secret = client_secret
        self.api = Transport(PLATFORM, urls["youtube_api"], raise_for, http=http)
        self.quota = QuotaLedger(daily_quota)

    def close(self) -> None:
        self.api.close()

    def _call(self, method: str, path: str, cost: str, token: str, **kwargs) -> dict:
        self.quota.spend(COSTS[cost])
        return self.api.call(method, path, token=token, **kwargs).body

    # -- OAuth ---------------------------------------------------------------------------

    def authorize_url(
        self, redirect_uri: str, state: str, scopes: list[str], code_challenge: str = ""
    ) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": " ".join(scopes),
            "response_type": "code",
            "access_type": "offline",
            "prompt": "consent",
        }
        if code_challenge:  # PKCE (S256), which Google accepts for web apps too
            query.update(code_challenge=code_challenge, code_challenge_method="S256")
        return f"{self.urls['google_authorize']}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> dict:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self._token(form)

    def refresh(self, refresh_token: str) -> dict:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, form: dict) -> dict:
        form = dict(form, client_id=self.client_id, client_secret=self.client_secret)
        body = self.api.call("POST", "", url=self.urls["google_token"], data=form).body
        expect(PLATFORM, body.get("access_token"), str, "access_token")
        expect(PLATFORM, body.get("expires_in"), int, "expires_in")
        return body

    # -- Data API ------------------------------------------------------------------------

    def search(
        self,
        token: str,
        query: str,
        *,
        published_after: str | None = None,
        channel_id: str | None = None,
        cursor: str | None = None,
    ) -> Iterator[Page]:
        """Pages of videos matching `query` (of one channel when given), newest first
        (100 units a page)."""
        params = {
            "part": "snippet",
            "q": query,
            "type": "video",
            "order": "date",
            "maxResults": MAX_RESULTS,
        }
        if published_after:
            params["publishedAfter"] = published_after
        if channel_id:
            params["channelId"] = channel_id
        return paginate(lambda after: self._page("/search", "search", token, params, after), cursor)

    def videos(self, token: str, video_ids: list[str]) -> list[dict]:
        if len(video_ids) > MAX_RESULTS:
            raise ValueError(f"at most {MAX_RESULTS} ids per videos.list")
        body = self._call(
            "GET",
            "/videos",
            "videos",
            token,
            params={"part": "snippet,statistics,player", "id": ",".join(video_ids)},
        )
        return _items(body, "videos")

    def my_channels(self, token: str) -> list[dict]:
        body = self._call(
            "GET",
            "/channels",
            "channels",
            token,
            params={"part": "snippet,statistics", "mine": "true"},
        )
        return _items(body, "channels")

    def comment_threads(
        self, token: str, video_id: str, cursor: str | None = None
    ) -> Iterator[Page]:
        params = {"part": "snippet", "videoId": video_id, "maxResults": 100}
        return paginate(
            lambda after: self._page(
                "/commentThreads", "commentThreads.list", token, params, after
            ),
            cursor,
        )

    def comment(self, token: str, video_id: str, text: str) -> dict:
        """A top-level comment on a video (commentThreads.insert, 50 units)."""
        snippet = {"videoId": video_id, "topLevelComment": {"snippet": {"textOriginal": text}}}
        return self._insert("/commentThreads", "commentThreads.insert", token, snippet)

    def reply(self, token: str, parent_id: str, text: str) -> dict:
        """A reply in a comment thread (comments.insert with snippet.parentId, 50 units)."""
        snippet = {"parentId": parent_id, "textOriginal": text}
        return self._insert("/comments", "comments.insert", token, snippet)

    def _insert(self, path: str, cost: str, token: str, snippet: dict) -> dict:
        answer = self._call(
            "POST", path, cost, token, params={"part": "snippet"}, json_body={"snippet": snippet}
        )
        expect(PLATFORM, answer.get("id"), str, f"{cost} id")
        return answer

    def replies(self, token: str, parent_id: str) -> list[dict]:
        """The first page (up to 100) of a thread's replies (comments.list, 1 unit)."""
        body = self._call(
            "GET",
            "/comments",
            "comments.list",
            token,
            params={"part": "snippet", "parentId": parent_id, "maxResults": 100},
        )
        return _items(body, "comments")

    def _page(self, path: str, cost: str, token: str, params: dict, after: str | None) -> Page:
        body = self._call(
            "GET", path, cost, token, params=dict(params, **({"pageToken": after} if after else {}))
        )
        cursor = body.get("nextPageToken")
        if cursor is not None:
            expect(PLATFORM, cursor, str, "nextPageToken")
        return Page(_items(body, path), cursor)


def _items(body: dict, where: str) -> list[dict]:
    items = expect(PLATFORM, body.get("items"), list, f"{where} items")
    for item in items:
        expect(PLATFORM, item, dict, f"{where} item")
    return items
