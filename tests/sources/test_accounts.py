"""Connecting accounts through OAuth against the emulator, refreshing tokens, and
tokens never shown: not in the database's columns, the screen, the API, the admin
or the logs."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from platforms.models import AccountStatus, ConnectedAccount
from platforms.services import accounts

from .conftest import connect


def _raw_columns(account) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM platforms_connectedaccount WHERE id = %s",
            [account.pk],
        )
        return " ".join(cursor.fetchone())


def test_instagram_connects_with_a_long_lived_token_never_shown(
    instagram, coordinator_web, caplog, client
):
    caplog.set_level(logging.DEBUG)
    account = ConnectedAccount.objects.get(pk=instagram.pk)
    token = account.access_token
    assert token and account.status == AccountStatus.ACTIVE
    assert account.external_id == "17841400000000001" and account.handle == "sandbox_brand"
    assert "instagram_basic" in account.scopes
    lifetime = account.access_expires_at - timezone.now()
    assert dt.timedelta(days=59) < lifetime <= dt.timedelta(days=60)
    assert token not in _raw_columns(account)  # encrypted at rest

    pages = [
        coordinator_web.get("/workspace/sources"),
        coordinator_web.get("/api/v1/sources/accounts"),
        coordinator_web.get(f"/api/v1/sources/accounts/{account.pk}"),
    ]
    admin = User.objects.create_superuser("root", password="pw-123456789")
    client.force_login(admin)
    pages += [
        client.get("/admin/platforms/connectedaccount/"),
        client.get(f"/admin/platforms/connectedaccount/{account.pk}/change/"),
    ]
    for page in pages:
        assert page.status_code == 200, page.content[:300]
        assert token not in page.content.decode()
    assert b"sandbox_brand" in pages[0].content and b"30" in pages[0].content
    assert token not in caplog.text and token not in repr(account)


def test_tiktok_and_youtube_connect_with_pkce_and_refresh_tokens(sandbox, coordinator_web):
    tiktok = connect(coordinator_web, "tiktok")
    assert tiktok.refresh_token and tiktok.access_token != tiktok.refresh_token
    assert (
        dt.timedelta(hours=23) < tiktok.access_expires_at - timezone.now() <= dt.timedelta(hours=24)
    )
    assert tiktok.refresh_expires_at - timezone.now() > dt.timedelta(days=364)
    assert "video.list" in tiktok.scopes
    youtube = connect(coordinator_web, "youtube")
    assert youtube.external_id and youtube.access_token


def test_a_callback_with_a_foreign_state_connects_nothing(sandbox, coordinator_web):
    start = coordinator_web.post("/workspace/sources/connect/instagram_facebook_login")
    consent = httpx.get(start["Location"])
    code = httpx.URL(consent.headers["location"]).params["code"]
    back = coordinator_web.get(
        f"/workspace/sources/connect/callback?code={code}&state=forged", follow=True
    )
    assert b"not the one we started" in back.content
    assert not ConnectedAccount.objects.exists()
    denied = coordinator_web.get(
        "/workspace/sources/connect/callback?error=access_denied&state=x", follow=True
    )
    assert denied.status_code == 200 and not ConnectedAccount.objects.exists()


def test_refresh_renews_tokens_due_and_a_refused_refresh_asks_for_reconnecting(
    sandbox, coordinator_web, settings
):
    tiktok = connect(coordinator_web, "tiktok")
    old_access = tiktok.access_token
    settings.PLATFORM_REFRESH_AHEAD_SECONDS = {"instagram": 0, "other": 25 * 3600}
    assert accounts.refresh_due() == {"refreshed": 1, "failed": 0}
    tiktok.refresh_from_db()
    assert tiktok.access_token != old_access and tiktok.status == AccountStatus.ACTIVE

    # The refresh token revoked on the platform: the account asks for reconnecting.
    sandbox.tokens[tiktok.refresh_token].revoked = True
    assert accounts.refresh_due() == {"refreshed": 0, "failed": 1}
    tiktok.refresh_from_db()
    assert tiktok.status == AccountStatus.NEEDS_RECONNECT
    assert "refresh" in tiktok.status_reason
    page = coordinator_web.get("/workspace/sources").content.decode()
    assert "Reconnect" in page and "paused" in page
    # Reconnecting the same account makes it active again, same row.
    again = connect(coordinator_web, "tiktok")
    assert again.pk == tiktok.pk and again.status == AccountStatus.ACTIVE
