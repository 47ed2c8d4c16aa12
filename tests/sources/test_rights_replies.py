"""Rights requests end to end over HTTP against the platform emulator, through the
product's own API: a brand account connected through OAuth, a post collected from a
mention, the rights action, the queue's send, the creator's answer coming back as a
signed webhook (hostile answers included), the licence and the public gallery."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from platforms.models import AccountPlatform
from platforms.sandbox.state import IG_USER_ID
from sources.models import DeliveryStatus, SourceKind, WebhookDelivery
from sources.services import manage
from sources.tasks import process_webhook
from tests.support.platform_accounts import connect_account
from tests.ugc.factories import CoordinatorFactory, GalleryFactory, GalleryPinFactory, SiteFactory
from tests.ugc.gallery_support import ORIGIN, clear_cache, shown  # noqa: F401
from ugc.models import Asset, LicenceEntry, RequestStage, RightsRequest
from ugc.services import licences, pipeline
from ugc.tasks import send_rights_requests

URL = "/api/v1/platforms/instagram/webhook"


@pytest.fixture
def deliver(sandbox, django_capture_on_commit_callbacks):
    """POST a payload signed like Meta, then run the task that processes it (with its
    after-commit effects: the gallery caches it invalidates)."""

    def post_and_process(payload) -> dict:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signature = sandbox.signature(body)
        with django_capture_on_commit_callbacks(execute=False):  # the task runs below
            answer = Client().post(
                URL, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
            )
        assert answer.status_code == 200, answer.content
        with django_capture_on_commit_callbacks(execute=True):
            process_webhook(answer.json()["id"])
        return answer.json()

    return post_and_process


@pytest.fixture
def api(db):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


@pytest.fixture
def mentioned(sandbox, api, deliver) -> Asset:
    """A post that @mentions the brand, collected from the mentions webhook, processed
    and approved."""
    account = connect_account(AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN)
    manage.add_source(account, SourceKind.INSTAGRAM_MENTIONS)
    feed = f"mentions:{IG_USER_ID}"
    deliver(sandbox.mention_payload(sandbox.post(feed, sandbox.arrived(feed) - 1)))
    asset = Asset.objects.get(source_platform="instagram")
    pipeline.process(asset.pk)
    approved = api.post("/api/v1/assets/moderate", {"ids": [asset.pk], "action": "approve"})
    assert approved.status_code == 200, approved.content
    return asset


def test_a_mention_is_asked_answered_by_webhook_licensed_shown_and_revoked(
    mentioned, sandbox, api, client, deliver, django_capture_on_commit_callbacks
):
    gallery = GalleryFactory(site=SiteFactory(allowed_origins=[ORIGIN]))
    GalleryPinFactory(gallery=gallery, asset=mentioned, position=0)
    assert mentioned.pk not in shown(client, gallery)  # pinned, but not licensed yet

    asked = api.post(f"/api/v1/assets/{mentioned.pk}/rights", {"action": "request"})
    assert asked.status_code == 200, asked.content
    request = RightsRequest.objects.get(asset=mentioned)
    assert request.delivery == "reply", request.delivery_reason
    assert send_rights_requests()["sent"] == {"instagram": "sent"}
    request.refresh_from_db()
    assert request.stage == RequestStage.SENT
    posted = next(r for r in sandbox.replies if r["id"] == request.comment_id)
    assert posted["target"] == mentioned.platform_id and posted["message"] == request.message

    creator = mentioned.creator.handle
    hostile = [
        sandbox.creator_answers(request.comment_id, "#YesAcme", username="troll", user_id="66"),
        sandbox.creator_answers(
            request.comment_id, 'you want me to say "#YesAcme"?', username=creator, user_id="42"
        ),
        sandbox.creator_answers(
            request.comment_id, "#YesAcme", username=creator, user_id="42", verb="remove"
        ),
    ]
    for payload in hostile:
        deliver(payload)
    assert not LicenceEntry.objects.filter(asset=mentioned).exists()
    assert mentioned.pk not in shown(client, gallery)

    approval = sandbox.creator_answers(
        request.comment_id, "Sure, go ahead #YesAcme", username=creator, user_id="42"
    )
    first = deliver(approval)
    replay = deliver(approval)
    assert replay == {"id": first["id"], "duplicate": True}
    assert WebhookDelivery.objects.get(pk=first["id"]).status == DeliveryStatus.PROCESSED
    licence = licences.current_licence(mentioned)
    assert licence.proof["reply"]["text"] == "Sure, go ahead #YesAcme"
    assert licence.proof["reply"]["author_handle"] == creator
    assert licence.proof["request"]["comment_id"] == request.comment_id
    assert LicenceEntry.objects.filter(asset=mentioned, kind="grant").count() == 1
    request.refresh_from_db()
    assert request.stage == RequestStage.GRANTED
    assert mentioned.pk in shown(client, gallery)

    with django_capture_on_commit_callbacks(execute=True):
        revoked = api.post(
            f"/api/v1/assets/{mentioned.pk}/rights", {"action": "revoke", "note": "creator asked"}
        )
    assert revoked.status_code == 200, revoked.content
    assert mentioned.pk not in shown(client, gallery)
    assert licences.verify_chain().intact
