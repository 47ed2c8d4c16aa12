"""The demo's connected Instagram account, connected as a person would: signed in to
the workspace, "Connect" pressed, the platform emulator's consent page, the callback.
Then the brand's hashtag and its mentions become sources collected every minute."""

from __future__ import annotations

import httpx

from platforms.models import AccountPlatform, ConnectedAccount
from sources.models import SourceKind
from sources.services import manage

DEMO_HASHTAG = "demobrand"
PLATFORM = AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN


def connect_demo_account(base: str, username: str, password: str) -> list[str]:
    with httpx.Client(base_url=base, timeout=30) as web:
        web.get("/login/")
        signed_in = web.post(
            "/login/",
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": web.cookies["csrftoken"],
            },
        )
        if signed_in.status_code != 302:
            raise OSError(f"signing in answered HTTP {signed_in.status_code}")
        start = web.post(
            f"/workspace/sources/connect/{PLATFORM}",
            headers={"X-CSRFToken": web.cookies["csrftoken"], "Referer": base},
        )
        consent = httpx.get(start.headers["location"], timeout=30)  # approves at once
        back = web.get(consent.headers["location"])
        if back.status_code != 302:
            raise OSError(f"the OAuth callback answered HTTP {back.status_code}")
    account = ConnectedAccount.objects.filter(platform=PLATFORM).latest("updated_at")
    added = []
    for kind, query in (
        (SourceKind.INSTAGRAM_HASHTAG, DEMO_HASHTAG),
        (SourceKind.INSTAGRAM_MENTIONS, ""),
    ):
        try:
            source = manage.add_source(account, kind, query, interval_seconds=60)
        except manage.SourceRefused:  # a later demo run: the source is there already
            continue
        added.append(str(source))
    return added or ["the sources of the last run"]
