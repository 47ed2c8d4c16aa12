"""Creators' rights: request, grant (by hand or by the creator's reply), amend,
decline, expire and revoke. Every grant, amendment, revocation and expiry is also
an entry of the licence ledger (ugc.services.licences) with its proof; publishing
reads the asset's `rights_state` and the uses its licence allows."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ugc.models import (
    Asset,
    GrantMethod,
    LicenceEntryKind,
    RequestStage,
    RightsRequest,
    RightsState,
)
from ugc.services import licences
from ugc.services.assets import acting_user, transition, transition_new
from ugc.services.licences import LicenceTerms
from ugc.signals import send_unpublished


def approval_hashtag() -> str:
    return "#" + settings.RIGHTS_APPROVAL_HASHTAG.lstrip("#")


def open_request(asset: Asset) -> RightsRequest | None:
    return asset.rights_requests.filter(state=RightsState.REQUESTED).order_by("-id").first()


def request_rights(asset: Asset, *, actor=None, message: str = "") -> RightsRequest:
    """Ask the creator: the request is drafted in their language and queued
    (ugc.services.rights_queue decides how it reaches them)."""
    from ugc.services import rights_queue

    return rights_queue.queue_request(asset, actor=actor, message=message)


@transaction.atomic
def grant(
    asset: Asset,
    *,
    via: str,
    actor=None,
    expires_at: datetime | None = None,
    reply_text: str = "",
    at: datetime | None = None,
    terms: LicenceTerms | None = None,
    proof: dict | None = None,
    terms_text: str | None = None,
) -> Asset:
    """Record the right to use the asset: how, when, by whom, for what, until when,
    with a ledger entry holding the proof."""
    terms = _grantable(via, terms or LicenceTerms(ends_at=expires_at))
    at = at or timezone.now()
    transition(
        asset,
        "rights_state",
        RightsState.GRANTED,
        actor=actor,
        note=via,
        **_licence_fields(terms),
    )
    request = open_request(asset) or RightsRequest(
        asset=asset,
        creator=asset.creator,
        message="",
        approval_hashtag=approval_hashtag(),
    )
    request.state = RightsState.GRANTED
    request.stage = RequestStage.GRANTED  # out of the queue and the inbox's open tabs
    request.granted_via = via
    request.granted_at = at
    request.granted_by = acting_user(actor)
    request.expires_at = terms.ends_at
    request.reply_text = reply_text
    request.save()
    licences.append(
        asset,
        LicenceEntryKind.GRANT,
        terms=terms,
        via=via,
        proof=proof,
        terms_text=terms_text,
        request=request,
        actor=actor,
        at=at,
    )
    return asset


def grant_new(
    assets: list[Asset],
    *,
    via: str,
    terms: LicenceTerms,
    proof: dict,
    terms_text: str,
    at: datetime,
) -> None:
    """grant() for assets inserted by the current transaction, as they are in hand (a
    shopper's photos, licensed as they arrive): the same state, audit entries, requests
    and ledger entries, in a few statements for them all. Such an asset has no request
    yet, and no other transaction can see it to lock or change it."""
    _grantable(via, terms)
    with transaction.atomic(savepoint=False):  # nothing here is caught to go on with
        transition_new(assets, "rights_state", RightsState.GRANTED, note=via,
                       **_licence_fields(terms))  # fmt: skip
        requests = RightsRequest.objects.bulk_create(
            [
                RightsRequest(
                    asset=asset,
                    creator_id=asset.creator_id,
                    message="",
                    approval_hashtag=approval_hashtag(),
                    state=RightsState.GRANTED,
                    stage=RequestStage.GRANTED,
                    granted_via=via,
                    granted_at=at,
                    expires_at=terms.ends_at,
                )
                for asset in assets
            ]
        )
        licences.append_grants(
            assets, requests, terms=terms, via=via, proof=proof, terms_text=terms_text, at=at
        )


def _grantable(via: str, terms: LicenceTerms) -> LicenceTerms:
    if via not in GrantMethod.values:
        raise ValueError(gettext("unknown grant method %(via)r") % {"via": via})
    if terms.ends_at is not None and terms.ends_at <= timezone.now():
        raise ValueError(gettext("a grant cannot expire in the past"))
    return terms


def _licence_fields(terms: LicenceTerms) -> dict:
    return {
        "rights_expires_at": terms.ends_at,
        "licensed_uses": sorted(terms.uses),
        "licensed_territory": sorted(terms.territory),
        "credit_required": terms.credit_required,
    }


@transaction.atomic
def amend(asset: Asset, terms: LicenceTerms, *, actor=None, note: str = "") -> Asset:
    """Change what a granted licence allows; a use taken away stops at once."""
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    if locked.rights_state != RightsState.GRANTED:
        raise ValueError(gettext("only a granted licence can be amended"))
    fields = _licence_fields(terms)
    for name, value in fields.items():
        setattr(locked, name, value)
        setattr(asset, name, value)
    locked.save(update_fields=[*fields, "updated_at"])
    previous = licences.current_licence(locked)
    licences.append(
        locked,
        LicenceEntryKind.AMENDMENT,
        terms=terms,
        via=previous.via if previous else "",
        request=previous.request if previous else None,
        actor=actor,
        note=note,
    )
    send_unpublished([asset.pk], "licence amended")
    return asset


# The request's stage once its asset's rights end so: a request still queued is then
# never sent, and the inbox shows it under what happened.
CLOSING_STAGE = {
    RightsState.DECLINED: RequestStage.DECLINED,
    RightsState.REVOKED: RequestStage.REVOKED,
    RightsState.EXPIRED: RequestStage.EXPIRED,
}
# The ledger entry a closing state leaves when it ends a licence.
ENDING_ENTRY = {
    RightsState.REVOKED: LicenceEntryKind.REVOCATION,
    RightsState.EXPIRED: LicenceEntryKind.EXPIRY,
}


def _close(asset: Asset, state: str, *, actor, note: str, reason: str) -> Asset:
    with transaction.atomic():
        was_granted = asset.rights_state == RightsState.GRANTED
        transition(asset, "rights_state", state, actor=actor, note=note)
        if was_granted and state in ENDING_ENTRY:
            licences.append(asset, ENDING_ENTRY[state], actor=actor, note=note or reason)
        asset.rights_requests.filter(state__in=[RightsState.REQUESTED, RightsState.GRANTED]).update(
            state=state, stage=CLOSING_STAGE[state], answered_at=timezone.now()
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


ACTIONS = ("request", "grant", "decline", "revoke")


def act(
    asset: Asset,
    action: str,
    *,
    actor=None,
    via: str = "",
    terms: LicenceTerms | None = None,
    message: str = "",
    note: str = "",
) -> None:
    """One rights action as the API and the workspace take it (validated by
    ugc.api.serializers.RightsActionSerializer)."""
    if action == "request":
        request_rights(asset, actor=actor, message=message)
    elif action == "grant":
        grant(asset, via=via, actor=actor, terms=terms)
    elif action == "decline":
        decline(asset, actor=actor, note=note)
    elif action == "revoke":
        revoke(asset, actor=actor, note=note)
    else:
        given = {"action": action, "names": ", ".join(ACTIONS)}
        raise ValueError(gettext("unknown rights action %(action)r; one of %(names)s") % given)
