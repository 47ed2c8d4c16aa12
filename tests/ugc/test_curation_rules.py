"""Moderation, rights and privacy, and the rule that guards the storefront:
nothing but processed, approved, rights-granted, unexpired assets is publishable."""

import contextlib
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.ugc.ingest_support import jpeg_bytes, private_media_fixture  # noqa: F401
from ugc.models import (
    Asset,
    AuditEntry,
    Creator,
    GrantMethod,
    InvalidTransition,
    ModerationRule,
    ModerationRuleKind,
    PrivacyRequest,
    ProcessingState,
    RejectionReason,
    Rendition,
    RightsRequest,
)
from ugc.selectors import publishable_assets
from ugc.services import moderation, privacy, rights
from ugc.services.assets import transition
from ugc.signals import asset_unpublished

pytestmark = pytest.mark.django_db


def new_asset(**fields) -> Asset:
    creator = fields.pop("creator", None) or Creator.objects.create(
        platform="instagram", handle=f"maker{Creator.objects.count()}"
    )
    return Asset.objects.create(
        **{"media_type": "image", "source_platform": "instagram", "creator": creator, **fields}
    )


def processed(**fields) -> Asset:
    return new_asset(processing_state=ProcessingState.IN_REVIEW, **fields)


@pytest.fixture
def coordinator(db):
    return User.objects.create_user("cora")


@pytest.fixture
def unpublished():
    seen = []

    def listener(sender, asset_ids, reason, **kwargs):
        seen.append((tuple(asset_ids), reason))

    asset_unpublished.connect(listener)
    yield seen
    asset_unpublished.disconnect(listener)


# -- moderation ------------------------------------------------------------------------


def test_approve_and_reject_are_audited_with_who_and_why(coordinator):
    asset = processed()
    moderation.approve(asset, actor=coordinator)
    moderation.reject(asset, reason="off-brand", actor=coordinator, note="wrong colours")
    asset.refresh_from_db()
    assert asset.moderation_state == "rejected"
    assert asset.rejection_reason.slug == "off-brand" and asset.moderated_by == coordinator
    trail = list(AuditEntry.objects.filter(asset=asset).order_by("at", "id"))
    assert [entry.action for entry in trail] == [
        "moderation_state:approved",
        "moderation_state:rejected",
    ]
    assert trail[1].actor == coordinator and trail[1].note == "wrong colours"
    assert trail[1].changes["moderation_state"] == ["approved", "rejected"]
    # Every field the decision changed is kept, so it can be told and undone.
    assert trail[1].changes["rejection_reason"][0] is None
    assert trail[1].changes["rejection_reason"][1] is not None


def test_an_unprocessed_asset_cannot_be_approved():
    asset = new_asset()  # still "received"
    with pytest.raises(InvalidTransition, match="only processed assets"):
        moderation.approve(asset)


def test_bulk_moderation_skips_what_cannot_move_and_does_the_rest(coordinator):
    ready = [processed() for _ in range(3)]
    unprocessed = new_asset()
    result = moderation.bulk_moderate(Asset.objects.all(), "approve", actor=coordinator)
    assert result.done == [asset.pk for asset in ready]
    assert result.skipped == [
        {
            "id": unprocessed.pk,
            "reason": (f"asset {unprocessed.pk} is received: only processed assets are moderated"),
        }
    ]
    again = moderation.bulk_moderate(Asset.objects.filter(pk=ready[0].pk), "approve")
    assert again.done == []
    assert "cannot go from 'approved' to 'approved'" in again.skipped[0]["reason"]


def test_a_bulk_rejection_needs_a_reason():
    with pytest.raises(ValueError, match="needs a reason"):
        moderation.bulk_moderate(Asset.objects.all(), "reject")


@pytest.mark.parametrize(
    ("kind", "value", "fields"),
    [
        (ModerationRuleKind.BLOCKED_WORD, "Spam", {"caption": "buy cheap spam now"}),
        (ModerationRuleKind.BLOCKED_WORD, "giveaway", {"hashtags": ["giveaway"]}),
        (ModerationRuleKind.BLOCKED_CREATOR, "instagram:troll", {"handle": "troll"}),
        (ModerationRuleKind.MIN_QUALITY, "0.4", {"quality_score": 0.2}),
    ],
)
def test_auto_rules_reject_obvious_cases_with_their_reason(
    kind, value, fields, unpublished, django_capture_on_commit_callbacks
):
    handle = fields.pop("handle", "someone")
    creator = Creator.objects.create(platform="instagram", handle=handle)
    reason = RejectionReason.objects.get(slug="blocked-word")
    ModerationRule.objects.create(kind=kind, value=value, reason=reason)
    breaking = processed(creator=creator, **fields)
    fine = processed(caption="a lovely linen dress", quality_score=0.9)

    with django_capture_on_commit_callbacks(execute=True):
        assert moderation.apply_auto_rules(breaking) is not None
        assert moderation.apply_auto_rules(fine) is None
    breaking.refresh_from_db()
    assert breaking.moderation_state == "rejected" and breaking.rejection_reason == reason
    assert AuditEntry.objects.get(asset=breaking).note.startswith("auto-rule:")
    assert unpublished == [((breaking.pk,), "rejected")]


def test_near_duplicates_are_rejected_by_their_rule():
    reason = RejectionReason.objects.get(slug="duplicate")
    ModerationRule.objects.create(kind=ModerationRuleKind.EXACT_DUPLICATE, reason=reason)
    original = processed()
    copy = processed(duplicate_of=original)
    assert moderation.apply_auto_rules(original) is None
    assert moderation.apply_auto_rules(copy).reason == reason


# -- rights ----------------------------------------------------------------------------


def test_a_request_is_drafted_from_the_template(coordinator, settings):
    settings.RIGHTS_APPROVAL_HASHTAG = "YesAcme"
    asset = processed()
    request = rights.request_rights(asset, actor=coordinator)
    assert f"@{asset.creator.handle}" in request.message and "#YesAcme" in request.message
    assert settings.RIGHTS_TERMS_URL in request.message
    assert request.requested_by == coordinator and asset.rights_state == "requested"


def test_the_creators_reply_with_the_hashtag_grants_rights():
    from ugc.services.rights_queue import handle_asset_reply

    asset = processed()
    rights.request_rights(asset)
    stranger = handle_asset_reply(asset, author_handle="@Stranger", text="#yesacme")
    assert stranger != "grant"
    creator = asset.creator.handle
    assert handle_asset_reply(asset, author_handle=creator, text="sure, why not") != "grant"
    asset.refresh_from_db()
    assert asset.rights_state == "requested"
    outcome = handle_asset_reply(
        asset, author_handle=f"@{creator.upper()}", text="Of course! #YesAcme"
    )
    assert outcome == "grant"
    asset.refresh_from_db()
    request = RightsRequest.objects.get(asset=asset)
    assert asset.rights_state == "granted"
    assert request.granted_via == GrantMethod.HASHTAG_REPLY
    assert request.reply_text == "Of course! #YesAcme"
    assert handle_asset_reply(asset, author_handle=creator, text="#YesAcme") == "no open request"


def test_grant_by_hand_records_how_when_and_until_when(coordinator):
    asset = processed()
    until = timezone.now() + timedelta(days=365)
    rights.grant(asset, via=GrantMethod.SIGNED_FORM, actor=coordinator, expires_at=until)
    request = RightsRequest.objects.get(asset=asset)
    assert (request.granted_via, request.granted_by, request.expires_at) == (
        "signed_form",
        coordinator,
        until,
    )
    with pytest.raises(ValueError, match="unknown grant method"):
        rights.grant(processed(), via="a handshake")
    with pytest.raises(ValueError, match="in the past"):
        rights.grant(processed(), via="signed_form", expires_at=timezone.now() - timedelta(1))


def test_revocation_is_one_action_that_unpublishes(
    coordinator, unpublished, django_capture_on_commit_callbacks
):
    asset = processed()
    moderation.approve(asset)
    rights.request_rights(asset)
    rights.grant(asset, via=GrantMethod.HASHTAG_REPLY)
    assert list(publishable_assets()) == [asset]
    with django_capture_on_commit_callbacks(execute=True):
        rights.revoke(asset, actor=coordinator, note="creator asked")
    assert list(publishable_assets()) == []
    assert RightsRequest.objects.get(asset=asset).state == "revoked"
    assert unpublished == [((asset.pk,), "rights revoked")]


def test_expiry_stops_publishing_at_once_and_the_task_marks_it(
    unpublished, django_capture_on_commit_callbacks
):
    asset = processed()
    moderation.approve(asset)
    rights.grant(asset, via=GrantMethod.SIGNED_FORM, expires_at=timezone.now() + timedelta(hours=1))
    later = timezone.now() + timedelta(hours=2)
    assert asset in publishable_assets()
    assert asset not in publishable_assets(now=later)  # before any task runs
    with django_capture_on_commit_callbacks(execute=True):
        assert rights.expire_due(now=later) == [asset.pk]
    asset.refresh_from_db()
    assert asset.rights_state == "expired"
    assert unpublished == [((asset.pk,), "rights expired")]


# -- privacy ------------------------------------------------------------------------------


def test_a_creator_is_exported_then_erased_with_their_files(
    coordinator, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    creator = Creator.objects.create(platform="tiktok", handle="dana", display_name="Dana")
    asset = processed(creator=creator, caption="my routine")
    asset.original.save("original.jpg", ContentFile(b"original bytes"), save=True)
    rendition = Rendition(
        asset=asset, kind="image", format="webp", width=320, height=320, byte_size=5
    )
    rendition.file.save("r.webp", ContentFile(b"webp!"), save=True)
    rights.request_rights(asset)
    other = processed(caption="someone else's")

    exported = privacy.export_creator(creator, actor=coordinator)
    assert exported["creator"]["handle"] == "dana"
    assert exported["assets"][0]["caption"] == "my routine"
    assert exported["assets"][0]["rights_requests"][0]["state"] == "requested"

    original_name, rendition_name = asset.original.name, rendition.file.name
    with django_capture_on_commit_callbacks(execute=True):
        counts = privacy.erase_creator(creator, actor=coordinator)
    assert counts == {"assets": 1, "renditions": 1, "files": 2}
    assert not Creator.objects.filter(pk=creator.pk).exists()
    assert list(Asset.objects.all()) == [other]
    assert not storages["private"].exists(original_name)
    assert not storages["default"].exists(rendition_name)
    log = PrivacyRequest.objects.order_by("at")
    assert [entry.kind for entry in log] == ["export", "erase"]
    assert "dana" not in str(log.last().creator_ref)


# -- the rule ----------------------------------------------------------------------------

OPERATIONS = st.sampled_from(
    [
        "finish_processing",
        "fail_processing",
        "reprocess",
        "approve",
        "reject",
        "review",
        "request",
        "grant",
        "grant_expiring",
        "decline",
        "revoke",
        "time_passes",
        "expire_task",
    ]
)


def apply(op: str, asset: Asset, clock: dict) -> None:
    """One step through the services, as a coordinator or the system would take it."""
    if op == "finish_processing":
        if asset.processing_state == "received":
            transition(asset, "processing_state", "processing")
        transition(asset, "processing_state", "in_review")
    elif op == "fail_processing":
        transition(asset, "processing_state", "failed")
    elif op == "reprocess":
        transition(asset, "processing_state", "processing")
    elif op == "approve":
        moderation.approve(asset)
    elif op == "reject":
        moderation.reject(asset, reason="off-brand")
    elif op == "review":
        moderation.send_back_to_review(asset)
    elif op == "request":
        rights.request_rights(asset)
    elif op == "grant":
        rights.grant(asset, via=GrantMethod.SIGNED_FORM)
    elif op == "grant_expiring":
        rights.grant(
            asset, via=GrantMethod.SIGNED_FORM, expires_at=timezone.now() + timedelta(hours=1)
        )
    elif op == "decline":
        rights.decline(asset)
    elif op == "revoke":
        rights.revoke(asset)
    elif op == "time_passes":
        clock["now"] += timedelta(hours=2)
    elif op == "expire_task":
        rights.expire_due(now=clock["now"])


def should_publish(asset: Asset, now) -> bool:
    """The rule, written out independently of the selector."""
    return (
        asset.processing_state == "in_review"
        and asset.moderation_state == "approved"
        and asset.rights_state == "granted"
        and (asset.rights_expires_at is None or asset.rights_expires_at > now)
    )


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(st.tuples(st.integers(0, 1), OPERATIONS), max_size=30))
# Sequences that reach the edges of the rule, always tried besides the random ones.
@example(
    steps=[
        (0, "finish_processing"),
        (0, "approve"),
        (0, "grant_expiring"),
        (0, "time_passes"),
        (0, "expire_task"),
    ]
)
@example(steps=[(0, "finish_processing"), (0, "approve"), (0, "grant"), (0, "reprocess")])
@example(
    steps=[
        (1, "finish_processing"),
        (1, "request"),
        (1, "grant"),
        (1, "approve"),
        (1, "revoke"),
        (1, "request"),
        (1, "approve"),
    ]
)
@example(
    steps=[
        (0, "finish_processing"),
        (0, "grant"),
        (0, "approve"),
        (0, "reject"),
        (0, "review"),
        (0, "fail_processing"),
    ]
)
def test_nothing_else_ever_becomes_publishable(steps):
    assets = [new_asset() for _ in range(2)]
    ids = [asset.pk for asset in assets]
    clock = {"now": timezone.now()}
    for index, op in steps:
        # The state machine may say no: the rule must hold all the same.
        with contextlib.suppress(InvalidTransition, ValueError):
            apply(op, Asset.objects.get(pk=ids[index]), clock)
        current = list(Asset.objects.filter(pk__in=ids))
        expected = {asset.pk for asset in current if should_publish(asset, clock["now"])}
        actual = set(
            publishable_assets(now=clock["now"]).filter(pk__in=ids).values_list("pk", flat=True)
        )
        assert actual == expected, (
            op,
            [(a.processing_state, a.moderation_state, a.rights_state) for a in current],
        )


def test_the_pipeline_applies_auto_rules_when_processing_ends(private_media):
    """A blocked word sends a freshly processed asset straight to rejection."""
    import io

    from ugc.ingest.items import AssetInput
    from ugc.services import pipeline
    from ugc.services.ingest import ingest

    ModerationRule.objects.create(
        kind=ModerationRuleKind.BLOCKED_WORD,
        value="spam",
        reason=RejectionReason.objects.get(slug="blocked-word"),
    )
    bad = ingest(
        AssetInput(caption="cheap spam here"), file=io.BytesIO(jpeg_bytes()), filename="a.jpg"
    )
    good = ingest(
        AssetInput(caption="a sunny morning"),
        file=io.BytesIO(jpeg_bytes(color=(10, 90, 200))),
        filename="b.jpg",
    )
    assert pipeline.process(bad.asset_id) == "done"
    assert pipeline.process(good.asset_id) == "done"
    states = dict(Asset.objects.values_list("id", "moderation_state"))
    assert states == {bad.asset_id: "rejected", good.asset_id: "pending"}
    assert Asset.objects.get(pk=bad.asset_id).processing_state == "in_review"
    # The brand-safety screen ran on the rendition with the real model, and cleared it.
    screened = Asset.objects.get(pk=good.asset_id).safety
    assert screened["model"] == "open_nsfw" and screened["verdict"] == "clear"
    assert screened["scores"]["NSFW"] < 0.35
