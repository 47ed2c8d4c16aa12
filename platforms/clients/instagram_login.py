"""Instagram API with Instagram Login (Business Login for Instagram): no Facebook Page.

Covers: the consent URL (www.instagram.com/oauth/authorize), the code exchange
(api.instagram.com/oauth/access_token), the 60-day token (`ig_exchange_token`) and
its refresh (`ig_refresh_token`), the account (`/me`), its own media (`/me/media`)
and a media node (a fresh media_url), all on graph.instagram.com with Graph's
error object, paging and usage headers.

Not offered with Instagram Login: hashtag search, the tags edge and
mentioned_media (Meta documents them for Facebook Login only); mentions reach such
an app through webhooks. Those methods refuse here, before sending.
"""

from __future__ import annotations

from urllib.parse import urlencode

from platforms.clients.base import Answer, Transport, expect
from platforms.clients.graph import PLATFORM, GraphClient, _token, raise_for
from platforms.errors import PlatformError

FACEBOOK_ONLY = "needs an account connected with Facebook Login (Instagram Login does not offer it)"


def raise_for_oauth(answer: Answer) -> None:
    """api.instagram.com answers errors as {error_type, code, error_message}."""
    if "error_message" in answer.body or "error_type" in answer.body:
        message = str(answer.body.get("error_message", answer.body.get("error_type")))[:300]
        raise PlatformError(PLATFORM, message, code=answer.body.get("code"), status=answer.status)
    raise_for(answer)


class InstagramLoginClient(GraphClient):
    """Graph calls on graph.instagram.com for an account connected with Instagram Login."""

    def __init__(self, urls: dict[str, str], **kwargs):
        super().__init__(urls, **kwargs)
        # Every read goes to graph.instagram.com; the code exchange to api.instagram.com.
        http = self.graph.http
        self.graph = Transport(PLATFORM, urls["instagram_graph"], raise_for, http=http)
        self.oauth = Transport(PLATFORM, urls["instagram_api"], raise_for_oauth, http=http)

    def authorize_url(self, redirect_uri: str, state: str, scopes: list[str]) -> str:
        query = {
            "client_id": self.app_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": ",".join(scopes),
            "state": state,
        }
        return f"{self.urls['instagram_authorize']}?{urlencode(query)}"

    def exchange_code(self, code: str, redirect_uri: str) -> dict:
        """{access_token (short-lived, one hour), user_id, permissions} for a code."""
        body = self.oauth.call(
            "POST",
            "/oauth/access_token",
            data={
                "client_id": self.app_id,
                "client_secret": self.app_secret,
                "grant_type": "authorization_code",
                "redirect_uri": redirect_uri,
                "code": code,
            },
        ).body
        # Business Login answers {"data": [{...}]}; the older flow answered the object itself.
        if "data" in body:
            data = expect(PLATFORM, body["data"], list, "oauth data")
            body = expect(PLATFORM, data[0] if data else None, dict, "oauth data item")
        granted = _token(body)
        expect(PLATFORM, granted.get("user_id"), (str, int), "user_id")
        return granted

    def long_lived_token(self, short_lived: str) -> dict:
        """The 60-day token for a short-lived one. Meta takes this call as a GET only, so the
        app secret travels in the query (httpx's request log is kept at WARNING for it)."""
        body = self.graph.call(
            "GET",
            "/access_token",
            token=short_lived,
            params={"grant_type": "ig_exchange_token", "client_secret": self.app_secret},
        ).body
        return _token(body)

    def refresh_instagram_token(self, token: str) -> dict:
        """A refreshed 60-day token (ig_refresh_token); the token must be a day old."""
        body = self.graph.call(
            "GET", "/refresh_access_token", token=token, params={"grant_type": "ig_refresh_token"}
        ).body
        return _token(body)

    def me(self, token: str) -> dict:
        """{user_id (the professional account id webhooks name), username}."""
        body = self._get("/me", token, {"fields": "user_id,username"})
        expect(PLATFORM, body.get("user_id"), (str, int), "me user_id")
        expect(PLATFORM, body.get("username", ""), str, "me username")
        return body

    def own_media(self, token: str, ig_user_id: str = "me", cursor: str | None = None):
        return super().own_media(token, "me", cursor)

    def instagram_accounts(self, token: str) -> list[dict]:
        raise PlatformError(PLATFORM, f"listing Facebook Pages {FACEBOOK_ONLY}")

    def hashtag_search(self, *args, **kwargs) -> str:
        raise PlatformError(PLATFORM, f"hashtag search {FACEBOOK_ONLY}")

    def recently_searched_hashtags(self, *args, **kwargs) -> list[str]:
        raise PlatformError(PLATFORM, f"hashtag search {FACEBOOK_ONLY}")

    def tags(self, *args, **kwargs):
        raise PlatformError(PLATFORM, f"the tags edge {FACEBOOK_ONLY}")

    def mentioned_media(self, *args, **kwargs) -> dict:
        raise PlatformError(PLATFORM, f"mentioned_media {FACEBOOK_ONLY}")
