"""Instagram through Meta's Graph API (Instagram API with Facebook Login). Instagram
Login's calls live in platforms/clients/instagram_login.py.

Covers: the Facebook Login code exchange and the long-lived token
(fb_exchange_token), ig_refresh_token, hashtag search with its budget
(recently_searched_hashtags), a hashtag's recent_media / top_media, the account's
tags, mentioned_media and mentioned_comment, the account's own media, a media
node (fetched again for a fresh media_url), replies to comments and mentions, and
the replies under a comment.

Limits respected: 30 unique hashtags per account in a rolling 7 days (checked
before a search), at most 50 media per page, and the usage headers
(X-App-Usage, X-Business-Use-Case-Usage): a call that would take usage past the
ceiling is refused here, before it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

from platforms.clients.base import Answer, Page, Transport, UsageGauge, expect, paginate
from platforms.errors import (
    HashtagBudgetExhausted,
    MediaGone,
    PlatformError,
    PlatformUnavailable,
    RateLimited,
    TokenInvalid,
)

PLATFORM = "instagram"
HASHTAG_BUDGET = 30
PAGE_LIMIT = 50
MEDIA_FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,"
    "children{id,media_type,media_url,thumbnail_url}"
)
# Hashtag media never carry the author (username/owner): Meta leaves them out.
HASHTAG_MEDIA_FIELDS = (
    "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count,"
    "children{id,media_type,media_url}"
)
OWN_MEDIA_FIELDS = MEDIA_FIELDS + ",username"
RATE_LIMIT_CODES = {4, 17, 32, 613, 80002}
TOKEN_CODES = {190, 102}
TRANSIENT_CODES = {1, 2}
# Meta documents the 30-hashtag limit but not the code of its refusal; the refusal
# is recognised by code 24 or by a message that speaks of the hashtag limit.
HASHTAG_LIMIT_CODE = 24
OBJECT_MISSING = (100, 33)


def raise_for(answer: Answer) -> None:
    """Graph's error object {"error": {message, type, code, error_subcode, fbtrace_id}}."""
    error = answer.body.get("error")
    if error is None:
        return
    if not isinstance(error, dict):
        raise PlatformError(PLATFORM, "error answer without an error object", status=answer.status)
    code, subcode = error.get("code"), error.get("error_subcode")
    message = str(error.get("message", ""))[:300]
    kwargs = {"code": code, "status": answer.status}
    if code in TOKEN_CODES:
        raise TokenInvalid(PLATFORM, message, **kwargs)
    if code == HASHTAG_LIMIT_CODE or ("hashtag" in message.lower() and "limit" in message.lower()):
        raise HashtagBudgetExhausted(PLATFORM, message, **kwargs)
    if code in RATE_LIMIT_CODES:
        regain = _regain_seconds(answer.headers)
        raise RateLimited(PLATFORM, message, retry_after=regain or 3600.0, **kwargs)
    if (code, subcode) == OBJECT_MISSING:
        raise MediaGone(PLATFORM, message, **kwargs)
    if code in TRANSIENT_CODES or answer.status >= 500:
        raise PlatformUnavailable(PLATFORM, message, **kwargs)
    raise PlatformError(PLATFORM, message, **kwargs)


def usage_percent(headers) -> tuple[float | None, float]:
    """(highest percent used across the usage headers, seconds to regain access)."""
    readings: list[float] = []
    for value in _usage_entries(headers):
        readings.extend(
            float(value[key])
            for key in ("call_count", "total_cputime", "total_time")
            if isinstance(value.get(key), int | float)
        )
    return (max(readings) if readings else None), _regain_seconds(headers)


def _usage_entries(headers) -> Iterator[dict]:
    app = _header_json(headers, "x-app-usage")
    if isinstance(app, dict):
        yield app
    buc = _header_json(headers, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for entries in buc.values():
            yield from (entry for entry in entries or [] if isinstance(entry, dict))


def _regain_seconds(headers) -> float:
    minutes = [
        entry.get("estimated_time_to_regain_access", 0)
        for entry in _usage_entries(headers)
        if isinstance(entry.get("estimated_time_to_regain_access", 0), int | float)
    ]
    return 60.0 * max(minutes, default=0)


def _header_json(headers, name):
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class GraphClient:
    """Calls on behalf of one Instagram professional account (`ig_user_id`) with its token."""

    def __init__(
        self,
        urls: dict[str, str],
        *,
        app_id: str = "",
        app_secret: str = "",
        usage_ceiling: float = 95.0,
        http=None,
    ):
        self.urls = urls
        self.app_id = app_id
        self.app_secret = app_secret
        self.graph = Transport(PLATFORM, urls["graph"], raise_for, http=http)
        self.usage = UsageGauge(PLATFORM, ceiling=usage_ceiling)

    def close(self) -> None:
        self.graph.close()

    def _get(self, path: str, token: str, params: dict | None = None) -> dict:
        return self._call("GET", path, token, params=params)

    def _call(self, method: str, path: str, token: str, **kwargs) -> dict:
        self.usage.check()
        try:
            answer = self.graph.call(method, path, token=token, **kwargs)
        except RateLimited:
            self.usage.read(100.0)
            raise
        self.usage.read(*usage_percent(answer.headers))
        return answer.body

    # -- OAuth (Facebook Login for Business) -------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, scopes: list[str]) -> str:
        query = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": ",".join(scopes),
            "response_type": "code",
        }
        return f"{self.urls['facebook_dialog']}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> dict:
        """The short-lived user token for an authorization code."""
        body = self.graph.call(
            "POST",
            "/oauth/access_token",
            data={
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        ).body
        return _token(body)

    def long_lived_token(self, short_lived: str) -> dict:
        """A long-lived (about 60 days) token for a short-lived one (fb_exchange_token)."""
        body = self.graph.call(
            "POST",
            "/oauth/access_token",
            data={
                "grant_type": "fb_exchange_token",
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "fb_exchange_token": short_lived,
            },
        ).body
        return _token(body)

    def instagram_accounts(self, token: str) -> list[dict]:
        """The Instagram professional accounts ({id, username}) of the user's Pages."""
        body = self._get(
            "/me/accounts", token, {"fields": "instagram_business_account{id,username}"}
        )
        accounts = []
        for page in _data(body, "me/accounts"):
            account = page.get("instagram_business_account")
            if account is not None:
                expect(PLATFORM, account, dict, "instagram_business_account")
                expect(PLATFORM, account.get("id"), str, "instagram_business_account id")
                accounts.append(account)
        return accounts

    # -- hashtags ------------------------------------------------------------------------

    def recently_searched_hashtags(self, token: str, ig_user_id: str) -> list[str]:
        """Hashtag ids this account searched in the rolling 7 days (its spent budget)."""
        body = self._get(f"/{ig_user_id}/recently_searched_hashtags", token, {"limit": 30})
        return [
            expect(PLATFORM, item.get("id"), str, "recently_searched_hashtags id")
            for item in _data(body, "recently_searched_hashtags")
        ]

    def hashtag_search(
        self, token: str, ig_user_id: str, name: str, searched: list[str] | None = None
    ) -> str:
        """The hashtag's id. A hashtag not searched in 7 days spends one of the 30;
        with `searched` (ids already spent) a 31st is refused here, not sent."""
        if searched is not None and len(set(searched)) >= HASHTAG_BUDGET:
            raise HashtagBudgetExhausted(
                PLATFORM, f"{len(set(searched))} hashtags searched in 7 days; the limit is 30"
            )
        body = self._get("/ig_hashtag_search", token, {"user_id": ig_user_id, "q": name})
        data = _data(body, "ig_hashtag_search")
        if not data:
            raise PlatformError(PLATFORM, f"no hashtag #{name}")
        return expect(PLATFORM, data[0].get("id"), str, "hashtag id")

    def hashtag_media(
        self,
        token: str,
        ig_user_id: str,
        hashtag_id: str,
        *,
        edge: str = "recent_media",
        cursor: str | None = None,
        limit: int = PAGE_LIMIT,
    ) -> Iterator[Page]:
        """Pages of a hashtag's recent_media (last 24 hours) or top_media, resumable by cursor."""
        params = {
            "user_id": ig_user_id,
            "fields": HASHTAG_MEDIA_FIELDS,
            "limit": min(limit, PAGE_LIMIT),
        }
        return paginate(
            lambda after: self._page(f"/{hashtag_id}/{edge}", token, params, after), cursor
        )

    # -- the account's mentions, tags and media -----------------------------------------

    def tags(self, token: str, ig_user_id: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of media the account is tagged in."""
        params = {"fields": MEDIA_FIELDS + ",username", "limit": PAGE_LIMIT}
        return paginate(
            lambda after: self._page(f"/{ig_user_id}/tags", token, params, after), cursor
        )

    def own_media(self, token: str, ig_user_id: str, cursor: str | None = None) -> Iterator[Page]:
        params = {"fields": OWN_MEDIA_FIELDS, "limit": PAGE_LIMIT}
        return paginate(
            lambda after: self._page(f"/{ig_user_id}/media", token, params, after), cursor
        )

    def mentioned_media(self, token: str, ig_user_id: str, media_id: str) -> dict:
        """A media whose caption @-mentions the account (its id comes from a webhook)."""
        fields = f"mentioned_media.media_id({media_id}){{{MEDIA_FIELDS},username}}"
        body = self._get(f"/{ig_user_id}", token, {"fields": fields})
        return _media(expect(PLATFORM, body.get("mentioned_media"), dict, "mentioned_media"))

    def mentioned_comment(self, token: str, ig_user_id: str, comment_id: str) -> dict:
        fields = (
            f"mentioned_comment.comment_id({comment_id}){{id,text,timestamp,media{{id,permalink}}}}"
        )
        body = self._get(f"/{ig_user_id}", token, {"fields": fields})
        return expect(PLATFORM, body.get("mentioned_comment"), dict, "mentioned_comment")

    def media(self, token: str, media_id: str, fields: str = MEDIA_FIELDS) -> dict:
        """A media node; its media_url is fresh (the ones in listings expire within days)."""
        return _media(self._get(f"/{media_id}", token, {"fields": fields}))

    # -- replies (rights requests) -------------------------------------------------------

    def reply_to_comment(self, token: str, comment_id: str, message: str) -> str:
        body = self._call("POST", f"/{comment_id}/replies", token, data={"message": message})
        return expect(PLATFORM, body.get("id"), str, "reply id")

    def reply_to_mention(
        self,
        token: str,
        ig_user_id: str,
        media_id: str,
        message: str,
        comment_id: str | None = None,
    ) -> str:
        """A comment on a media (or a reply to a comment) that @-mentioned the account."""
        data = {"media_id": media_id, "message": message}
        if comment_id:
            data["comment_id"] = comment_id
        body = self._call("POST", f"/{ig_user_id}/mentions", token, data=data)
        return expect(PLATFORM, body.get("id"), str, "reply id")

    def comment_replies(self, token: str, comment_id: str) -> list[dict]:
        """The first page (up to 50) of replies under a comment, oldest first."""
        body = self._get(
            f"/{comment_id}/replies",
            token,
            {"fields": "id,text,timestamp,username,from", "limit": PAGE_LIMIT},
        )
        replies = _data(body, "replies")
        for item in replies:
            expect(PLATFORM, item.get("id"), str, "reply id")
            expect(PLATFORM, item.get("text", ""), str, "reply text")
        return replies

    def _page(self, path: str, token: str, params: dict, after: str | None) -> Page:
        query = dict(params, **({"after": after} if after else {}))
        body = self._get(path, token, query)
        items = [_media(item) for item in _data(body, path)]
        paging = body.get("paging") or {}
        expect(PLATFORM, paging, dict, f"{path} paging")
        cursors = paging.get("cursors") or {}
        # Graph keeps an `after` cursor on the last page; only `next` says there is more.
        more = bool(paging.get("next")) and bool(cursors.get("after"))
        cursor = expect(PLATFORM, cursors["after"], str, f"{path} cursor") if more else None
        return Page(items, cursor)


def _data(body: dict, where: str) -> list[dict]:
    data = expect(PLATFORM, body.get("data"), list, f"{where} data")
    for item in data:
        expect(PLATFORM, item, dict, f"{where} item")
    return data


def _media(item: dict) -> dict:
    expect(PLATFORM, item.get("id"), str, "media id")
    for key in ("media_url", "permalink", "caption", "timestamp", "media_type"):
        if key in item:
            expect(PLATFORM, item[key], str, f"media {key}")
    for key in ("like_count", "comments_count"):
        if key in item:
            expect(PLATFORM, item[key], int, f"media {key}")
    if "children" in item:
        children = expect(PLATFORM, item["children"], dict, "media children")
        for child in _data(children, "media children"):
            _media(child)
    return item


def _token(body: dict) -> dict:
    expect(PLATFORM, body.get("access_token"), str, "access_token")
    if "expires_in" in body:
        expect(PLATFORM, body["expires_in"], int, "expires_in")
    return body
