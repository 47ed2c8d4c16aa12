"""Inviting a creator to connect their TikTok account, so the brand collects their videos.

The coordinator makes an invitation (a row) and sends its link: the invitation's id
signed with SECRET_KEY, good for SOURCES_CREATOR_INVITE_DAYS. The creator opens it
without a workspace login, consents at TikTok (state and PKCE in their session, tied
to the invitation), and the callback stores the account as the creator's, adds a
`tiktok_creator_videos` source owned by it and marks the invitation used. The thank-you
page carries a second signed link that lets the creator disconnect again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from platforms.models import AccountPlatform, AccountStatus, ConnectedAccount
from platforms.services import accounts
from sources.models import CreatorInvite, Source, SourceKind
from sources.services import manage

logger = logging.getLogger(__name__)

INVITE_SALT = "sources.creator-invite"
REVOKE_SALT = "sources.creator-revoke"


class BadInvite(Exception):
    """An invitation link that cannot be used; `status` is the HTTP answer (400, 409, 410)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def make_invite(user, handle: str = "") -> tuple[CreatorInvite, str]:
    """A new invitation and its token (for the link)."""
    invite = CreatorInvite.objects.create(created_by=user, handle=handle.strip().lstrip("@"))
    return invite, signing.dumps(invite.pk, salt=INVITE_SALT)


def _lifetime() -> dt.timedelta:
    return dt.timedelta(days=settings.SOURCES_CREATOR_INVITE_DAYS)


def read_invite(token: str) -> CreatorInvite:
    """The invitation a link names, still open; BadInvite saying why not."""
    try:
        pk = int(signing.loads(token, salt=INVITE_SALT, max_age=_lifetime()))
    except signing.SignatureExpired:
        raise BadInvite("This invitation has expired: ask the brand for a new link.", 410) from None
    except (signing.BadSignature, TypeError, ValueError):
        raise BadInvite("This invitation link is not valid: it was changed or cut short.") from None
    invite = CreatorInvite.objects.filter(pk=pk).first()
    if invite is None:
        raise BadInvite("This invitation no longer exists: ask the brand for a new link.", 410)
    _check_open(invite)
    return invite


def _check_open(invite: CreatorInvite) -> None:
    if invite.used_at is not None:
        raise BadInvite("This invitation was used already: your account is connected.", 409)
    if timezone.now() - invite.created_at > _lifetime():
        raise BadInvite("This invitation has expired: ask the brand for a new link.", 410)


def start(session, invite: CreatorInvite, redirect_uri: str) -> str:
    """TikTok's consent URL for the creator; the round trip is tied to the invitation."""
    return accounts.start_connection(
        session, AccountPlatform.TIKTOK, redirect_uri, invite=invite.pk
    )


def finish(session, query) -> tuple[ConnectedAccount, str]:
    """The creator's account and source for TikTok's redirect back, and the revoke token.

    Raises BadInvite (the invitation was used or expired meanwhile) or
    accounts.ConnectionFailed (the round trip itself failed).
    """
    invite_id = accounts.pending_invite(session, query)
    if invite_id is None:
        raise accounts.ConnectionFailed(
            "this sign-in is not one we started (or it was finished already): open your link again"
        )
    invite = CreatorInvite.objects.filter(pk=invite_id).first()
    if invite is None:
        raise BadInvite("This invitation no longer exists: ask the brand for a new link.", 410)
    _check_open(invite)
    account = accounts.finish_connection(session, query, invite=invite_id)
    with transaction.atomic():
        invite = CreatorInvite.objects.select_for_update().get(pk=invite_id)
        _check_open(invite)  # two tabs: the second finds it used
        invite.used_at, invite.account = timezone.now(), account
        invite.save(update_fields=["used_at", "account"])
        _creator_source(account)
    logger.info("creator %r connected through %s", account, invite)
    return account, signing.dumps(account.pk, salt=REVOKE_SALT)


def _creator_source(account: ConnectedAccount) -> Source:
    """The creator's videos source: new, or the one from an earlier connection resumed."""
    kind = SourceKind.TIKTOK_CREATOR_VIDEOS
    source = Source.objects.filter(account=account, kind=kind, query="").first()
    if source is None:
        source = manage.add_source(account, kind)
        manage.run_now(source)
    elif source.paused:
        manage.set_paused(source, False)
    return source


def read_revoke(token: str) -> ConnectedAccount:
    """The creator's account a disconnect link names; BadInvite saying why not."""
    try:
        pk = int(signing.loads(token, salt=REVOKE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise BadInvite("This disconnect link is not valid: it was changed or cut short.") from None
    account = ConnectedAccount.objects.filter(pk=pk).first()
    if account is None or not account.is_creators:
        raise BadInvite("This disconnect link names no connected account.", 410)
    return account


def revoke(account: ConnectedAccount) -> None:
    """The creator takes their consent back: tokens dropped, their sources paused."""
    if account.status != AccountStatus.DISCONNECTED:
        accounts.disconnect(account)
    for source in account.sources.filter(paused=False):
        manage.set_paused(source, True)
