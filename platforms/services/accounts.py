"""Connecting accounts (OAuth authorization code), refreshing their tokens, and
marking them for reconnection.

The flow: `start_connection` keeps a random state (and a PKCE verifier where
the platform takes one: TikTok, Google) in the session and gives the consent
URL; the platform sends the browser back with a code and the state;
`finish_connection` checks the state, trades the code for tokens, and stores
the account. Nothing here logs a token, and errors name no token.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from core.reasons import Reason
from platforms.clients.tiktok import pkce_pair
from platforms.errors import PlatformError, TokenInvalid
from platforms.models import (
    INSTAGRAM_PLATFORMS,
    AccountOwner,
    AccountPlatform,
    AccountStatus,
    ConnectedAccount,
)
from platforms.services.clients import client_for

logger = logging.getLogger(__name__)

SESSION_KEY = "platform_oauth"
SCOPES = {
    AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN: [
        "instagram_basic",
        "instagram_manage_comments",
        "pages_show_list",
        "pages_read_engagement",
    ],
    AccountPlatform.INSTAGRAM_LOGIN: [
        "instagram_business_basic",
        "instagram_business_manage_comments",
    ],
    AccountPlatform.TIKTOK: ["user.info.basic", "video.list"],
    AccountPlatform.YOUTUBE: ["https://www.googleapis.com/auth/youtube.force-ssl"],
}
CONNECTABLE = tuple(SCOPES)


class ConnectionFailed(Exception):
    """The OAuth round trip did not give a usable account; str() says why, in words."""


def start_connection(
    session, platform: str, redirect_uri: str, *, invite: int | None = None
) -> str:
    """The platform's consent URL; the state (and PKCE verifier) wait in the session.

    `invite`: a creator connects their own account through that invitation; the
    round trip can only finish as the same invitation's.
    """
    if platform not in CONNECTABLE:
        unsupported = gettext("connecting %(platform)r accounts is not supported")
        raise ConnectionFailed(unsupported % {"platform": platform})
    state = secrets.token_urlsafe(24)
    pending = {"platform": platform, "redirect_uri": redirect_uri, "invite": invite}
    client = client_for(platform)
    scopes = SCOPES[platform]
    if platform == AccountPlatform.TIKTOK:
        pending["verifier"], challenge = pkce_pair()
        url = client.authorize_url(redirect_uri, state, scopes, challenge)
    elif platform == AccountPlatform.YOUTUBE:
        pending["verifier"], challenge = pkce_pair()
        url = client.authorize_url(redirect_uri, state, scopes, code_challenge=challenge)
    else:
        url = client.authorize_url(redirect_uri, state, scopes)
    # Several connections may be under way in one session (two tabs): one entry each.
    session[SESSION_KEY] = {**session.get(SESSION_KEY, {}), state: pending}
    return url


def pending_invite(session, query) -> int | None:
    """The invitation the round trip that came back with this state was started for."""
    pending = session.get(SESSION_KEY, {}).get(str(query.get("state", ""))) or {}
    return pending.get("invite")


def finish_connection(session, query, *, invite: int | None = None) -> ConnectedAccount:
    """The account for the platform's redirect back (code and state), stored."""
    waiting = dict(session.get(SESSION_KEY, {}))
    pending = waiting.pop(str(query.get("state", "")), None)
    session[SESSION_KEY] = waiting
    if pending is None or pending.get("invite") != invite:
        raise ConnectionFailed(
            gettext(
                "this sign-in link is not the one we started (or was used already): connect again"
            )
        )
    if query.get("error"):
        reason = str(query.get("error_description") or query.get("error"))[:200]
        denied = gettext("the platform did not grant access: %(reason)s")
        raise ConnectionFailed(denied % {"reason": reason})
    code = str(query.get("code", ""))
    if not code:
        raise ConnectionFailed(gettext("the platform sent no authorization code back"))
    platform = pending["platform"]
    try:
        details = EXCHANGES[platform](client_for(platform), code, pending)
    except PlatformError as exc:
        refused = gettext("the platform refused the connection: %(problem)s")
        raise ConnectionFailed(refused % {"problem": exc.message}) from None
    owner = AccountOwner.CREATOR if invite else AccountOwner.BRAND
    return _store(platform, {**details, "owner": owner})


def _instagram(client, code: str, pending: dict) -> dict:
    short = client.exchange_code(code, pending["redirect_uri"])
    long = client.long_lived_token(short["access_token"])
    token = long["access_token"]
    accounts = client.instagram_accounts(token)
    if not accounts:
        raise ConnectionFailed(
            gettext("no Instagram professional account is linked to the Facebook Pages you shared")
        )
    return {
        "external_id": accounts[0]["id"],
        "handle": accounts[0].get("username", ""),
        "scopes": SCOPES[AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN],
        "access_token": token,
        "access_expires_at": _in(long.get("expires_in", 60 * 86400)),
    }


def _instagram_login(client, code: str, pending: dict) -> dict:
    short = client.exchange_code(code, pending["redirect_uri"])
    granted = _split_scopes(short.get("permissions", "")) or SCOPES[AccountPlatform.INSTAGRAM_LOGIN]
    if "instagram_business_basic" not in granted:
        raise ConnectionFailed(gettext("reading the account's profile and posts was not granted"))
    long = client.long_lived_token(short["access_token"])
    me = client.me(long["access_token"])
    return {
        "external_id": str(me["user_id"]),
        "handle": str(me.get("username", ""))[:200],
        "scopes": granted,
        "access_token": long["access_token"],
        "access_expires_at": _in(long.get("expires_in", 60 * 86400)),
    }


def _tiktok(client, code: str, pending: dict) -> dict:
    tokens = client.exchange_code(code, pending["redirect_uri"], pending["verifier"])
    user = client.user_info(tokens["access_token"])
    return {
        "external_id": tokens["open_id"],
        "handle": str(user.get("display_name", ""))[:200],
        "scopes": _split_scopes(tokens.get("scope", "")),
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "access_expires_at": _in(tokens["expires_in"]),
        "refresh_expires_at": _in(tokens["refresh_expires_in"]),
    }


def _youtube(client, code: str, pending: dict) -> dict:
    tokens = client.exchange_code(
        code, pending["redirect_uri"], code_verifier=pending.get("verifier")
    )
    channels = client.my_channels(tokens["access_token"])
    if not channels:
        raise ConnectionFailed(gettext("the Google account has no YouTube channel"))
    return {
        "external_id": str(channels[0].get("id", "")),
        "handle": str((channels[0].get("snippet") or {}).get("title", ""))[:200],
        "scopes": _split_scopes(tokens.get("scope", "")),
        "access_token": tokens["access_token"],
        "refresh_token": tokens.get("refresh_token", ""),
        "access_expires_at": _in(tokens["expires_in"]),
    }


EXCHANGES = {
    AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN: _instagram,
    AccountPlatform.INSTAGRAM_LOGIN: _instagram_login,
    AccountPlatform.TIKTOK: _tiktok,
    AccountPlatform.YOUTUBE: _youtube,
}


def _split_scopes(value) -> list[str]:
    return [s for s in str(value).replace(" ", ",").split(",") if s]


def _in(seconds) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=int(seconds))


def _store(platform: str, details: dict) -> ConnectedAccount:
    """Create or reconnect the account: same platform and external id, same row."""
    now = timezone.now()
    with transaction.atomic():
        account, _ = ConnectedAccount.objects.select_for_update().get_or_create(
            platform=platform, external_id=details["external_id"]
        )
        for name, value in details.items():
            setattr(account, name, value)
        account.status, account.status_reason = AccountStatus.ACTIVE, ""
        account.status_reason_message = None
        account.last_refreshed_at = now
        account.save()
    logger.info("connected %r", account)
    return account


# -- while connected --------------------------------------------------------------------


def token_refused(exc: TokenInvalid) -> Reason:
    """Why an account needs reconnecting when a call was refused: the platform's words."""
    return Reason(
        gettext_noop("%(platform)s refused the token: %(error)s"),
        {"platform": exc.platform, "error": exc.message},
    )


def needs_reconnect(account: ConnectedAccount, why: Reason) -> None:
    """Collection from the account pauses (its sources keep their cursors) until reconnected.

    `why` is kept in English (the API) and as a message the screens translate."""
    reason, message = why.english()[:500], why.stored()
    ConnectedAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.NEEDS_RECONNECT,
        status_reason=reason,
        status_reason_message=message,
        updated_at=timezone.now(),
    )
    account.status = AccountStatus.NEEDS_RECONNECT
    account.status_reason, account.status_reason_message = reason, message
    logger.warning("%r needs reconnecting: %s", account, reason)


DISCONNECTED = Reason(gettext_noop("disconnected by a person"))


def disconnect(account: ConnectedAccount) -> None:
    account.access_token = account.refresh_token = ""
    account.status = AccountStatus.DISCONNECTED
    account.status_reason = DISCONNECTED.english()
    account.status_reason_message = DISCONNECTED.stored()
    account.save()


def refresh_due(now: dt.datetime | None = None) -> dict[str, int]:
    """Refresh every active account whose token lapses within its refresh margin."""
    now = now or timezone.now()
    done = {"refreshed": 0, "failed": 0}
    for account in ConnectedAccount.objects.filter(
        status=AccountStatus.ACTIVE, access_expires_at__isnull=False
    ):
        family = "instagram" if account.platform in INSTAGRAM_PLATFORMS else "other"
        ahead = dt.timedelta(seconds=settings.PLATFORM_REFRESH_AHEAD_SECONDS[family])
        if account.access_expires_at - now > ahead:
            continue
        done["refreshed" if refresh(account) else "failed"] += 1
    return done


def refresh(account: ConnectedAccount) -> bool:
    """New tokens for the account; a refusal puts it in needs_reconnect with the reason."""
    client = client_for(account.platform, account.pk)
    try:
        if account.platform == AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN:
            tokens = client.long_lived_token(account.access_token)
        elif account.platform == AccountPlatform.INSTAGRAM_LOGIN:
            tokens = client.refresh_instagram_token(account.access_token)
        else:
            if not account.refresh_token:
                raise TokenInvalid(account.platform, "no refresh token was granted")
            tokens = client.refresh(account.refresh_token)
    except TokenInvalid as exc:
        why = gettext_noop("the token could not be refreshed: %(error)s")
        needs_reconnect(account, Reason(why, {"error": exc.message}))
        return False
    except PlatformError as exc:
        # Unavailable or odd answers: try again at the next pass, the token still works.
        logger.warning("refreshing %r failed: %s", account, exc)
        return False
    account.access_token = tokens["access_token"]
    if tokens.get("refresh_token"):
        account.refresh_token = tokens["refresh_token"]
    account.access_expires_at = _in(tokens.get("expires_in", 0))
    if tokens.get("refresh_expires_in"):
        account.refresh_expires_at = _in(tokens["refresh_expires_in"])
    account.last_refreshed_at = timezone.now()
    account.save()
    return True
