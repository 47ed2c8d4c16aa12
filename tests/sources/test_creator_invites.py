"""A TikTok creator the brand invited connects their own account through the
emulator's consent: the invitation link, the public pages, the source it adds,
refused links (changed, expired, used) and the creator's disconnect link."""

from __future__ import annotations

import datetime as dt
import re
import time
from unittest import mock
from urllib.parse import urlsplit

import httpx
from django.core import signing
from django.test import Client

from platforms.models import AccountOwner, AccountStatus, ConnectedAccount
from sources.models import CreatorInvite, RunStatus, SourceKind
from sources.services import collect
from ugc.models import Asset


def _invite(coordinator_web, handle: str = "") -> str:
    """Invite from the Sources screen; the link's path, as the coordinator copies it."""
    page = coordinator_web.post("/workspace/sources/invite", {"handle": handle}, follow=True)
    assert page.status_code == 200
    link = re.search(r"https?://[^\s<\"]+/creators/invite/[^\s<\"]+", page.content.decode())
    assert link, page.content.decode()[:2000]
    return urlsplit(link.group(0)).path


def _connect(creator: Client, path: str):
    """Open the link, press Connect, approve at the emulator, come back: the last page."""
    start = creator.post(f"{path}/connect")
    assert start.status_code == 302, start.content[:300]
    consent = httpx.get(start["Location"])  # the sandbox approves at once
    assert consent.status_code in (302, 303), consent.text[:300]
    back = urlsplit(consent.headers["location"])
    return creator.get(f"{back.path}?{back.query}")


def test_an_invited_creator_connects_and_their_videos_are_collected(
    sandbox, coordinator_web, settings
):
    settings.SOURCES_MAX_PAGES_PER_RUN = 1
    path = _invite(coordinator_web, "@sunny.days")
    invite = CreatorInvite.objects.get()
    assert invite.handle == "sunny.days" and invite.created_by.username == "coord"

    creator = Client(raise_request_exception=False)  # no workspace login
    opened = creator.get(path)
    assert opened.status_code == 200
    assert settings.BRAND_NAME in opened.content.decode()
    assert b"public TikTok videos" in opened.content and b"Connect with TikTok" in opened.content

    done = _connect(creator, path)
    assert done.status_code == 200, done.content[:500]
    assert b"is connected" in done.content
    account = ConnectedAccount.objects.get(platform="tiktok")
    assert account.owner == AccountOwner.CREATOR and account.status == AccountStatus.ACTIVE
    invite.refresh_from_db()
    assert invite.used_at and invite.account == account
    source = account.sources.get()
    assert source.kind == SourceKind.TIKTOK_CREATOR_VIDEOS and not source.paused

    run = collect.collect(source.pk)
    assert run.status in (RunStatus.DONE, RunStatus.STOPPED_EARLY), run.error
    assert run.new_count == 20 and Asset.objects.filter(source_platform="tiktok").count() == 20

    screen = coordinator_web.get("/workspace/sources")
    assert b"a creator's account" in screen.content
    assert b"TikTok creator&#x27;s videos" in screen.content

    used = creator.get(path)
    assert used.status_code == 409 and b"used already" in used.content
    again = Client(raise_request_exception=False).post(f"{path}/connect")
    assert again.status_code == 409

    # The creator takes it back through the thank-you page's link.
    disconnect = re.search(r'href="(/creators/disconnect/[^"]+)"', done.content.decode()).group(1)
    assert creator.get(disconnect).status_code == 200
    gone = creator.post(disconnect)
    assert gone.status_code == 200 and b"disconnected" in gone.content
    account.refresh_from_db()
    source.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED and not account.access_token
    assert source.paused
    assert creator.get(disconnect[:-3] + "xyz").status_code == 400

    handed_out = list(sandbox.tokens)  # every token the emulator gave: none on a page
    assert handed_out
    for page in (opened, done, screen, used, gone):
        assert not any(token in page.content.decode() for token in handed_out)


def test_changed_expired_and_foreign_links_are_refused_in_words(sandbox, coordinator_web):
    path = _invite(coordinator_web)
    creator = Client(raise_request_exception=False)
    tampered = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    changed = creator.get(tampered)
    assert changed.status_code == 400 and b"changed or cut short" in changed.content
    assert creator.post(f"{tampered}/connect").status_code == 400

    fortnight_ago = time.time() - dt.timedelta(days=15).total_seconds()
    stamp = signing.b62_encode(int(fortnight_ago))
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: stamp):
        old = _invite(coordinator_web)
    expired = creator.get(old)
    assert expired.status_code == 410 and b"expired" in expired.content

    # A state the creator's session never started connects nothing.
    forged = creator.get("/creators/tiktok/callback?code=abc&state=forged")
    assert forged.status_code == 400 and b"not one we started" in forged.content
    # Nor does a brand's round trip finish on the creator's callback, or the reverse.
    start = coordinator_web.post("/workspace/sources/connect/tiktok")
    back = urlsplit(httpx.get(start["Location"]).headers["location"])
    assert coordinator_web.get(f"/creators/tiktok/callback?{back.query}").status_code == 400
    assert not ConnectedAccount.objects.exists()
