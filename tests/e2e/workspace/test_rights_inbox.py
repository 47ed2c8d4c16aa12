"""The rights inbox in a browser: filter, bulk remind, copy a by-hand message,
mark it sent, and read the licence on the asset page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.workspace.conftest import log_in, pictured_asset
from tests.ugc.factories import CreatorFactory
from ugc.models import RequestStage, RightsRequest
from ugc.services import rights_queue


def test_inbox_flow(page, coordinator, workspace):
    tiktok = pictured_asset(1, source_platform="tiktok", creator=CreatorFactory(handle="maker"))
    youtube = pictured_asset(2, source_platform="youtube", platform_id="yt-1")
    by_hand = rights_queue.queue_request(tiktok)
    on_youtube = rights_queue.queue_request(youtube)
    sent = rights_queue.queue_request(pictured_asset(3, source_platform="tiktok"))
    rights_queue.mark_sent(sent)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, workspace.url)

    page.goto(f"{workspace.url}/workspace/rights")
    page.get_by_label("Platform").select_option("tiktok")
    expect(page.locator(f"#request-{by_hand.pk}")).to_be_visible()
    expect(page.locator(f"#request-{on_youtube.pk}")).to_have_count(0)
    page.screenshot_as("filtered")

    page.locator(f"#request-{by_hand.pk}").get_by_role("button", name="Copy message").click()
    expect(page.locator("#status")).to_have_text("Message copied")
    assert "#YesAcme" in page.evaluate("navigator.clipboard.readText()")
    page.locator(f"#request-{by_hand.pk}").get_by_role("button", name="Mark sent").click()
    expect(page.get_by_text(f"Request {by_hand.pk} marked sent")).to_be_visible()

    page.get_by_role("link", name="Sent").click()
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Remind").click()
    expect(page.get_by_text("Reminded 2 requests")).to_be_visible()
    page.screenshot_as("reminded")
    assert RightsRequest.objects.get(pk=by_hand.pk).reminded_at is not None
    assert RightsRequest.objects.get(pk=sent.pk).stage == RequestStage.QUEUED

    page.goto(f"{workspace.url}/workspace/assets/{tiktok.pk}")
    page.get_by_text("Record a grant or a refusal").click()
    page.get_by_label("Territory (country codes, empty for worldwide)").fill("FR")
    page.get_by_label("Credit the creator wherever shown").check()
    page.get_by_role("button", name="Mark granted").click()
    expect(page.get_by_text(f"Rights granted for asset {tiktok.pk}")).to_be_visible()
    page.reload()
    licence = page.locator("#licence")
    expect(licence).to_contain_text("FR")
    expect(licence).to_contain_text("Credit required")
    expect(licence.locator("[data-chain=intact]")).to_be_visible()
    page.screenshot_as("licence")
