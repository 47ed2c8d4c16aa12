"""Creators' rights: request, grant (by hand or by the creator's reply), decline,
expire and revoke. Publishing depends on the asset's `rights_state` alone."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ugc.captions import normalise_handle, normalise_tag, parse_hashtags
from ugc.models import Asset, GrantMethod, RightsRequest, RightsState
from ugc.services.assets import acting_user, transition
from ugc.signals import send_unpublished


def approval_hashtag() -> str:
    return "#" + settings.RIGHTS_APPROVAL_HASHTAG.lstrip("#")


def draft_message(asset: Asset) -> str:
    handle = f"@{asset.creator.handle}" if asset.creator_id else "there"
    return settings.RIGHTS_MESSAGE_TEMPLATE.format(
        handle=handle,
        brand=settings.BRAND_NAME,
        hashtag=approval_hashtag(),
        terms_url=settings.RIGHTS_TERMS_URL,
    ).strip()


def open_request(asset: Asset) -> RightsRequest | None:
    return asset.rights_requests.filter(state=RightsState.REQUESTED).first()


@transaction.atomic
def request_rights(asset: Asset, *, actor=None, message: str = "") -> RightsRequest:
    transition(asset, "rights_state", RightsState.REQUESTED, actor=actor)
    return RightsRequest.objects.create(
        asset=asset,
        creator=asset.creator,
        message=message or draft_message(asset),
        approval_hashtag=approval_hashtag(),
        terms_url=settings.RIGHTS_TERMS_URL,
        requested_by=acting_user(actor),
    )


@transaction.atomic
def grant(
    asset: Asset,
    *,
    via: str,
    actor=None,
    expires_at: datetime | None = None,
    reply_text: str = "",
    at: datetime | None = None,
) -> Asset:
    """Record the right to use the asset: how, when, by whom, until when."""
    if via not in GrantMethod.values:
        raise ValueError(f"unknown grant method {via!r}")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError("a grant cannot expire in the past")
    at = at or timezone.now()
    transition(
        asset,
        "rights_state",
        RightsState.GRANTED,
        actor=actor,
        note=via,
        rights_expires_at=expires_at,
    )
    request = open_request(asset) or RightsRequest(
        asset=asset,
        creator=asset.creator,
        message="",
        approval_hashtag=approval_hashtag(),
    )
    request.state = RightsState.GRANTED
    request.granted_via = via
    request.granted_at = at
    request.granted_by = acting_user(actor)
    request.expires_at = expires_at
    request.reply_text = reply_text
    request.save()
    return asset


def _close(asset: Asset, state: str, *, actor, note: str, reason: str) -> Asset:
    with transaction.atomic():
        transition(asset, "rights_state", state, actor=actor, note=note)
        asset.rights_requests.filter(state__in=[RightsState.REQUESTED, RightsState.GRANTED]).update(
            state=state, answered_at=timezone.now()
        )
        send_unpublished([asset.pk], reason)
    return asset


def decline(asset: Asset, *, actor=None, note: str = "") -> Asset:
    return _close(asset, RightsState.DECLINED, actor=actor, note=note, reason="rights declined")


def revoke(asset: Asset, *, actor=None, note: str = "") -> Asset:
    """A takedown: the asset stops being publishable now, everywhere."""
    return _close(asset, RightsState.REVOKED, actor=actor, note=note, reason="rights revoked")


def expire_due(now: datetime | None = None) -> list[int]:
    """Move every grant past its expiry to `expired`; returns the asset ids."""
    now = now or timezone.now()
    due = Asset.objects.filter(rights_state=RightsState.GRANTED, rights_expires_at__lte=now)
    expired = []
    for asset in due.iterator():
        _close(
            asset, RightsState.EXPIRED, actor=None, note="grant expired", reason="rights expired"
        )
        expired.append(asset.pk)
    return expired


def handle_reply(
    *, asset: Asset, author_handle: str, text: str, replied_at: datetime | None = None
) -> str:
    """A comment or reply under the brand's request: grant if it is the creator's
    and carries the approval hashtag. Returns what happened, in a word."""
    if asset.rights_state != RightsState.REQUESTED:
        return "no_open_request"
    if not asset.creator_id or normalise_handle(author_handle) != asset.creator.handle:
        return "not_the_creator"
    wanted = normalise_tag(approval_hashtag().lstrip("#"))
    if wanted not in parse_hashtags(text):
        return "no_approval_hashtag"
    grant(asset, via=GrantMethod.HASHTAG_REPLY, reply_text=text, at=replied_at)
    return "granted"
