"""Live collection of posts with 1 MP pictures against importing the same from disk.

Measured: one run of an own-media source (`sources.services.collect.collect`,
in-process, no worker) against the platform sandbox over real HTTP: the listing
pages, each post's original downloaded through the SSRF-guarded fetcher, the
asset rows. Processing is not part of it (its tasks are queued after commit,
and the transaction is rolled back). The sandbox stands for the platform's
servers, so it serves from a process of its own (as `manage.py platform_sandbox`
does), with its clock stopped so that no post arrives during the run and the
run lists exactly the posts the peer imports.

Ceiling (the peer): `manage.py import_ugc posts.csv` of the same posts (id,
caption, creator, permalink, time, counts) with the same JPEGs read from a local
folder. A Graph API JSON export cannot name local files (its media_url is a
URL), so the peer reads a CSV whose `file` column points at them.

Goal: collection's throughput at least 0.7 of the local import's. Also printed:
requests sent per post and the highest share of any platform quota used, from
the sandbox's counters (`GET /__sandbox/stats`). The pictures are drawn once
into .data/bench/ and served from there, so neither side pays for drawing.

BENCH_COLLECTION_POSTS sets the number of posts (10,000 at full scale).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import multiprocessing
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from bench.registry import Result, benchmark

POSTS = int(os.environ.get("BENCH_COLLECTION_POSTS", "10000"))
GOAL_SHARE = 0.7  # of the local import's throughput
SEED = 21
PAGE = 50  # the Graph client's page size


class _Rollback(Exception):
    pass


@contextmanager
def _rolled_back():
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@contextmanager
def _scratch_originals():
    """Originals stored under a temporary folder while the bench runs."""
    from ugc.models import Asset

    field = Asset._meta.get_field("original")
    kept = field.storage
    with tempfile.TemporaryDirectory(prefix="bench-collection-") as folder:
        field.storage = FileSystemStorage(location=folder, base_url=None)
        try:
            yield
        finally:
            field.storage = kept


class _Sandbox:
    """The sandbox serving from a child process; its url, a token and the posts."""

    def __init__(self):
        from django.db import connections

        connections.close_all()  # the child must not share the parent's sockets
        context = multiprocessing.get_context("fork")
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        if not self.pipe.poll(300):
            self.stop()
            raise RuntimeError("the sandbox process did not start")
        self.url, self.token, self.posts, self.media_dir = self.pipe.recv()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.pipe.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def _serve(pipe) -> None:
    """The child: serve the sandbox until the parent says stop (or goes away)."""
    from platforms.clients.graph import OWN_MEDIA_FIELDS
    from platforms.sandbox.apis import Graph
    from platforms.sandbox.server import SandboxServer
    from platforms.sandbox.state import DAY, IG_USER_ID, Sandbox

    class Stopped(Sandbox):
        def now(self) -> float:
            return self.started + self.offset

    # Own media: every post since the sandbox's epoch, two days ago; a rate that
    # makes at least POSTS of them.
    rate = 60 * POSTS / (2 * DAY) * 1.02
    folder = settings.DATA_DIR / "bench" / "collection-media" / f"seed{SEED}"
    # 10,000 posts are 200 listing calls of 50: the sandbox's default budget (200 calls
    # an hour, the Graph API's limit per app user) would stop the run at 95 %. A
    # business account's budget grows with its reach (Meta's business use case limit,
    # 4,800 calls a day per impression); the quota share printed says what was used.
    budget = max(200, 5 * math.ceil(POSTS / PAGE))
    sandbox = Stopped(seed=SEED, rate=rate, media_dir=str(folder), graph_calls_per_hour=budget)
    server = SandboxServer(sandbox).start()
    feed, graph = f"own:{IG_USER_ID}", Graph(sandbox)
    newest = list(sandbox.newest_first(feed))[:POSTS]
    posts = [graph.node(sandbox.post(feed, i), OWN_MEDIA_FIELDS, hashtag=False) for i in newest]
    token = sandbox.issue("instagram", IG_USER_ID, 60 * DAY)
    pipe.send((server.url, token, posts, str(folder)))
    with contextlib.suppress(EOFError, OSError):
        pipe.recv()
    server.stop()


def _write_export(posts: list[dict], pictures: Path, path: Path) -> None:
    from sources.services.mapping import instagram

    columns = ["platform_id", "file", "caption", "creator", "platform", "permalink"]
    columns += ["posted_at", "likes", "comments"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for raw in posts:
            item = instagram(raw, tags=[], lines=[])
            name = Path(urlsplit(item.media_url).path).stem
            writer.writerow(
                [
                    item.platform_id,
                    str(pictures / f"{name}.jpg"),
                    item.caption,
                    item.creator_handle,
                    "instagram",
                    item.permalink,
                    raw["timestamp"],
                    raw["like_count"],
                    raw["comments_count"],
                ]
            )


def _settle() -> None:
    """Vacuum what a phase wrote and rolled back. Its dead rows hold the same post ids,
    files and creators as the next phase's, and would slow that phase's unique checks
    and lookups: whichever side ran second would pay for the first."""
    from django.db import connection

    from sources.models import FailedItem
    from ugc.models import Asset, AuditEntry, Creator, ImportItem, ImportRun

    with connection.cursor() as cursor:
        for model in (Asset, AuditEntry, Creator, ImportItem, ImportRun, FailedItem):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _import(path: Path) -> float:
    with _rolled_back():
        started = time.perf_counter()
        call_command("import_ugc", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        return time.perf_counter() - started


def _collect(server: _Sandbox) -> tuple[float, object, dict, dict]:
    """Seconds, the run, and the sandbox's stats before and after."""
    import datetime as dt

    from django.utils import timezone

    from platforms.hosts import platform_urls
    from platforms.models import AccountPlatform, ConnectedAccount
    from platforms.sandbox.state import IG_USER_ID
    from platforms.services import clients
    from sources.models import SourceKind
    from sources.services import collect, manage

    overrides = override_settings(
        PLATFORM_URLS=platform_urls(server.url),
        UGC_FETCH_ALLOWED_HOSTS=[urlsplit(server.url).hostname],
        SOURCES_MAX_PAGES_PER_RUN=math.ceil(POSTS / PAGE),
    )
    with overrides, _rolled_back():
        clients._cache.clear()
        account = ConnectedAccount.objects.create(
            platform=AccountPlatform.INSTAGRAM_FACEBOOK_LOGIN,
            external_id=IG_USER_ID,
            handle="bench_brand",
            access_token=server.token,
            access_expires_at=timezone.now() + dt.timedelta(days=60),
        )
        source = manage.add_source(account, SourceKind.INSTAGRAM_OWN_MEDIA)
        before = httpx.get(f"{server.url}/__sandbox/stats").json()
        started = time.perf_counter()
        run = collect.collect(source.pk, "bench")
        seconds = time.perf_counter() - started
        after = httpx.get(f"{server.url}/__sandbox/stats").json()
    clients._cache.clear()
    return seconds, run, before, after


@benchmark
def collection_vs_local_import() -> Result:
    from platforms.sandbox import media

    server = _Sandbox()
    try:
        posts = server.posts
        assert len(posts) == POSTS, f"the feed has {len(posts)} posts, fewer than {POSTS}"
        pictures = Path(server.media_dir)
        names = []
        for raw in posts:
            url = raw.get("media_url") or raw["children"]["data"][0]["media_url"]
            names.append(Path(urlsplit(url).path).stem)
        media.draw_all(names, SEED, pictures)
        with _scratch_originals(), tempfile.TemporaryDirectory() as folder:
            export = Path(folder) / "posts.csv"
            _write_export(posts, pictures, export)
            _settle()
            imported = _import(export)
            _settle()
            collected, run, before, after = _collect(server)
    finally:
        server.stop()
    requests = sum(after["counts"].values()) - sum(before["counts"].values())
    quota = max(after["quota_used"].values(), default=0.0)
    share = imported / collected
    complete = run.new_count == POSTS
    note = (
        f"{POSTS:,} posts with 1 MP pictures: collected {POSTS / collected:,.0f} posts/s "
        f"({run.status}, {run.pages} pages, {run.new_count:,} new, {run.failed_count} failed), "
        f"local import {POSTS / imported:,.0f} posts/s; throughput {share:.2f} of the "
        f"import's (goal >= {GOAL_SHARE}); {requests / POSTS:.3f} requests per post; "
        f"highest quota share {quota:.1%}"
    )
    if not complete:
        note += f"; INCOMPLETE: {run.error}"
    return Result(
        "collection vs local import",
        collected,
        imported,
        target_ratio=1 / GOAL_SHARE,
        note=note,
        goals_met=complete,
    )
