"""Instagram webhooks: the handshake, signatures, storing before answering, replays,
unknown objects, and mentions collected into the account's mentions source."""

from __future__ import annotations

import json

from django.test import Client

from platforms.sandbox.state import IG_USER_ID
from platforms.webhooks import signature_valid
from sources.models import DeliveryStatus, Source, SourceKind, WebhookDelivery
from sources.services import manage, webhooks
from ugc.models import Asset

URL = "/api/v1/platforms/instagram/webhook"


def post(web: Client, body: bytes, signature: str | None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature} if signature else {}
    return web.post(URL, body, content_type="application/json", **headers)


def test_handshake_echoes_the_challenge_only_for_our_verify_token(db):
    web = Client()
    ok = web.get(
        URL,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "sandbox-verify",
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = web.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "x"}
    )
    assert wrong.status_code == 403 and wrong["Content-Type"] == "application/problem+json"


def test_bad_signatures_are_refused_and_nothing_is_stored(sandbox, db):
    web = Client()
    body = sandbox.mention_payload(sandbox.post(f"mentions:{IG_USER_ID}", 1))
    for signature in (None, "sha256=" + "0" * 64, "sha1=abc", sandbox.signature(body + b" ")):
        answer = post(web, body, signature)
        assert answer.status_code == 403, signature
        assert "X-Hub-Signature-256" in answer.json()["detail"]
    assert not WebhookDelivery.objects.exists()


def test_a_mention_is_stored_once_and_collected_into_the_mentions_source(
    instagram, sandbox, django_capture_on_commit_callbacks
):
    source = manage.add_source(instagram, SourceKind.INSTAGRAM_MENTIONS)
    mention = sandbox.post(f"mentions:{IG_USER_ID}", sandbox.arrived(f"mentions:{IG_USER_ID}") - 1)
    body = sandbox.mention_payload(mention)
    web = Client()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = post(web, body, sandbox.signature(body))
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert len(queued) == 1  # the processing task, after the commit
    replay = post(web, body, sandbox.signature(body))
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    assert WebhookDelivery.objects.count() == 1

    delivery = WebhookDelivery.objects.get()
    assert webhooks.process(delivery.pk) == DeliveryStatus.PROCESSED
    asset = Asset.objects.get(source_platform="instagram", platform_id=mention.id)
    assert asset.original and asset.creator is not None  # mentions name their author
    run = Source.objects.get(pk=source.pk).runs.get(trigger="webhook")
    assert run.new_count == 1
    assert webhooks.process(delivery.pk) == DeliveryStatus.PROCESSED  # done once only
    assert Asset.objects.filter(platform_id=mention.id).count() == 1


def test_unknown_objects_fields_and_accounts_are_stored_and_ignored_with_a_reason(
    instagram, sandbox
):
    cases = [
        ({"object": "page", "entry": []}, "unknown object 'page'"),
        (
            {
                "object": "instagram",
                "entry": [{"id": IG_USER_ID, "changes": [{"field": "story_insights"}]}],
            },
            "field 'story_insights'",
        ),
        (
            {
                "object": "instagram",
                "entry": [{"id": IG_USER_ID, "changes": [{"field": "comments", "value": {}}]}],
            },
            "answers no comment of the brand's",
        ),
        (
            {
                "object": "instagram",
                "entry": [
                    {"id": "999", "changes": [{"field": "mentions", "value": {"media_id": "1"}}]}
                ],
            },
            "no connected Instagram",
        ),
        (
            {
                "object": "instagram",
                "entry": [
                    {
                        "id": IG_USER_ID,
                        "changes": [{"field": "mentions", "value": {"media_id": "1"}}],
                    }
                ],
            },
            "no mentions source",
        ),
    ]
    for payload, words in cases:
        body = json.dumps(payload).encode()
        assert signature_valid("sandbox-secret", body, sandbox.signature(body))
        delivery, new = webhooks.receive(body)
        assert new
        assert webhooks.process(delivery.pk) == DeliveryStatus.IGNORED
        delivery.refresh_from_db()
        assert words in delivery.reason, delivery.reason
    broken, _ = webhooks.receive(b'{"object": "instagram", "entry": [')
    assert webhooks.process(broken.pk) == DeliveryStatus.IGNORED


def test_a_mention_of_a_deleted_post_fails_with_a_reason(instagram, sandbox):
    manage.add_source(instagram, SourceKind.INSTAGRAM_MENTIONS)
    mention = sandbox.post(f"mentions:{IG_USER_ID}", 0)
    sandbox.deleted.add(mention.id)
    delivery, _ = webhooks.receive(sandbox.mention_payload(mention))
    assert webhooks.process(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "deleted" in delivery.reason
