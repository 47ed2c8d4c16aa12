"""The reasons collection stores (a run stopped, a post refused, an account paused)
read French on the sources screen, from faults the emulator really gives, while the
rows and the API keep their English (core/reasons.py)."""

from __future__ import annotations

import html

from django.conf import settings
from django.urls import reverse

from platforms.models import AccountStatus
from platforms.sandbox.state import IG_USER_ID
from sources.models import FailedItem, RunStatus, SourceKind
from sources.services import collect, manage, webhooks
from sources.services.collect import Collector, Listing
from sources.services.mapping import instagram as instagram_input

from .conftest import connect


def sources_screen(web, language: str) -> str:
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = web.get(reverse("workspace:sources"))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_a_page_limit_reads_in_the_singular_and_the_plural(sandbox, settings, coordinator_web):
    youtube = connect(coordinator_web, "youtube")  # a search many pages long
    for pages, english, french in (
        (1, "stopped after 1 page;", "arrêtée après 1 page ;"),
        (2, "stopped after 2 pages;", "arrêtée après 2 pages ;"),
    ):
        settings.SOURCES_MAX_PAGES_PER_RUN = pages
        source = manage.add_source(youtube, SourceKind.YOUTUBE_SEARCH, f"haul {pages}")
        run = collect.collect(source.pk)
        assert run.status == RunStatus.STOPPED_EARLY and run.error.startswith(english)
        screen = sources_screen(coordinator_web, "fr")
        assert french in screen and english not in screen


def test_refused_posts_read_french_and_old_rows_keep_their_english(
    instagram, sandbox, coordinator_web
):
    source = manage.add_source(instagram, SourceKind.INSTAGRAM_TAGS)
    collector = Collector(source, source.runs.create())
    page = next(collector.client.tags(collector.token, instagram.external_id))
    stale, gone = page.items[0], page.items[1]
    sandbox.advance(3 * 86400 + 60)  # the listed URLs expired; one post was deleted
    sandbox.deleted.add(gone["id"])
    broken = {"id": "9", "media_type": "VIDEO"}  # no media URL
    listing = Listing("tags", lambda c: iter(()), instagram_input)
    assert collector.ingest_page([stale, gone, broken], listing) == 1
    deleted = FailedItem.objects.get(platform_id=gone["id"])
    assert deleted.reason == "deleted on the platform, or no longer shared"  # as before
    assert FailedItem.objects.get(platform_id="9").reason.startswith("the platform gave no media")

    french = sources_screen(coordinator_web, "fr")
    assert f"{gone['id']}\u00a0: supprimé sur la plateforme, ou plus partagé" in french
    assert "9\u00a0: la plateforme n'a donné aucune URL de média" in french
    assert "deleted on the platform" not in french and "no media URL" not in french
    assert "deleted on the platform" in sources_screen(coordinator_web, "en")

    FailedItem.objects.filter(pk=deleted.pk).update(reason="an old reason", reason_message=None)
    assert f"{gone['id']}\u00a0: an old reason" in sources_screen(coordinator_web, "fr")


def test_a_refused_token_pauses_the_account_in_french(instagram, sandbox, coordinator_web):
    source = manage.add_source(instagram, SourceKind.INSTAGRAM_HASHTAG, "#sunsetbrand")
    sandbox.add_fault("token_expired", "instagram", "recent_media")
    collect.collect(source.pk)
    instagram.refresh_from_db()
    assert instagram.status == AccountStatus.NEEDS_RECONNECT
    assert instagram.status_reason.startswith("instagram refused the token: ")
    platform_words = instagram.status_reason.removeprefix("instagram refused the token: ")
    api = coordinator_web.get(f"/api/v1/sources/accounts/{instagram.pk}").json()
    assert api["status_reason"] == instagram.status_reason  # the API keeps its English

    paused = collect.collect(source.pk)
    assert paused.status == RunStatus.SKIPPED
    assert paused.error == (f"paused: the account needs reconnecting ({instagram.status_reason})")
    french = sources_screen(coordinator_web, "fr")
    refused = f"instagram a refusé le jeton : {platform_words}"
    assert f"La collecte depuis ce compte est en pause : {refused}." in french
    assert f"en pause : le compte doit être reconnecté ({refused})" in french
    assert "refused the token" not in french

    # An account paused before its reason had a message shows the English it has.
    type(instagram).objects.filter(pk=instagram.pk).update(
        status_reason="an old reason", status_reason_message=None
    )
    assert "en pause : an old reason." in sources_screen(coordinator_web, "fr")


def test_a_webhook_runs_reason_reads_french(instagram, sandbox, coordinator_web):
    manage.add_source(instagram, SourceKind.INSTAGRAM_MENTIONS)
    mention = sandbox.post(f"mentions:{IG_USER_ID}", 0)
    sandbox.deleted.add(mention.id)
    delivery, _ = webhooks.receive(sandbox.mention_payload(mention))
    webhooks.process(delivery.pk)
    run = instagram.sources.get(kind=SourceKind.INSTAGRAM_MENTIONS).runs.get()
    assert run.status == RunStatus.FAILED
    assert run.error == "the mentioned post was deleted before we fetched it"  # as before
    french = sources_screen(coordinator_web, "fr")
    assert "la publication mentionnée a été supprimée avant que nous la récupérions" in french
    assert run.error not in french
