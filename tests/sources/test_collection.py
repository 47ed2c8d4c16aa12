"""Sources collected against the emulator over HTTP: pages through ingest, cursors,
the hashtag budget, embedded videos, and every fault ending the run with a reason."""

from __future__ import annotations

import html

import pytest
from django.test import Client
from django.urls import reverse

from platforms.models import AccountStatus
from platforms.services import clients
from sources.models import FailedItem, RunStatus, Source, SourceKind
from sources.services import budget, collect, manage
from sources.services.collect import Collector, Listing
from sources.services.mapping import ItemRefused
from sources.services.mapping import instagram as instagram_input
from ugc.delivery.render import item as render_item
from ugc.models import Asset

from .conftest import connect


def hashtag_source(account, name="sunsetbrand") -> Source:
    return manage.add_source(account, SourceKind.INSTAGRAM_HASHTAG, f"#{name}")


def test_a_hashtag_is_collected_once_and_a_rerun_updates_without_duplicates(instagram, settings):
    source = hashtag_source(instagram)
    assert source.query == "sunsetbrand"
    run = collect.collect(source.pk)
    assert run.status == RunStatus.DONE, run.error
    assets = Asset.objects.filter(source_platform="instagram")
    # The last 24 hours at 3 an hour (recent_media), and top_media's posts again.
    assert 72 <= run.new_count == assets.count() <= 73
    assert run.updated_count >= 1  # top_media lists posts recent_media brought
    assert all(a.original and a.content_sha256 for a in assets)
    assert not assets.filter(creator__isnull=False).exists()  # hashtag media: no author
    assert not assets.exclude(permalink__startswith="https://www.instagram.com/p/").exists()
    again = collect.collect(source.pk)
    assert again.status == RunStatus.DONE and again.new_count == 0
    assert assets.count() == run.new_count
    source.refresh_from_db()
    assert source.cursor == {} and source.next_run_at and "0 new" in source.last_run_summary


def test_a_run_stops_at_its_page_limit_and_the_next_resumes_from_the_cursor(instagram, settings):
    settings.SOURCES_MAX_PAGES_PER_RUN = 1
    source = hashtag_source(instagram)
    first = collect.collect(source.pk)
    assert first.status == RunStatus.STOPPED_EARLY and first.new_count == 50
    source.refresh_from_db()
    assert source.cursor.get("recent_media")
    second = collect.collect(source.pk)
    assert 22 <= second.new_count <= 23 and Asset.objects.count() == 50 + second.new_count


def test_the_31st_hashtag_is_refused_with_the_next_free_slot(instagram, coordinator_web):
    for n in range(30):
        manage.add_source(instagram, SourceKind.INSTAGRAM_HASHTAG, f"tag{n}")
    assert budget.budget(instagram).used == 30
    with pytest.raises(manage.SourceRefused, match=r"31st.*next slot frees at"):
        manage.add_source(instagram, SourceKind.INSTAGRAM_HASHTAG, "tag30")
    answer = coordinator_web.post(
        "/api/v1/sources",
        {"account": instagram.pk, "kind": "instagram_hashtag", "query": "tag31"},
        content_type="application/json",
    )
    assert answer.status_code == 400 and "next slot frees" in answer.content.decode()
    account = coordinator_web.get(f"/api/v1/sources/accounts/{instagram.pk}").json()
    assert account["hashtag_budget"]["used"] == 30 and account["hashtag_budget"]["next_free_at"]
    screen = coordinator_web.post(
        "/workspace/sources/add",
        {
            "account": instagram.pk,
            "kind": "instagram_hashtag",
            "query": "tag32",
            "interval_minutes": 15,
        },
    )
    assert screen.status_code == 400 and b"next slot frees" in screen.content


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ("malformed", RunStatus.FAILED, "not JSON"),
        ("truncated", RunStatus.FAILED, "not JSON"),
        ("wrong_type", RunStatus.FAILED, "expected list"),
        ("server_error", RunStatus.FAILED, "unexpected error has occurred"),
        ("rate_limit", RunStatus.STOPPED_EARLY, "limit reached"),
        ("token_expired", RunStatus.STOPPED_EARLY, "needs reconnecting"),
    ],
)
def test_faults_end_the_run_with_a_reason_and_keep_the_cursor(
    instagram, sandbox, settings, fault, status, words
):
    settings.SOURCES_MAX_PAGES_PER_RUN = 1
    source = hashtag_source(instagram)
    collect.collect(source.pk)  # page one, cursor after it
    source.refresh_from_db()
    cursor = dict(source.cursor)
    sandbox.add_fault(fault, "instagram", "recent_media")
    run = collect.collect(source.pk)
    assert run.status == status and words in run.error, run.error
    source.refresh_from_db()
    assert source.cursor == cursor  # resumes from where it was
    instagram.refresh_from_db()
    if fault == "token_expired":
        assert instagram.status == AccountStatus.NEEDS_RECONNECT
        paused = collect.collect(source.pk)
        assert paused.status == RunStatus.SKIPPED and "reconnecting" in paused.error
    else:
        assert instagram.status == AccountStatus.ACTIVE
        if fault == "rate_limit":
            # The client paces itself: within the platform's wait it sends nothing.
            before = sandbox.counts["instagram", "/{id}/recent_media"]
            assert collect.collect(source.pk).status == RunStatus.STOPPED_EARLY
            assert sandbox.counts["instagram", "/{id}/recent_media"] == before
            clients._cache.clear()  # a worker process started after the wait
        assert collect.collect(source.pk).new_count >= 22  # the next page, no gap


def test_an_expired_media_url_is_refreshed_and_a_deleted_post_fails_with_a_reason(
    instagram, sandbox
):
    source = manage.add_source(instagram, SourceKind.INSTAGRAM_TAGS)
    collector = Collector(source, source.runs.create())
    page = next(collector.client.tags(collector.token, instagram.external_id))
    stale, gone = page.items[0], page.items[1]
    sandbox.advance(3 * 86400 + 60)  # the listed URLs expired meanwhile
    sandbox.deleted.add(gone["id"])
    listing = Listing("tags", lambda c: iter(()), instagram_input)
    assert collector.ingest_page([stale, gone], listing) == 1
    assert Asset.objects.get(platform_id=stale["id"]).original
    failed = FailedItem.objects.get(platform_id=gone["id"])
    assert "deleted" in failed.reason and failed.gave_up
    assert not Asset.objects.filter(platform_id=gone["id"]).exists()


def test_posts_without_media_and_carousels():
    carousel = {
        "id": "1",
        "media_type": "CAROUSEL_ALBUM",
        "children": {"data": [{"id": "2", "media_type": "IMAGE", "media_url": "https://x/a.jpg"}]},
    }
    assert instagram_input(carousel, tags=[], lines=[]).media_url == "https://x/a.jpg"
    with pytest.raises(ItemRefused, match="no media URL"):
        instagram_input({"id": "3", "media_type": "VIDEO"}, tags=[], lines=[])


def test_a_page_with_a_broken_post_keeps_its_neighbours(instagram, sandbox):
    source = manage.add_source(instagram, SourceKind.INSTAGRAM_OWN_MEDIA)
    collector = Collector(source, source.runs.create())
    page = next(collector.client.own_media(collector.token, instagram.external_id))
    broken = [{"id": "9", "media_type": "VIDEO"}, {"caption": "no id"}, "not an object"]
    listing = Listing("media", lambda c: iter(()), instagram_input)
    assert collector.ingest_page([*broken, *page.items[:3]], listing) == 3
    assert collector.run.failed_count == 3
    reasons = set(FailedItem.objects.values_list("reason", flat=True))
    assert any("no media URL" in r for r in reasons) and any("no id" in r for r in reasons)


def test_tiktok_and_youtube_posts_become_embedded_videos(sandbox, coordinator_web, settings):
    settings.SOURCES_MAX_PAGES_PER_RUN = 1
    tiktok = connect(coordinator_web, "tiktok")
    youtube = connect(coordinator_web, "youtube")
    runs = [
        collect.collect(manage.add_source(tiktok, SourceKind.TIKTOK_CREATOR_VIDEOS).pk),
        collect.collect(manage.add_source(youtube, SourceKind.YOUTUBE_SEARCH, "haul").pk),
    ]
    assert [r.new_count for r in runs] == [20, 50], [r.error for r in runs]
    for platform in ("tiktok", "youtube"):
        asset = Asset.objects.filter(source_platform=platform).first()
        assert asset.original and asset.media_type == "image"  # the cover
        rendered = render_item(asset)
        assert rendered["media_type"] == "embedded_video"
        assert rendered["embed_url"].startswith("https://www.")


def test_quota_refusal_stops_a_youtube_run_early(sandbox, coordinator_web):
    youtube = connect(coordinator_web, "youtube")
    source = manage.add_source(youtube, SourceKind.YOUTUBE_CHANNEL, "UCbrand")
    sandbox.add_fault("rate_limit", "youtube", "/search")
    run = collect.collect(source.pk)
    assert run.status == RunStatus.STOPPED_EARLY and "limit reached" in run.error
    source.refresh_from_db()
    assert source.next_run_at  # later, after the platform's wait


def test_the_api_lists_pauses_resumes_and_runs_sources(instagram, coordinator_web):
    made = coordinator_web.post(
        "/api/v1/sources",
        {"account": instagram.pk, "kind": "instagram_tags"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert coordinator_web.post(f"/api/v1/sources/{pk}/pause").json()["paused"] is True
    assert coordinator_web.post(f"/api/v1/sources/{pk}/resume").json()["paused"] is False
    assert coordinator_web.post(f"/api/v1/sources/{pk}/run").status_code == 202
    assert coordinator_web.get("/api/v1/sources").json()[0]["id"] == pk
    anonymous = Client().get("/api/v1/sources")
    assert anonymous.status_code in (401, 403)


def test_a_runs_reason_reads_french_on_the_sources_screen(instagram, settings, coordinator_web):
    settings.SOURCES_MAX_PAGES_PER_RUN = 1
    run = collect.collect(hashtag_source(instagram).pk)
    english = "stopped after 1 page; the next run resumes from there"
    assert run.error == english  # what the API and the logs read, as before
    coordinator_web.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    french = coordinator_web.get(reverse("workspace:sources")).content.decode()
    assert "arrêtée après 1 page ; la prochaine exécution reprendra de là" in html.unescape(french)
    assert english not in french
    # A run written before its message existed shows its English.
    type(run).objects.filter(pk=run.pk).update(error="an old reason", error_message=None)
    assert "an old reason" in coordinator_web.get(reverse("workspace:sources")).content.decode()
