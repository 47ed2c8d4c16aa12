"""A collection worker SIGKILLed inside a page: the run is delivered again to the next
worker, which redoes the page; every post of it is stored once, the cursor moves past
it, and the cut-short run is marked interrupted."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db.models import Count
from django.utils import timezone

from config.queues import QUEUES
from platforms.models import AccountPlatform, ConnectedAccount
from platforms.sandbox.server import SandboxServer
from platforms.sandbox.state import DAY, IG_USER_ID, Sandbox
from sources.models import RunStatus, SourceKind, SourceRun
from sources.services import manage
from sources.tasks import collect_source
from tests.sources.conftest import SMALL_MEDIA
from tests.support.worker import wait_until
from ugc.models import Asset

pytestmark = pytest.mark.worker

PAGE = 50  # the Graph client's page size
FEED = f"own:{IG_USER_ID}"


@pytest.fixture
def sandbox_server():
    # rate 0.05/min: two days of history, 144 posts of own media, three pages.
    server = SandboxServer(Sandbox(seed=11, rate=0.05, media_size=SMALL_MEDIA)).start()
    sandbox = server.sandbox
    # No post arrives during the test (the next is a whole interval away): the page
    # the second worker lists is the page the first one was inside.
    sandbox.advance(sandbox.interval - (sandbox.now() - sandbox.epoch) % sandbox.interval + 1)
    yield server
    server.stop()


def _worker_env(server: SandboxServer, tmp_path) -> dict[str, str]:
    return {
        "PLATFORM_SANDBOX_URL": server.url,
        "SOURCES_MAX_PAGES_PER_RUN": "1",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        # The broker gives a killed worker's message back within seconds; the hard
        # limit stays above a page's time (a slow page takes about 5 s).
        "CELERY_TIME_LIMITS": ",".join(f"{queue}=8:9" for queue in QUEUES),
        "CELERY_VISIBILITY_TIMEOUT": "10",
    }


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_a_worker_killed_inside_a_page_loses_and_duplicates_nothing(
    start_worker, producer, sandbox_server, tmp_path, settings
):
    sandbox = sandbox_server.sandbox
    settings.UGC_FETCH_ALLOWED_HOSTS = [urlsplit(sandbox_server.url).hostname]
    account = ConnectedAccount.objects.create(
        platform=AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN,
        external_id=IG_USER_ID,
        handle="sandbox_brand",
        access_token=sandbox.issue("instagram", IG_USER_ID, 60 * DAY),
        access_expires_at=timezone.now() + dt.timedelta(days=60),
    )
    source = manage.add_source(account, SourceKind.INSTAGRAM_OWN_MEDIA)
    page_ids = [sandbox.post(FEED, i).id for i in list(sandbox.newest_first(FEED))[:PAGE]]
    stored = Asset.objects.filter(source_platform="instagram", platform_id__in=page_ids)

    env = _worker_env(sandbox_server, tmp_path)
    first = start_worker(**env)
    sandbox.media_delay = 0.1  # a slow CDN: the page takes about 5 s
    task = collect_source.apply_async((source.pk, "manual"), connection=producer)
    wait_until(lambda: stored.count() >= 3, timeout=60, what="the first posts of the page")
    first.kill()
    at_kill = stored.count()
    source.refresh_from_db()
    assert 0 < at_kill < PAGE, "the kill should land inside the page"
    assert source.cursor == {}, "the cursor moves only once the page is stored"
    assert SourceRun.objects.get(source=source).status == RunStatus.RUNNING

    sandbox.media_delay = 0.0
    second = start_worker(**env)
    runs = SourceRun.objects.filter(source=source).order_by("pk")
    wait_until(
        lambda: runs.count() == 2 and runs.last().finished_at,
        timeout=60,
        what="the redelivered run to finish",
    )
    # The same message, again. The worker logs its success after the task's commit, so
    # the line may trail the run's finished_at by a moment.
    wait_until(
        lambda: f"collect_source[{task.id}] succeeded" in second.log(),
        timeout=10,
        what="the second worker to log the redelivered task's success",
    )

    killed, redone = runs
    assert killed.status == RunStatus.INTERRUPTED and "stopped during this run" in killed.error
    assert redone.status == RunStatus.STOPPED_EARLY, redone.error  # its one page, as set
    assert redone.pages == 1 and redone.failed_count == 0
    # The posts the killed worker stored are updated, the rest created: the page, once.
    assert redone.updated_count >= at_kill and redone.new_count + redone.updated_count == PAGE
    per_post = dict(stored.values_list("platform_id").annotate(n=Count("id")))
    assert sorted(per_post) == sorted(page_ids) and set(per_post.values()) == {1}
    assert Asset.objects.count() == PAGE
    assert all(a.original and a.content_sha256 for a in stored)
    source.refresh_from_db()
    next_page = [sandbox.post(FEED, i).id for i in list(sandbox.newest_first(FEED))[PAGE:]]
    assert source.cursor.get("media"), "the cursor moved past the page"
    after = next(_own_media_pages(sandbox_server, account, source.cursor["media"], settings))
    assert [item["id"] for item in after.items] == next_page[:PAGE]


def _own_media_pages(server: SandboxServer, account: ConnectedAccount, cursor: str, settings):
    """The account's own media from `cursor`, as the collector's client reads it."""
    from platforms.hosts import platform_urls
    from platforms.services import clients

    settings.PLATFORM_URLS = platform_urls(server.url)
    clients._cache.clear()
    client = clients.client_for(account.platform, account.pk)
    return client.own_media(account.access_token, account.external_id, cursor)
