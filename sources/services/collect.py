"""One run of a source: its listings page by page, each page through the library's
ingest, the cursor saved after each page.

- One run per source at a time: a PostgreSQL advisory lock held by the run's
  connection; a killed worker's connection dies and the lock with it.
- Resumable: the cursor is saved only once a page's posts are stored, so a run
  killed mid-page does the page again; ingest is idempotent by platform id, so
  the page's posts are updated, never duplicated.
- Originals are downloaded in the same run (the SSRF-guarded fetcher); an expired
  media URL is refreshed from the media node and fetched again; a post that still
  fails is kept as a FailedItem with its reason and tried again by later runs.
- Rate limits and quotas end the run early with the reason; the next run resumes.
  A refused token puts the account in needs_reconnect; its sources pause.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.reasons import Reason, ngettext_noop
from platforms.clients.base import Page
from platforms.errors import MediaGone, PlatformError, RateLimited, TokenInvalid
from platforms.models import ConnectedAccount
from platforms.services.accounts import needs_reconnect, token_refused
from platforms.services.clients import client_for
from sources.models import FailedItem, RunStatus, Source, SourceKind, SourceRun
from sources.services import mapping
from sources.services.manage import jittered
from ugc.models import Asset
from ugc.services.ingest import CREATED, FAILED, UPDATED, ingest_many
from ugc.services.moderation import apply_auto_rules

logger = logging.getLogger(__name__)

DELETED = Reason(gettext_noop("deleted on the platform, or no longer shared"))
LOCK_NAMESPACE = 0x50C  # first key of the advisory lock; the second is the source id


@dataclass
class Listing:
    """One paged listing of a source: where its cursor lives, its pages, how to read posts."""

    name: str
    pages: Callable[[str | None], Iterator[Page]]
    to_input: Callable[..., object]


@contextlib.contextmanager
def source_lock(source_id: int):
    """True when this process holds the source's lock for the block, else False."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, source_id])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, source_id])


INTERRUPTED = Reason(
    gettext_noop("the worker stopped during this run; the next run resumed from its cursor")
)


def collect(source_id: int, trigger: str = "schedule") -> SourceRun | None:
    """Run the source now, unless another run of it is under way (then None)."""
    with source_lock(source_id) as got:
        if not got:
            return None
        source = Source.objects.select_related("account").filter(pk=source_id).first()
        if source is None:
            return None
        # A run still "running" without the lock was cut short (a killed worker).
        SourceRun.objects.filter(source=source, status=RunStatus.RUNNING).update(
            status=RunStatus.INTERRUPTED,
            finished_at=timezone.now(),
            error=INTERRUPTED.english(),
            error_message=INTERRUPTED.stored(),
        )
        run = SourceRun.objects.create(source=source, trigger=trigger)
        retry_after = None
        try:
            retry_after = Collector(source, run).collect()
        except Exception as exc:  # a run ends with a reason, never a dead worker
            logger.exception("collecting %s failed", source)
            why = gettext_noop("unexpected error: %(error)s")
            finish(run, RunStatus.FAILED, Reason(why, {"error": f"{type(exc).__name__}: {exc}"}))
        _schedule_next(source, run, retry_after)
        return run


def finish(run: SourceRun, status: str, why: Reason | str | None = None) -> None:
    """The run ends; `why`, kept in English and as a message to show translated (a
    platform's own words, a str, are kept and shown as they came)."""
    run.status, run.finished_at = status, timezone.now()
    if isinstance(why, Reason):
        run.error, run.error_message = why.english()[:1000], why.stored()
    else:
        run.error, run.error_message = (why or "")[:1000], None
    run.save()


def _schedule_next(source: Source, run: SourceRun, retry_after: float | None) -> None:
    wait = jittered(source.interval_seconds)
    if retry_after:
        wait = max(wait, dt.timedelta(seconds=retry_after))
    Source.objects.filter(pk=source.pk).update(
        next_run_at=timezone.now() + wait, last_run_summary=run.summary()[:500]
    )


class Collector:
    def __init__(self, source: Source, run: SourceRun):
        self.source, self.run = source, run
        self.account: ConnectedAccount = source.account
        self.client = client_for(self.account.platform, self.account.pk)
        self.token = self.account.access_token
        self.tags = [f"source:{source.kind}"]
        self.lines = list(source.product_lines.values_list("slug", flat=True))

    def collect(self) -> float | None:
        """Collect; returns seconds to wait before the next run when the platform said so."""
        if not self.account.active:
            finish(
                self.run,
                RunStatus.SKIPPED,
                Reason(
                    gettext_noop("paused: the account needs reconnecting (%(reason)s)"),
                    # The account's reason as its message, translated in turn; an
                    # account paused before messages existed gives its English.
                    {"reason": self.account.status_reason_message or self.account.status_reason},
                ),
            )
            return None
        try:
            self.retry_failed()
            status, error = self.collect_listings()
        except TokenInvalid as exc:
            needs_reconnect(self.account, token_refused(exc))
            finish(
                self.run,
                RunStatus.STOPPED_EARLY,
                Reason(
                    gettext_noop(
                        "the account needs reconnecting (%(error)s); collection resumes "
                        "from here once it is reconnected"
                    ),
                    {"error": exc.message},
                ),
            )
            return None
        except RateLimited as exc:
            minutes = max(1, round((exc.retry_after or 60) / 60))
            finish(
                self.run,
                RunStatus.STOPPED_EARLY,
                Reason(
                    gettext_noop(
                        "%(platform)s limit reached (%(error)s); resumes in about %(minutes)s min"
                    ),
                    {"platform": exc.platform, "error": exc.message, "minutes": minutes},
                ),
            )
            return exc.retry_after or 60.0
        except PlatformError as exc:
            why = gettext_noop("%(error)s; the next run resumes from here")
            finish(self.run, RunStatus.FAILED, Reason(why, {"error": str(exc)}))
            return None
        finish(self.run, status, error)
        return None

    # -- listings --------------------------------------------------------------------

    def collect_listings(self) -> tuple[str, Reason | None]:
        limit = settings.SOURCES_MAX_PAGES_PER_RUN
        for listing in self.listings():
            start = self.source.cursor.get(listing.name)
            for page in listing.pages(start):
                created = self.ingest_page(page.items, listing)
                self.run.pages += 1
                self.save_cursor(listing.name, page.cursor)
                self.run.save(update_fields=["pages", "new_count", "updated_count", "failed_count"])
                if page.cursor is None:
                    break
                if start is None and created == 0 and self.run.pages > 1:
                    # From the newest down to posts we have: caught up.
                    self.save_cursor(listing.name, None)
                    break
                if self.run.pages >= limit:
                    why = ngettext_noop(
                        "stopped after %(count)s page; the next run resumes from there",
                        "stopped after %(count)s pages; the next run resumes from there",
                    )
                    return RunStatus.STOPPED_EARLY, Reason(why, {"count": limit})
        return RunStatus.DONE, None

    def save_cursor(self, name: str, cursor: str | None) -> None:
        if cursor is None:
            self.source.cursor.pop(name, None)
        else:
            self.source.cursor[name] = cursor
        Source.objects.filter(pk=self.source.pk).update(cursor=self.source.cursor)

    def listings(self) -> list[Listing]:
        kind, client, token = self.source.kind, self.client, self.token
        user = self.account.external_id
        if kind == SourceKind.INSTAGRAM_HASHTAG:
            hashtag = self.hashtag_id()
            return [
                Listing(
                    edge,
                    lambda c, e=edge: client.hashtag_media(token, user, hashtag, edge=e, cursor=c),
                    mapping.instagram,
                )
                for edge in ("recent_media", "top_media")
            ]
        if kind == SourceKind.INSTAGRAM_TAGS:
            return [Listing("tags", lambda c: client.tags(token, user, c), mapping.instagram)]
        if kind == SourceKind.INSTAGRAM_OWN_MEDIA:
            return [Listing("media", lambda c: client.own_media(token, user, c), mapping.instagram)]
        if kind == SourceKind.TIKTOK_CREATOR_VIDEOS:
            return [Listing("videos", lambda c: client.videos(token, c), mapping.tiktok)]
        if kind == SourceKind.YOUTUBE_SEARCH:
            query = self.source.query
            return [
                Listing("search", lambda c: client.search(token, query, cursor=c), mapping.youtube)
            ]
        if kind == SourceKind.YOUTUBE_CHANNEL:
            channel = self.source.query
            return [
                Listing(
                    "channel",
                    lambda c: client.search(token, "", channel_id=channel, cursor=c),
                    mapping.youtube,
                )
            ]
        return []  # mentions arrive by webhook; their runs only retry failed posts

    def hashtag_id(self) -> str:
        if not self.source.platform_ref:
            self.source.platform_ref = self.client.hashtag_search(
                self.token, self.account.external_id, self.source.query
            )
            Source.objects.filter(pk=self.source.pk).update(platform_ref=self.source.platform_ref)
        return self.source.platform_ref

    # -- posts -----------------------------------------------------------------------

    def ingest_page(self, raw_items: list[dict], listing: Listing) -> int:
        """Store a page's posts; returns how many were new."""
        inputs, raws = [], []
        for raw in raw_items:
            try:
                inputs.append(listing.to_input(raw, tags=self.tags, lines=self.lines))
                raws.append(raw)
            except (mapping.ItemRefused, AttributeError, KeyError, TypeError, ValueError) as exc:
                why = _refusal(exc)
                self.failed(raw, why.english(), why.stored(), give_up=True)
        outcomes = ingest_many(inputs, download=True, note=f"collected by source {self.source}")
        created, stored = 0, set()
        for raw, item, outcome in zip(raws, inputs, outcomes, strict=True):
            if outcome.status == FAILED and outcome.reason.startswith("media_url"):
                outcome = self.with_fresh_url(raw, listing, outcome)
            created += self.count(raw, outcome)
            # The post's last outcome on the page decides, as if each were cleared in turn.
            if outcome.status == FAILED:
                stored.discard(item.platform_id)
            else:
                stored.add(item.platform_id)
        # Posts that failed before and are in now: nothing left to retry.
        FailedItem.objects.filter(source=self.source, platform_id__in=stored).delete()
        return created

    def count(self, raw: dict, outcome) -> int:
        if outcome.status == FAILED:
            # A deleted post will not come back: no point trying it again.
            gone = outcome.reason == DELETED.english()
            self.failed(raw, outcome.reason, outcome.message, give_up=gone)
            return 0
        if outcome.status == CREATED:
            self.run.new_count += 1
            if self.source.auto_moderate and outcome.asset_id:
                asset = Asset.objects.select_related("creator").get(pk=outcome.asset_id)
                apply_auto_rules(asset)
            return 1
        if outcome.status == UPDATED:
            self.run.updated_count += 1
        return 0

    def with_fresh_url(self, raw: dict, listing: Listing, outcome):
        """Media URLs are signed and expire: ask the platform for the post again."""
        try:
            fresh = self.fresh_item(raw)
        except MediaGone:
            return type(outcome)(FAILED, reason=DELETED.english(), message=DELETED.stored())
        if fresh is None:
            return outcome
        try:
            item = listing.to_input(fresh, tags=self.tags, lines=self.lines)
        except mapping.ItemRefused as exc:
            return type(outcome)(FAILED, reason=str(exc), message=exc.why.stored())
        return ingest_many([item], download=True, note=f"collected by source {self.source}")[0]

    def fresh_item(self, raw: dict) -> dict | None:
        platform = self.account.platform
        if self.account.is_instagram:
            return self.client.media(self.token, raw["id"])
        if platform == "tiktok":
            found = self.client.query_videos(self.token, [raw["id"]])
            if not found:
                raise MediaGone(platform, "the video is no longer there")
            return found[0]
        return None  # YouTube thumbnails do not expire

    def failed(
        self, raw: dict, reason: str, message: dict | list | None, give_up: bool = False
    ) -> None:
        """Keep the post to try again: `reason` in English (the API), `message` the
        same to translate (core/reasons.py), or None where there is none."""
        self.run.failed_count += 1
        platform_id = _platform_id(raw)
        with transaction.atomic():
            row, created = FailedItem.objects.select_for_update().get_or_create(
                source=self.source,
                platform_id=platform_id,
                defaults={
                    "payload": raw if isinstance(raw, dict) else {},
                    "reason": reason[:1000],
                    "reason_message": message,
                },
            )
            if not created:
                row.attempts += 1
                row.reason, row.reason_message = reason[:1000], message
            row.gave_up = give_up or row.attempts >= settings.SOURCES_ITEM_ATTEMPTS
            row.save()

    def retry_failed(self) -> None:
        """Posts earlier runs could not bring in, tried again with a fresh URL."""
        waiting = list(
            FailedItem.objects.filter(source=self.source, gave_up=False).order_by("pk")[:50]
        )
        to_input = {
            SourceKind.TIKTOK_CREATOR_VIDEOS: mapping.tiktok,
            SourceKind.YOUTUBE_SEARCH: mapping.youtube,
            SourceKind.YOUTUBE_CHANNEL: mapping.youtube,
        }.get(self.source.kind, mapping.instagram)
        for row in waiting:
            listing = Listing("retry", lambda c: iter(()), to_input)
            try:
                fresh = self.fresh_item(row.payload) or row.payload
            except MediaGone:
                self.failed(row.payload, DELETED.english(), DELETED.stored(), give_up=True)
                continue
            self.ingest_page([fresh], listing)


def _platform_id(raw) -> str:
    if isinstance(raw, dict):
        ident = raw.get("id")
        if isinstance(ident, dict):
            ident = ident.get("videoId")
        if ident:
            return str(ident)[:200]
    return "unknown"


def _refusal(exc: Exception) -> Reason:
    if isinstance(exc, mapping.ItemRefused):
        return exc.why
    why = gettext_noop(
        "the platform's answer for this post is missing a field or has a wrong type (%(error)s)"
    )
    return Reason(why, {"error": str(exc)})
