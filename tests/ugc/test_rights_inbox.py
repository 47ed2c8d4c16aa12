"""The rights inbox and the licence on screen: tabs and filters, waiting time, the
path of each request, bulk send/remind/cancel, mark sent, "to request next",
requests drafted on the asset page and in the review queue, the licence panel,
and credit where galleries are built and served."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from platforms.models import AccountPlatform, ConnectedAccount
from tests.ugc.factories import AssetFactory, CreatorFactory
from tests.ugc.test_workspace_actions import field_of
from ugc import selectors
from ugc.delivery.render import item
from ugc.models import AssetScore, RequestStage, RightsRequest, RightsState
from ugc.services import rights, rights_queue
from ugc.services.licences import LicenceTerms
from workspace import rights_inbox

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("coordinator")]


def asked(platform="tiktok", days=0, caption="", **fields):
    """A queued request (TikTok: by hand) made `days` ago."""
    asset = AssetFactory(
        processing_state="in_review",
        source_platform=platform,
        caption=caption,
        permalink="https://www.tiktok.com/@maker/video/1",
        creator=CreatorFactory(platform=platform),
        **fields,
    )
    request = rights_queue.queue_request(asset)
    RightsRequest.objects.filter(pk=request.pk).update(
        requested_at=timezone.now() - timedelta(days=days)
    )
    return request


def test_tabs_count_and_the_longest_waiting_come_first(client):
    newer = asked(days=1)
    older = asked(days=3, caption="Ma nouvelle veste est très chaude avec le froid")
    sent = asked(days=2)
    rights_queue.mark_sent(sent)
    body = client.get(reverse("workspace:rights")).content.decode()
    assert 'Queued <span class="count">2</span>' in body
    assert 'Sent <span class="count">1</span>' in body
    assert body.index(f'id="request-{older.pk}"') < body.index(f'id="request-{newer.pk}"')
    assert "waiting 3 days" in body and "waiting 1 day<" in body
    assert f'id="request-{sent.pk}"' not in body
    # By hand: the message to copy, the post, and "mark sent".
    assert "To send by hand" in body and "TikTok" in body and "Copy message" in body
    assert "Mark sent" in body and "https://www.tiktok.com/@maker/video/1" in body


def test_filters_by_platform_and_language(client):
    french = asked(caption="Ma nouvelle veste est très chaude avec le froid")
    youtube = asked(platform="youtube", platform_id="yt1")
    url = reverse("workspace:rights")
    by_language = client.get(url, {"language": "fr"}).content.decode()
    assert f'id="request-{french.pk}"' in by_language
    assert f'id="request-{youtube.pk}"' not in by_language
    assert 'Queued <span class="count">1</span>' in by_language
    by_platform = client.get(url, {"platform": "youtube"}).content.decode()
    assert f'id="request-{youtube.pk}"' in by_platform and "Sent from the product" in by_platform
    assert f'id="request-{french.pk}"' not in by_platform
    assert "language=fr" in by_language  # the tabs keep the filters
    assert field_of(client.get(url, {"platform": "myspace"})) == "platform"
    assert field_of(client.get(url, {"language": "xx"})) == "language"


def test_a_request_no_account_can_send_says_so_and_can_be_posted_by_hand(client):
    """Sent from the product, but no brand YouTube account is connected: the row says
    what to do and offers the message to post by hand; once one is connected, the
    queue sends it and the row says so no more."""
    waiting = asked(platform="youtube", platform_id="yt1")
    assert waiting.delivery == "reply"
    url = reverse("workspace:rights")
    body = client.get(url).content.decode()
    assert "no YouTube account is connected: connect one under Sources" in body
    assert f'id="message-{waiting.pk}"' in body and "Mark sent" in body
    ConnectedAccount.objects.create(platform=AccountPlatform.YOUTUBE, external_id="UC1")
    body = client.get(url).content.decode()
    assert "no YouTube account is connected" not in body
    assert f'id="message-{waiting.pk}"' not in body
    assert "YouTube lets the brand&#x27;s Google account comment" in body


def test_a_closed_tab_shows_when_and_how_each_ended_the_latest_first(client):
    """Granted requests are not 'waiting': the row says when and how they were
    granted, without the path, the selection or the bulk actions of open tabs."""
    older, newer = asked(days=3), asked(days=1)
    for request in (older, newer):
        rights.grant(request.asset, via="signed_form")
    body = client.get(reverse("workspace:rights"), {"stage": "granted"}).content.decode()
    assert 'Granted <span class="count">2</span>' in body
    assert body.index(f'id="request-{newer.pk}"') < body.index(f'id="request-{older.pk}"')
    assert '<span class="ended">just now</span> · Signed form' in body
    assert "waiting" not in body and "To send by hand" not in body
    assert 'name="ids"' not in body and "Send now" not in body


def test_an_ended_request_says_how_long_ago():
    now = timezone.now()
    assert rights_inbox.ago(now - timedelta(seconds=30), now) == "just now"
    assert rights_inbox.ago(now - timedelta(days=3, hours=5), now) == "3\xa0days ago"


def test_bulk_remind_and_cancel_through_the_queue(client):
    first, second, waiting = asked(), asked(), asked()
    rights_queue.mark_sent(first)
    rights_queue.mark_sent(second)
    url = reverse("workspace:rights-bulk")
    reminded = client.post(
        url, {"action": "remind", "ids": [first.pk, waiting.pk], "stage": "sent"}
    ).content.decode()
    assert "Reminded 1 request; skipped 1" in reminded
    first.refresh_from_db()
    assert first.stage == RequestStage.QUEUED and first.reminded_at is not None
    # Back in the queue by hand, the reminder's words are what to post now.
    queued = client.get(reverse("workspace:rights")).content.decode()
    assert "Reminder to post" in queued and "A gentle reminder" in queued
    cancelled = client.post(url, {"action": "cancel", "ids": f"{second.pk},{waiting.pk}"})
    assert "Cancelled 2 requests" in cancelled.content.decode()
    second.asset.refresh_from_db()
    assert second.asset.rights_state == RightsState.NOT_REQUESTED
    again = client.post(url, {"action": "cancel", "ids": str(second.pk)}).content.decode()
    assert "already cancelled" in again
    assert field_of(client.post(url, {"action": "explode", "ids": "1"})) == "action"
    assert field_of(client.post(url, {"action": "cancel"})) == "ids"


def test_send_now_leaves_by_hand_requests_to_the_coordinator(client):
    by_hand = asked()
    body = client.post(
        reverse("workspace:rights-bulk"), {"action": "send", "ids": str(by_hand.pk)}
    ).content.decode()
    assert "Sent 0 requests; skipped 1" in body and "to send by hand" in body


def test_mark_sent(client):
    request = asked()
    url = reverse("workspace:rights-sent", args=[request.pk])
    body = client.post(url, {"stage": "queued"}).content.decode()
    assert f"Request {request.pk} marked sent" in body
    request.refresh_from_db()
    assert request.stage == RequestStage.SENT and request.closes_at is not None
    assert client.post(url).status_code == 409


def scored(asset, score: float):
    parts = dict.fromkeys(("quality", "relevance", "performance", "social", "freshness"), 0.5)
    AssetScore.objects.create(
        asset=asset, score=score, ctr_alpha=1, ctr_beta=1, conversion_rate=0,
        model_version="test", computed_at=timezone.now(), **parts,
    )  # fmt: skip
    return asset


def test_to_request_next_with_one_click(client):
    best = scored(AssetFactory(processing_state="in_review", creator=CreatorFactory()), 0.9)
    already = asked()
    page = client.get(reverse("workspace:rights")).content.decode()
    panel = page[page.index("To request next") :]
    assert f'id="next-{best.pk}"' in panel and f'id="next-{already.asset_id}"' not in panel
    body = client.post(reverse("workspace:rights-request", args=[best.pk])).content.decode()
    assert f"Requested asset {best.pk}" in body
    assert RightsRequest.objects.get(asset=best).stage == RequestStage.QUEUED
    assert client.post(reverse("workspace:rights-request", args=[best.pk])).status_code == 409


def test_to_request_next_puts_the_best_scored_first_then_the_newest_unscored():
    def requestable(**fields):
        return AssetFactory(processing_state="in_review", **fields)

    good, best = scored(requestable(), 0.5), scored(requestable(), 0.9)
    older, newer = requestable(), requestable()
    requestable(moderation_state="rejected")
    scored(requestable(rights_state=RightsState.DECLINED), 1.0)
    asked()  # already asked
    assert selectors.rights_to_request_next(3) == [best.pk, good.pk, newer.pk]
    assert selectors.rights_to_request_next(10) == [best.pk, good.pk, newer.pk, older.pk]
    assert selectors.rights_to_request_next(1) == [best.pk]


def test_the_asset_page_shows_the_draft_and_queues_the_edited_message(client):
    asset = AssetFactory(
        processing_state="in_review",
        caption="Meine neue Jacke ist sehr warm und ich liebe sie",
        creator=CreatorFactory(),
    )
    page = client.get(reverse("workspace:asset", args=[asset.pk])).content.decode()
    assert "Message (de)" in page and "#YesAcme" in page and "To send by hand" in page
    url = reverse("workspace:asset-rights", args=[asset.pk])
    client.post(url, {"answer": "request", "message": "Hallo! Darf Acme? #YesAcme"})
    request = RightsRequest.objects.get(asset=asset)
    assert request.message == "Hallo! Darf Acme? #YesAcme" and request.language == "de"
    assert request.message_variant is None  # edited by a person: out of the rotation


def test_the_review_queue_requests_rights_and_keeps_the_asset_up(client):
    asset = AssetFactory(processing_state="in_review", creator=CreatorFactory())
    page = client.get(reverse("workspace:review")).content.decode()
    assert "Request rights <kbd>Q</kbd>" in page and "Queue the request" in page
    body = client.post(
        reverse("workspace:review-rights", args=[asset.pk]), {"answer": "request"}
    ).content.decode()
    assert f"Rights requested for asset {asset.pk}" in body and f'data-asset="{asset.pk}"' in body
    request = RightsRequest.objects.get(asset=asset)
    assert request.message_variant is not None  # the draft as drafted keeps its variant


def test_the_licence_panel_shows_terms_proof_and_the_verified_chain(client):
    asset = AssetFactory(processing_state="in_review", creator=CreatorFactory(handle="maker"))
    request = rights_queue.queue_request(asset)
    rights_queue.mark_sent(request)
    rights_queue.handle_reply(
        request,
        text="Yes of course #YesAcme",
        author_handle="maker",
        permalink="https://instagram.example/c/9",
    )
    asset.refresh_from_db()
    rights.amend(
        asset,
        LicenceTerms(uses=["website"], territory=["FR"], paid_use=False, credit_required=True),
    )
    page = client.get(reverse("workspace:asset", args=[asset.pk])).content.decode()
    panel = page[page.index('id="licence"') :]
    assert "Worldwide" not in panel.split("</dl>")[0] and "FR" in panel
    assert "Credit required" in panel and "Not allowed" in panel
    assert "“Yes of course #YesAcme”" in panel and "https://instagram.example/c/9" in panel
    assert 'data-chain="intact"' in panel and "2 entries" in panel


def test_the_workspace_grant_validates_like_the_api(client):
    asset = AssetFactory(processing_state="in_review", creator=CreatorFactory())
    url = reverse("workspace:asset-rights", args=[asset.pk])
    grant = {"answer": "grant", "via": "signed_form", "terms": "1"}
    assert field_of(client.post(url, {**grant, "territory": "France"})) == "territory"
    assert field_of(client.post(url, {**grant, "uses": "billboards"})) == "uses"
    assert field_of(client.post(url, {"answer": "explode"})) == "answer"
    ok = client.post(
        url, {**grant, "uses": ["website", "email"], "territory": "fr de", "credit_required": "1"}
    )
    assert ok.status_code == 200, ok.content
    asset.refresh_from_db()
    assert asset.licensed_uses == ["email", "website"] and asset.credit_required
    entry = asset.licence_entries.get()
    assert entry.territory == ["DE", "FR"] and entry.paid_use is False


def test_credit_on_gallery_pins_and_in_the_public_item(client):
    from ugc.models import Gallery, GalleryPin, Site

    asset = AssetFactory(
        processing_state="in_review",
        moderation_state="approved",
        creator=CreatorFactory(handle="maker"),
    )
    rights.grant(asset, via="signed_form", terms=LicenceTerms(credit_required=True))
    plain = AssetFactory(processing_state="in_review", creator=CreatorFactory())
    site = Site.objects.create(name="Shop", domain="shop.example")
    gallery = Gallery.objects.create(site=site, slug="home", title="Home")
    GalleryPin.objects.create(gallery=gallery, asset=asset, position=0)
    GalleryPin.objects.create(gallery=gallery, asset=plain, position=1)
    body = client.get(reverse("workspace:gallery", args=[gallery.pk])).content.decode()
    assert body.count("Credit required</span>") == 1
    asset.refresh_from_db()
    assert item(asset)["credit"] == {"handle": "maker"}
    assert item(plain)["credit"] is None


def test_why_a_request_closed_reads_french_and_old_rows_keep_their_english(client, settings):
    request = asked()
    rights_queue.mark_sent(request)
    assert rights_queue.expire_unanswered(timezone.now() + timedelta(days=30)) == 1
    request.refresh_from_db()
    assert request.last_error == "no answer in time"  # the API's English, as before
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    url = reverse("workspace:rights") + "?stage=expired"
    french = client.get(url).content.decode()
    assert "pas de réponse à temps" in french and "no answer in time" not in french
    RightsRequest.objects.filter(pk=request.pk).update(
        last_error="an old reason", last_error_message=None
    )
    assert "an old reason" in client.get(url).content.decode()
