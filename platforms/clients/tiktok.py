"""TikTok through Login Kit (OAuth 2.0 with PKCE) and the Display API v2.

Covers: the authorize URL with a PKCE challenge, the code exchange and refresh at
/v2/oauth/token/, /v2/user/info/, /v2/video/list/ (the user's videos, by cursor)
and /v2/video/query/ (fresh cover URLs for known ids). TikTok gives a cover image
and an embed link, never the video file.

Limits respected: 600 requests a minute per endpoint (sliding window), counted
here since TikTok reports no usage header; at most 20 videos per list page and
20 ids per query.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

from platforms.clients.base import Answer, Page, SlidingWindow, Transport, expect, paginate
from platforms.errors import PlatformError, PlatformUnavailable, RateLimited, TokenInvalid

PLATFORM = "tiktok"
REQUESTS_PER_MINUTE = 600
MAX_COUNT = 20
VIDEO_FIELDS = (
    "id,create_time,cover_image_url,share_url,video_description,duration,height,width,"
    "title,embed_html,embed_link,like_count,comment_count,share_count,view_count"
)
USER_FIELDS = "open_id,union_id,avatar_url,display_name"
TOKEN_ERRORS = {"access_token_invalid", "invalid_grant", "scope_not_authorized"}


def raise_for(answer: Answer) -> None:
    """API errors {"error": {code, message, log_id}} (code "ok" on success), and the
    OAuth endpoint's {"error": "...", "error_description": "..."}."""
    error = answer.body.get("error")
    if isinstance(error, str):
        message = str(answer.body.get("error_description", error))[:300]
        kind = TokenInvalid if error in TOKEN_ERRORS else PlatformError
        raise kind(PLATFORM, message, code=error, status=answer.status)
    if error is None:
        if answer.status >= 400:
            raise PlatformError(
                PLATFORM, f"HTTP {answer.status} without an error object", status=answer.status
            )
        return
    expect(PLATFORM, error, dict, "error")
    code = error.get("code")
    if code == "ok":
        return
    message = str(error.get("message", ""))[:300]
    kwargs = {"code": code, "status": answer.status}
    if code in TOKEN_ERRORS:
        raise TokenInvalid(PLATFORM, message, **kwargs)
    if code == "rate_limit_exceeded" or answer.status == 429:
        raise RateLimited(PLATFORM, message, retry_after=60.0, **kwargs)
    if answer.status >= 500 or code == "internal_error":
        raise PlatformUnavailable(PLATFORM, message, **kwargs)
    raise PlatformError(PLATFORM, message, **kwargs)


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge): S256, the challenge base64url without padding."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class TikTokClient:
    def __init__(
        self,
        urls: dict[str, str],
        *,
        client_key: str = "",
        client_secret: str = "",
        per_minute: int = REQUESTS_PER_MINUTE,
        window: float = 60.0,
        http=None,
    ):
        self.urls = urls
        self.client_key = client_key
        self.client_secret = client_secret
        self.api = Transport(PLATFORM, urls["tiktok_api"], raise_for, http=http)
        self.windows = {
            path: SlidingWindow(per_minute, window)
            for path in ("/v2/user/info/", "/v2/video/list/", "/v2/video/query/")
        }

    def close(self) -> None:
        self.api.close()

    def _call(self, method: str, path: str, token: str, **kwargs) -> dict:
        self.windows[path].acquire()
        body = self.api.call(method, path, token=token, **kwargs).body
        return expect(PLATFORM, body.get("data"), dict, f"{path} data")

    # -- OAuth ---------------------------------------------------------------------------

    def authorize_url(
        self, redirect_uri: str, state: str, scopes: list[str], code_challenge: str
    ) -> str:
        query = {
            "client_key": self.client_key,
            "response_type": "code",
            "scope": ",".join(scopes),
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.urls['tiktok_authorize']}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> dict:
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            }
        )

    def refresh(self, refresh_token: str) -> dict:
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _token(self, form: dict) -> dict:
        form = dict(form, client_key=self.client_key, client_secret=self.client_secret)
        body = self.api.call("POST", "/v2/oauth/token/", data=form).body
        for key in ("access_token", "refresh_token", "open_id"):
            expect(PLATFORM, body.get(key), str, key)
        for key in ("expires_in", "refresh_expires_in"):
            expect(PLATFORM, body.get(key), int, key)
        return body

    # -- Display API ---------------------------------------------------------------------

    def user_info(self, token: str) -> dict:
        data = self._call("GET", "/v2/user/info/", token, params={"fields": USER_FIELDS})
        return expect(PLATFORM, data.get("user"), dict, "user")

    def videos(self, token: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of the user's videos, newest first; the cursor is TikTok's (a time in ms)."""
        return paginate(lambda after: self._video_page(token, after), cursor)

    def _video_page(self, token: str, cursor: str | None) -> Page:
        body = {"max_count": MAX_COUNT, **({"cursor": int(cursor)} if cursor else {})}
        data = self._call(
            "POST", "/v2/video/list/", token, params={"fields": VIDEO_FIELDS}, json_body=body
        )
        videos = [_video(v) for v in expect(PLATFORM, data.get("videos", []), list, "videos")]
        more = expect(PLATFORM, data.get("has_more"), bool, "has_more")
        next_cursor = expect(PLATFORM, data.get("cursor"), int, "cursor")
        return Page(videos, str(next_cursor) if more else None)

    def query_videos(self, token: str, video_ids: list[str]) -> list[dict]:
        """Fresh fields (cover_image_url expires) for at most 20 videos of the user."""
        if len(video_ids) > MAX_COUNT:
            raise ValueError(f"at most {MAX_COUNT} video ids per query")
        data = self._call(
            "POST",
            "/v2/video/query/",
            token,
            params={"fields": VIDEO_FIELDS},
            json_body={"filters": {"video_ids": video_ids}},
        )
        return [_video(v) for v in expect(PLATFORM, data.get("videos", []), list, "videos")]


def _video(video) -> dict:
    expect(PLATFORM, video, dict, "video")
    expect(PLATFORM, video.get("id"), str, "video id")
    for key in ("cover_image_url", "share_url", "embed_link", "title", "video_description"):
        if key in video:
            expect(PLATFORM, video[key], str, f"video {key}")
    for key in ("create_time", "duration", "like_count", "comment_count", "view_count"):
        if key in video:
            expect(PLATFORM, video[key], int, f"video {key}")
    return video
