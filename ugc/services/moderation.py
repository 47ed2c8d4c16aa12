"""Approving and rejecting assets, one by one, in bulk, or by auto-rules."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from ugc.captions import normalise_tag
from ugc.media.safety import Detection, SafetyPolicy, Verdict, judge
from ugc.models import (
    Asset,
    AuditEntry,
    InvalidTransition,
    ModerationRule,
    ModerationRuleKind,
    ModerationState,
    ProcessingState,
    RejectionReason,
    state_label,
)
from ugc.services.assets import acting_user, record, transition
from ugc.services.bulk import BulkResult, each_asset
from ugc.signals import send_unpublished


def _require_processed(asset: Asset) -> None:
    if asset.processing_state != ProcessingState.IN_REVIEW:
        state = {"pk": asset.pk, "state": state_label(ProcessingState, asset.processing_state)}
        raise InvalidTransition(
            gettext("asset %(pk)s is %(state)s: only processed assets are moderated") % state,
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


UNDO_ACTION = "undo_moderation"


def undoable_decision(asset: Asset) -> AuditEntry | None:
    """The asset's last moderation decision, if nothing else has changed it since (the
    latest entry of its history is that decision and the state is still its outcome)."""
    last = AuditEntry.objects.filter(asset_id=asset.pk).order_by("-at", "-pk").first()
    if last is None or not last.action.startswith("moderation_state:"):
        return None
    old, new = last.changes.get("moderation_state", [None, None])
    return last if old and new == asset.moderation_state else None


@transaction.atomic
def undo_last_decision(asset: Asset, *, actor=None) -> Asset:
    """Put back the moderation state, reason and moderator from before the last
    decision, recorded in the history as an undo. Refused when anything has changed
    the asset since, so an undo never erases someone else's later work."""
    Asset.objects.select_for_update().filter(pk=asset.pk).first()
    asset.refresh_from_db(fields=["moderation_state"])
    decision = undoable_decision(asset)
    if decision is None:
        raise InvalidTransition(
            gettext(
                "asset %(pk)s has no moderation decision to undo: something else has "
                "changed it since, or it was never moderated"
            )
            % {"pk": asset.pk},
            code="nothing_to_undo",
        )
    changes = decision.changes
    old_state = changes["moderation_state"][0]
    reason_id = changes.get("rejection_reason", [asset.rejection_reason_id])[0]
    moderated_at = changes.get("moderated_at", [None])[0]
    transition(
        asset,
        "moderation_state",
        old_state,
        actor=actor,
        note=f"undid {decision.action.split(':', 1)[1]}",
        action=UNDO_ACTION,
        rejection_reason=RejectionReason.objects.filter(pk=reason_id).first(),
        moderated_by_id=changes.get("moderated_by", [asset.moderated_by_id])[0],
        moderated_at=parse_datetime(moderated_at) if moderated_at else None,
    )
    if decision.changes["moderation_state"][1] == ModerationState.APPROVED:
        send_unpublished([asset.pk], "approval undone")
    return asset


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
            raise ValueError(gettext("a rejection needs a reason"))
        if isinstance(reason, str):
            reason = RejectionReason.objects.get(slug=reason, active=True)
    extra = {"reason": reason} if action == "reject" else {}
    return each_asset(assets, lambda asset: ACTIONS[action](asset, actor=actor, note=note, **extra))


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
    """Reject a freshly processed asset that breaks an auto-rule; returns the rule.

    Then the brand-safety screen: it may reject or flag for review, never approve.
    """
    if asset.moderation_state != ModerationState.PENDING:
        return None
    rule = matching_rule(asset)
    if rule is not None:
        reject(asset, reason=rule.reason, note=f"auto-rule: {rule}")
        return rule
    screen_brand_safety(asset)
    return None


def brand_safety_policy() -> SafetyPolicy:
    return SafetyPolicy(
        reject_at=settings.BRAND_SAFETY_REJECT_AT,
        review_at=settings.BRAND_SAFETY_REVIEW_AT,
        explicit_labels=frozenset(settings.BRAND_SAFETY_LABELS),
    )


def screen_brand_safety(asset: Asset) -> Verdict | None:
    """Judge the detector's scores (pipeline step `safety`) with the current thresholds.

    Above the reject threshold: rejected as inappropriate, the note naming the labels
    and scores. Near it: flagged (shown in the review queue and on the asset page).
    The verdict is kept on the asset beside the scores, for the record.
    """
    found = asset.safety or {}
    if not found.get("model"):
        return None
    judgement = judge(Detection(found["model"], found.get("scores", {})), brand_safety_policy())
    asset.safety = {**found, "verdict": judgement.verdict.value, "hits": judgement.hits}
    asset.save(update_fields=["safety", "updated_at"])
    note = f"brand safety ({found['model']}): {judgement.describe()}"
    if judgement.verdict == Verdict.REJECT:
        reason, _ = RejectionReason.objects.get_or_create(
            slug="inappropriate", defaults={"label": "Inappropriate content"}
        )
        reject(asset, reason=reason, note=note)
    elif judgement.verdict == Verdict.REVIEW:
        record(asset, "safety_flag", changes={"safety": judgement.hits}, note=note)
    return judgement.verdict
