"""What the asset page, the review queue, the library and the exports tell a
coordinator or an analyst: states in words, only the actions that apply, undo,
removable filters, and the site's icon."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.ugc.factories import AssetFactory, CoordinatorFactory, ProductTagFactory
from ugc.models import AuditEntry, InvalidTransition, ModerationState, RejectionReason
from ugc.services import moderation

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    user = CoordinatorFactory(first_name="Cora", last_name="Lee")
    client.force_login(user)
    return user


def processed(**kwargs):
    return AssetFactory(processing_state="in_review", **kwargs)


def reason():
    return RejectionReason.objects.get_or_create(slug="off-brand", defaults={"label": "Off brand"})[
        0
    ]


def test_undo_puts_back_the_state_reason_and_moderator_and_is_recorded(coordinator):
    asset = processed()
    moderation.reject(asset, reason=reason(), actor=coordinator)
    moderation.approve(asset, actor=coordinator)
    moderation.undo_last_decision(asset, actor=coordinator)
    asset.refresh_from_db()
    assert asset.moderation_state == ModerationState.REJECTED
    assert asset.rejection_reason == reason() and asset.moderated_by == coordinator
    last = AuditEntry.objects.filter(asset=asset).order_by("-at", "-pk").first()
    assert last.action == moderation.UNDO_ACTION and last.actor == coordinator
    with pytest.raises(InvalidTransition, match="no moderation decision to undo"):
        moderation.undo_last_decision(asset, actor=coordinator)  # an undo is not undone


def test_undo_is_refused_once_something_else_changed_the_asset(coordinator):
    asset = processed()
    moderation.approve(asset, actor=coordinator)
    ProductTagFactory(asset=asset)
    from ugc.services.assets import record

    record(asset, "tag_product", actor=coordinator)
    assert moderation.undoable_decision(asset) is None
    with pytest.raises(InvalidTransition):
        moderation.undo_last_decision(asset)


def test_the_asset_page_offers_only_what_applies_and_tells_the_history(client, coordinator):
    asset = processed(rights_state="granted")
    url = reverse("workspace:asset", args=[asset.pk])
    client.post(reverse("workspace:asset-moderate", args=[asset.pk]), {"decision": "approve"})
    body = client.get(url).content.decode()
    assert 'value="approve"' not in body and 'value="reject"' in body
    assert 'value="request"' not in body  # rights already granted
    assert "Processing</dt><dd>Processed" in body and "In review" not in body
    assert "<strong>Approved</strong> by Cora Lee" in body
    assert "moderation_state:" not in body  # no raw codes
    undo = client.post(reverse("workspace:asset-undo", args=[asset.pk]))
    assert undo.status_code == 200 and "Pending again" in undo.content.decode()
    body = client.get(url).content.decode()
    assert "<strong>Undid the last decision</strong> by Cora Lee" in body
    assert 'value="approve"' in body
    again = client.post(reverse("workspace:asset-undo", args=[asset.pk]))
    assert again.status_code == 409


def test_a_rejection_needs_a_reason_chosen_and_none_is_preselected(client, coordinator):
    asset = processed()
    reason()
    body = client.get(reverse("workspace:review")).content.decode()
    assert '<option value="">Choose a reason…</option>' in body
    bare = client.post(reverse("workspace:review-decide", args=[asset.pk]), {"decision": "reject"})
    assert bare.status_code == 400 and "reason" in bare.content.decode()
    asset.refresh_from_db()
    assert asset.moderation_state == ModerationState.PENDING
    decided = client.post(
        reverse("workspace:review-decide", args=[asset.pk]),
        {"decision": "reject", "reason": "off-brand"},
    )
    assert reverse("workspace:review-undo", args=[asset.pk]) in decided.content.decode()
    back = client.post(reverse("workspace:review-undo", args=[asset.pk]))
    assert f'data-asset="{asset.pk}"' in back.content.decode()  # the same asset, on stage again


def test_each_filter_is_a_chip_removable_on_its_own(client, coordinator):
    processed(source_platform="instagram", moderation_state="approved")
    response = client.get(
        reverse("workspace:library"), {"platform": "instagram", "moderation_state": "approved"}
    )
    chips = {(c.title, c.label): c.remove for c in response.context["chips"]}
    assert set(chips) == {("Platform", "Instagram"), ("Moderation", "Approved")}
    assert chips[("Platform", "Instagram")] == "?moderation_state=approved"
    assert chips[("Moderation", "Approved")] == "?platform=instagram"
    assert "Remove the filter Platform: Instagram" in response.content.decode()


def test_the_site_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
