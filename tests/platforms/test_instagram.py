"""The Graph client against the emulator over HTTP: OAuth, hashtags, mentions, faults, pacing."""

import httpx
import pytest

from platforms.clients.graph import GraphClient
from platforms.errors import (
    HashtagBudgetExhausted,
    MalformedResponse,
    MediaGone,
    PlatformUnavailable,
    RateLimited,
    TokenInvalid,
)
from platforms.sandbox.state import IG_USER_ID

from .conftest import APP


def connect(graph: GraphClient, urls) -> str:
    """The Facebook Login round trip: dialog, code exchange, long-lived token."""
    url = graph.authorize_url("https://app.example/cb", "state-123", ["instagram_basic"])
    answer = httpx.get(url)  # the dialog approves at once and redirects with a code
    location = httpx.URL(answer.headers["location"])
    assert location.params["state"] == "state-123"
    short = graph.exchange_code(location.params["code"], "https://app.example/cb")
    assert short["expires_in"] <= 7200
    long = graph.long_lived_token(short["access_token"])
    assert long["expires_in"] >= 50 * 86400
    return long["access_token"]


def test_oauth_code_is_single_use_and_refresh_gives_a_new_token(graph, urls):
    """A code works once; fb_exchange_token trades a long-lived token for a new one."""
    url = graph.authorize_url("https://app.example/cb", "s", ["instagram_basic"])
    code = httpx.URL(httpx.get(url).headers["location"]).params["code"]
    graph.exchange_code(code, "https://app.example/cb")
    with pytest.raises(Exception, match="expired or been used"):
        graph.exchange_code(code, "https://app.example/cb")
    token = connect(graph, urls)
    fresh = graph.long_lived_token(token)["access_token"]
    assert fresh != token
    assert graph.media(fresh, IG_USER_ID, fields="id")  # the account node answers


def test_recent_media_pages_to_the_end_without_usernames(graph, urls, sandbox):
    token = connect(graph, urls)
    hashtag = graph.hashtag_search(token, IG_USER_ID, "sunsetbrand")
    pages = list(graph.hashtag_media(token, IG_USER_ID, hashtag))
    items = [item for page in pages for item in page.items]
    assert len(pages) == 3 and all(len(p.items) <= 50 for p in pages)
    # The last 24 hours at 6 an hour: 144, or 145 when a post falls on both edges.
    assert len(items) == len({i["id"] for i in items}) in (144, 145)
    assert all("username" not in i and "owner" not in i for i in items)
    assert pages[-1].cursor is None
    # Resuming from a page's cursor gives what follows it.
    resumed = next(graph.hashtag_media(token, IG_USER_ID, hashtag, cursor=pages[0].cursor))
    assert resumed.items[0]["id"] == pages[1].items[0]["id"]
    carousel = next(i for i in items if i["media_type"] == "CAROUSEL_ALBUM")
    assert len(carousel["children"]["data"]) == 2


def test_the_31st_hashtag_is_refused_by_the_client_and_by_the_platform(graph, urls, sandbox):
    token = connect(graph, urls)
    for n in range(30):
        graph.hashtag_search(token, IG_USER_ID, f"tag{n}")
    graph.hashtag_search(token, IG_USER_ID, "tag3")  # searched already: free
    searched = graph.recently_searched_hashtags(token, IG_USER_ID)
    assert len(searched) == 30
    with pytest.raises(HashtagBudgetExhausted):
        graph.hashtag_search(token, IG_USER_ID, "tag30", searched=searched)
    assert sandbox.refused["instagram", "hashtag_limit"] == 0  # never sent
    with pytest.raises(HashtagBudgetExhausted):
        graph.hashtag_search(token, IG_USER_ID, "tag30")  # sent anyway: Graph says no
    sandbox.advance(7 * 86400 + 1)
    graph.hashtag_search(token, IG_USER_ID, "tag30")  # the window rolled on


def test_tags_and_mentions(graph, urls, sandbox):
    token = connect(graph, urls)
    tagged = next(graph.tags(token, IG_USER_ID)).items
    assert tagged and all("username" in item for item in tagged)
    mention = sandbox.post(f"mentions:{IG_USER_ID}", 3)
    media = graph.mentioned_media(token, IG_USER_ID, mention.id)
    assert media["id"] == mention.id and media["media_url"].startswith(sandbox.base_url)
    comment = graph.mentioned_comment(token, IG_USER_ID, mention.id)
    assert "@sandbox_brand" in comment["text"]
    reply_id = graph.reply_to_mention(
        token, IG_USER_ID, mention.id, "May we share this? Reply #yes"
    )
    assert sandbox.replies[-1] == {
        "id": reply_id,
        "target": mention.id,
        "message": "May we share this? Reply #yes",
    }


def test_an_expired_media_url_and_a_fresh_one(graph, urls, sandbox):
    token = connect(graph, urls)
    item = next(graph.own_media(token, IG_USER_ID)).items[0]
    first = httpx.get(item["media_url"])
    assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    width, height = Image.open(BytesIO(first.content)).size
    assert 0.9e6 < width * height < 1.2e6
    sandbox.advance(sandbox.media_ttl + 60)
    assert httpx.get(item["media_url"]).status_code == 403
    fresh = graph.media(token, item["id"])["media_url"]
    again = httpx.get(fresh)
    assert fresh != item["media_url"] and again.content == first.content  # same image, new URL


def test_faults_become_typed_errors(graph, urls, sandbox):
    token = connect(graph, urls)
    item = next(graph.own_media(token, IG_USER_ID)).items[0]
    cases = [
        ("server_error", PlatformUnavailable),
        ("malformed", MalformedResponse),
        ("truncated", MalformedResponse),
        ("wrong_type", MalformedResponse),
        ("rate_limit", RateLimited),
    ]
    for kind, error in cases:
        sandbox.add_fault(kind, "instagram")
        with pytest.raises(error) as caught:
            list(graph.own_media(token, IG_USER_ID))
        assert token not in str(caught.value)
        graph.usage.percent = graph.usage.step = 0  # the rate-limit case leaves the gauge full
    sandbox.deleted.add(item["id"])
    with pytest.raises(MediaGone):
        graph.media(token, item["id"])
    sandbox.add_fault("token_expired", "instagram")
    with pytest.raises(TokenInvalid) as caught:
        graph.media(token, IG_USER_ID, fields="id")
    assert token not in str(caught.value)


def test_pacing_by_usage_headers_never_hits_the_limit(urls, sandbox):
    sandbox.graph_calls_per_hour = 30
    graph = GraphClient(urls, **APP)
    token = connect(graph, urls)
    sent = 0
    with pytest.raises(RateLimited) as caught:
        while sent < 100:
            graph.media(token, IG_USER_ID, fields="id")
            sent += 1
    assert caught.value.retry_after > 0
    assert sandbox.refused["instagram", "rate_limit"] == 0  # the client stopped first
    assert 25 <= sent < 30 and sandbox.max_in_window(("graph", IG_USER_ID)) <= 30
    graph.close()
