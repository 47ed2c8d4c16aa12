"""An Instagram professional account connected with Instagram Login (no Facebook Page),
through the Sources screen and the emulator over HTTP: connecting, the 60-day token and
its refresh, collecting its own posts, and what such an account cannot feed."""

from __future__ import annotations

import datetime as dt

import httpx
from django.utils import timezone

from platforms.models import AccountStatus, ConnectedAccount
from platforms.sandbox.state import IG_USER_ID
from platforms.services import accounts
from sources.models import RunStatus, Source, SourceKind
from sources.services import collect, manage
from ugc.models import Asset

from .conftest import connect

PLATFORM = "instagram_login"


def test_connect_records_scopes_and_a_60_day_token_then_refreshes_it(
    sandbox, coordinator_web, settings
):
    account = connect(coordinator_web, PLATFORM)
    assert account.status == AccountStatus.ACTIVE
    assert account.external_id == IG_USER_ID and account.handle == "sandbox_brand"
    assert account.scopes == ["instagram_business_basic", "instagram_business_manage_comments"]
    lifetime = account.access_expires_at - timezone.now()
    assert dt.timedelta(days=59) < lifetime <= dt.timedelta(days=60)
    # The short-lived token was traded: the stored one is the long-lived kind.
    assert sandbox.tokens[account.access_token].expires_at - sandbox.now() > 59 * 86400
    page = coordinator_web.get("/workspace/sources").content.decode()
    assert "Connect Instagram (Instagram Login)" in page and account.access_token not in page

    # Not yet within the margin: nothing to do; within it: a new 60-day token.
    assert accounts.refresh_due() == {"refreshed": 0, "failed": 0}
    settings.PLATFORM_REFRESH_AHEAD_SECONDS = {"instagram": 61 * 86400, "other": 0}
    old = account.access_token
    assert accounts.refresh_due() == {"refreshed": 1, "failed": 0}
    account.refresh_from_db()
    assert account.access_token != old and account.status == AccountStatus.ACTIVE

    # A refresh the platform refuses (the token revoked) asks for reconnecting.
    sandbox.tokens[account.access_token].revoked = True
    assert accounts.refresh_due() == {"refreshed": 0, "failed": 1}
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_RECONNECT and "refresh" in account.status_reason


def test_own_media_is_collected_and_a_revoked_token_asks_for_reconnecting(sandbox, coordinator_web):
    account = connect(coordinator_web, PLATFORM)
    source = manage.add_source(account, SourceKind.INSTAGRAM_OWN_MEDIA)
    run = collect.collect(source.pk)
    assert run.status == RunStatus.DONE, run.error
    assert run.new_count > 0 and run.failed_count == 0
    own = Asset.objects.filter(platform_id__in=[i for i in _own_ids(sandbox)])
    assert own.count() == run.new_count
    assert sandbox.counts["instagram", "/{id}/media"] >= 1

    sandbox.tokens[account.access_token].revoked = True
    stopped = collect.collect(source.pk)
    account.refresh_from_db()
    assert stopped.status == RunStatus.STOPPED_EARLY and "reconnect" in stopped.error
    assert account.status == AccountStatus.NEEDS_RECONNECT
    # Reconnecting brings back the same row, active.
    again = connect(coordinator_web, PLATFORM)
    assert again.pk == account.pk and again.status == AccountStatus.ACTIVE


def test_hashtag_tags_and_mentions_sources_are_refused_naming_facebook_login(
    sandbox, coordinator_web
):
    account = connect(coordinator_web, PLATFORM)
    answer = coordinator_web.post(
        "/workspace/sources/add",
        {
            "account": account.pk,
            "kind": SourceKind.INSTAGRAM_HASHTAG,
            "query": "sunset",
            "interval_minutes": 15,
        },
    )
    assert answer.status_code == 400
    assert "hashtag search needs an Instagram account connected with Facebook Login" in (
        answer.content.decode()
    )
    for kind in (SourceKind.INSTAGRAM_TAGS, SourceKind.INSTAGRAM_MENTIONS):
        try:
            manage.add_source(account, kind)
        except manage.SourceRefused as exc:
            assert "Facebook Login" in str(exc)
        else:
            raise AssertionError(f"{kind} was accepted for an Instagram Login account")
    assert not Source.objects.exists()
    assert sandbox.counts["instagram", "/ig_hashtag_search"] == 0


def test_a_callback_with_another_state_connects_nothing(sandbox, coordinator_web):
    start = coordinator_web.post(f"/workspace/sources/connect/{PLATFORM}")
    assert start["Location"].startswith(sandbox.base_url + "/ig-web/oauth/authorize?")
    query = httpx.URL(start["Location"]).params
    assert query["response_type"] == "code" and query["state"]
    assert query["scope"] == "instagram_business_basic,instagram_business_manage_comments"
    consent = httpx.get(start["Location"])
    code = httpx.URL(consent.headers["location"]).params["code"]
    back = coordinator_web.get(
        f"/workspace/sources/connect/callback?code={code}&state=forged", follow=True
    )
    assert b"not the one we started" in back.content
    assert not ConnectedAccount.objects.exists()


def _own_ids(sandbox) -> list[str]:
    feed = f"own:{IG_USER_ID}"
    return [sandbox.post(feed, i).id for i in sandbox.newest_first(feed)]
