"""Approving and rejecting assets, one by one, in bulk, or by auto-rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ugc.captions import normalise_tag
from ugc.models import (
    Asset,
    InvalidTransition,
    ModerationRule,
    ModerationRuleKind,
    ModerationState,
    ProcessingState,
    RejectionReason,
)
from ugc.services.assets import acting_user, transition
from ugc.signals import send_unpublished


def _require_processed(asset: Asset) -> None:
    if asset.processing_state != ProcessingState.IN_REVIEW:
        raise InvalidTransition(
            f"asset {asset.pk} is {asset.processing_state}: only processed assets are moderated",
            code="not_processed",
        )


def approve(asset: Asset, *, actor=None, note: str = "") -> Asset:
    _require_processed(asset)
    return transition(
        asset,
        "moderation_state",
        ModerationState.APPROVED,
        actor=actor,
        note=note,
        rejection_reason=None,
        moderated_by=acting_user(actor),
        moderated_at=timezone.now(),
    )


def reject(asset: Asset, *, reason: RejectionReason | str, actor=None, note: str = "") -> Asset:
    if isinstance(reason, str):
        reason = RejectionReason.objects.get(slug=reason, active=True)
    transition(
        asset,
        "moderation_state",
        ModerationState.REJECTED,
        actor=actor,
        note=note or reason.label,
        rejection_reason=reason,
        moderated_by=acting_user(actor),
        moderated_at=timezone.now(),
    )
    send_unpublished([asset.pk], "rejected")
    return asset


def send_back_to_review(asset: Asset, *, actor=None, note: str = "") -> Asset:
    transition(
        asset,
        "moderation_state",
        ModerationState.PENDING,
        actor=actor,
        note=note,
        rejection_reason=None,
        moderated_by=acting_user(actor),
        moderated_at=timezone.now(),
    )
    send_unpublished([asset.pk], "back to review")
    return asset


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id": .., "reason": ..}


ACTIONS = {"approve": approve, "reject": reject, "review": send_back_to_review}


def bulk_moderate(
    assets: QuerySet[Asset],
    action: str,
    *,
    actor=None,
    reason: RejectionReason | str | None = None,
    note: str = "",
) -> BulkResult:
    """Apply one action to every asset of a selection or a filtered query.

    Each asset is its own transaction: one that cannot move (not processed,
    already in that state) is skipped with the reason, the others proceed.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown moderation action {action!r}")
    if action == "reject":
        if reason is None:
            raise ValueError("a rejection needs a reason")
        if isinstance(reason, str):
            reason = RejectionReason.objects.get(slug=reason, active=True)
    extra = {"reason": reason} if action == "reject" else {}
    result = BulkResult()
    for asset in assets.order_by("pk").iterator(chunk_size=500):
        try:
            with transaction.atomic():
                ACTIONS[action](asset, actor=actor, note=note, **extra)
        except InvalidTransition as exc:
            result.skipped.append({"id": asset.pk, "reason": exc.messages[0]})
        else:
            result.done.append(asset.pk)
    return result


def matching_rule(asset: Asset, rules: list[ModerationRule] | None = None) -> ModerationRule | None:
    """The first active auto-rule the asset breaks, if any."""
    rules = (
        rules
        if rules is not None
        else list(ModerationRule.objects.filter(active=True).select_related("reason"))
    )
    words = {normalise_tag(word) for word in (asset.caption or "").split()}
    words |= {normalise_tag(tag) for tag in asset.hashtags}
    for rule in rules:
        value = rule.value.strip()
        if rule.kind == ModerationRuleKind.BLOCKED_WORD and normalise_tag(value) in words:
            return rule
        if rule.kind == ModerationRuleKind.BLOCKED_CREATOR and asset.creator_id:
            platform, _, handle = value.partition(":")
            if (asset.creator.platform, asset.creator.handle) == (platform, handle.lower()):
                return rule
        if (
            rule.kind == ModerationRuleKind.MIN_QUALITY
            and asset.quality_score is not None
            and asset.quality_score < float(value or 0)
        ):
            return rule
        if rule.kind == ModerationRuleKind.EXACT_DUPLICATE and asset.duplicate_of_id:
            return rule
    return None


def apply_auto_rules(asset: Asset) -> ModerationRule | None:
    """Reject a freshly processed asset that breaks an auto-rule; returns the rule."""
    if asset.moderation_state != ModerationState.PENDING:
        return None
    rule = matching_rule(asset)
    if rule is not None:
        reject(asset, reason=rule.reason, note=f"auto-rule: {rule}")
    return rule
