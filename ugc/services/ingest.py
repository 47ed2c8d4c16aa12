"""The one way in to the library: uploads, imports and downloads all end here.

`ingest(item, file=...)` takes one `AssetInput` (what a source says about an
asset) and, optionally, its media as a stream; `ingest_many(items)` does the
same for a batch with bulk queries, its downloads running a few at a time
ahead of the rows; `run_import(...)` drives a resumable
import (ImportRun / ImportItem). Every path is idempotent:

- same platform id (per platform) -> the asset's metadata is updated
  (outcome `updated`); its original is fetched only when it has none yet;
- same bytes (sha256) as an asset we have -> `duplicate`, nothing stored;
- otherwise -> a new Asset in state `received`, original in the private
  storage, an audit entry, and the pipeline queued once the row is committed.

Bad input never raises: the outcome is `failed` with a reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from commerce.models import Product, ProductLine
from core import reasons
from core.bulk import copy_insert, copy_rows
from core.reasons import Reason
from core.storage import StoreRefused, StoreUnavailable, safe_extension, store_errors
from ugc.captions import normalise_handle, parse_hashtags, parse_mentions
from ugc.ingest.fetch import DEFAULT_CONTENT_TYPES, FetchError, FetchPolicy, fetch
from ugc.ingest.items import AssetInput, ParsedItem, media_kind
from ugc.models import (
    Asset,
    AuditEntry,
    ContentCategory,
    Creator,
    ImportItem,
    ImportRun,
    ProcessingState,
    ProductLineTag,
    ProductTag,
    TagSource,
)
from ugc.services.assets import acting_user, record, update_metadata, upsert_creator
from ugc.services.pipeline import request_processing
from ugc.services.search_index import request_indexing

__all__ = [
    "AssetInput",
    "IngestFailed",
    "Outcome",
    "fetch_policy",
    "ingest",
    "ingest_many",
    "run_import",
]

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
CREATED, UPDATED, DUPLICATE, FAILED = "created", "updated", "duplicate", "failed"


def _originals():
    """The storage of Asset.original (the private one), as the field itself holds it."""
    return Asset._meta.get_field("original").storage


class IngestFailed(Exception):
    """This item cannot be ingested; str() is the reason given back to the caller, in
    English, and `message` the same to show translated (core/reasons.py)."""

    def __init__(self, reason: Reason):
        super().__init__(reason.english())
        self.message = reason.stored()


@dataclass
class Outcome:
    status: str  # created | updated | duplicate | failed
    asset_id: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    # The reason as a message to translate (core/reasons.py), where it was written so.
    message: dict | None = field(default=None, repr=False, compare=False)
    changed: bool = True  # for `updated`: whether anything actually changed
    # For `created` by ingest(): the row as inserted, so a caller that goes on writing
    # about it in the same transaction needs not read it back. Not part of the answer.
    asset: Asset | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "asset_id": self.asset_id,
            "reason": self.reason,
            "warnings": list(self.warnings),
            "changed": self.changed,
        }


EMPTY = Reason(gettext_noop("the file is empty (0 bytes)"))
NO_MEDIA = Reason(
    gettext_noop("no media: give a file or a URL (or a platform id for metadata only)")
)


def over_limit(max_bytes: int) -> Reason:
    """People read the limit in MB (KB below one), a number each language formats; the
    API keeps its "50,000,000-byte" words, which its clients may match on."""
    api_english = f"file is over the {max_bytes:,}-byte limit"
    if max_bytes < 2**20:
        why = gettext_noop("The file is over the %(kilobytes)s KB limit.")
        return Reason(why, {"kilobytes": reasons.in_units(max_bytes, 2**10)}, api_english)
    why = gettext_noop("The file is over the %(megabytes)s MB limit.")
    return Reason(why, {"megabytes": reasons.in_units(max_bytes, 2**20)}, api_english)


def _failed(exc: IngestFailed, warnings: list[str]) -> Outcome:
    return Outcome(FAILED, reason=str(exc), warnings=warnings, message=exc.message)


def _not_stored(exc: Exception) -> Outcome:
    reason = Reason(gettext_noop("could not be stored: %(error)s"), {"error": str(exc)})
    return Outcome(FAILED, reason=reason.english(), message=reason.stored())


def fetch_policy() -> FetchPolicy:
    return FetchPolicy(
        max_bytes=settings.UGC_MAX_UPLOAD_BYTES,
        connect_timeout=settings.UGC_FETCH_CONNECT_TIMEOUT,
        read_timeout=settings.UGC_FETCH_READ_TIMEOUT,
        total_timeout=settings.UGC_FETCH_TOTAL_TIMEOUT,
        max_redirects=settings.UGC_FETCH_MAX_REDIRECTS,
        allowed_content_types=frozenset(settings.UGC_FETCH_CONTENT_TYPES) or DEFAULT_CONTENT_TYPES,
        allowed_hosts=frozenset(host.lower() for host in settings.UGC_FETCH_ALLOWED_HOSTS),
    )


# -- receiving the bytes -------------------------------------------------------------


class _HashingSink:
    """A temporary file that hashes and counts what is written, up to a cap."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.sha = hashlib.sha256()
        self.size = 0
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed by discard/close)
            prefix="ugc-ingest-", dir=settings.FILE_UPLOAD_TEMP_DIR, delete=False
        )

    def write(self, chunk: bytes) -> int:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise IngestFailed(over_limit(self.max_bytes))
        self.sha.update(chunk)
        return self.file.write(chunk)

    @property
    def sha256(self) -> str:
        return self.sha.hexdigest()

    def temporary_file_path(self) -> str:
        # FileSystemStorage moves a file that has a path instead of copying it.
        return self.file.name

    def finish(self) -> None:
        """Everything written is on disk, ready to be stored from its path."""
        self.file.close()

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)


class _HashedUpload(_HashingSink):
    """An upload the capped handler already streamed to a temporary file and hashed as
    it arrived: taken as it is, neither copied nor read again (stored by a rename)."""

    def __init__(self, upload):
        self.upload = upload
        self.size = upload.size
        self.digest = upload.sha256

    @property
    def sha256(self) -> str:
        return self.digest

    def temporary_file_path(self) -> str:
        return self.upload.temporary_file_path()

    def finish(self) -> None:
        # Not closed: closing deletes the file. The request closes it (a file already
        # moved into the storage is then simply gone).
        self.upload.file.flush()

    def discard(self) -> None:
        self.upload.close()


def _hashed_upload(file) -> bool:
    return bool(getattr(file, "sha256", "")) and hasattr(file, "temporary_file_path")


@dataclass
class _Received:
    sink: _HashingSink
    filename: str
    mime_type: str
    source_url: str = ""

    @property
    def sha256(self) -> str:
        return self.sink.sha256


def _receive(item: AssetInput, file: BinaryIO | None, filename: str, content_type: str):
    """Stream the media (a given stream, a local file or a URL) to a hashed temp file."""
    if _hashed_upload(file):
        return _received_upload(file, filename, content_type)
    sink = _HashingSink(settings.UGC_MAX_UPLOAD_BYTES)
    try:
        if file is not None:
            chunks = (
                file.chunks(CHUNK)
                if hasattr(file, "chunks")
                else iter(lambda: file.read(CHUNK), b"")
            )
            for chunk in chunks:
                sink.write(chunk)
            name = filename or getattr(file, "name", "") or "upload"
            received = _Received(sink, Path(name).name, content_type)
        elif item.file_path:
            path = Path(item.file_path)
            if not path.is_file():
                why = gettext_noop("file not found: %(path)s")
                raise IngestFailed(Reason(why, {"path": item.file_path}))
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    sink.write(chunk)
            received = _Received(sink, path.name, content_type)
        else:
            try:
                fetched = fetch(item.media_url, sink, fetch_policy())
            except FetchError as exc:
                why = gettext_noop("media_url: %(error)s")
                raise IngestFailed(Reason(why, {"error": str(exc)})) from None
            received = _Received(sink, fetched.filename, fetched.content_type, fetched.url)
        sink.file.flush()
        if sink.size == 0:
            raise IngestFailed(EMPTY)
    except IngestFailed:
        sink.discard()
        raise
    except OSError as exc:
        sink.discard()
        why = gettext_noop("could not read the file: %(error)s")
        raise IngestFailed(Reason(why, {"error": str(exc)})) from None
    return _named(received)


class _Downloads:
    """A batch's media URLs downloaded a few at a time, ahead of the batch's rows.

    A platform's CDN answers in tens of milliseconds: fetched one by one, a
    collection would spend most of its time waiting on the network. Here up
    to UGC_FETCH_CONCURRENCY downloads run (or wait, finished, on disk) ahead
    of the item the batch is storing, in the order the batch takes them; the
    rows are still written one by one, on the caller's thread and connection.
    """

    def __init__(self, items: Sequence[AssetInput]):
        self.items = list(items)
        self.position = {id(item): n for n, item in enumerate(self.items)}
        self.next = 0
        self.pending: dict[int, Future] = {}
        self.window = settings.UGC_FETCH_CONCURRENCY
        self.pool = (
            ThreadPoolExecutor(self.window, thread_name_prefix="ugc-fetch")
            if self.window > 1 and len(self.items) > 1
            else None
        )
        self._fill()

    def _fill(self) -> None:
        while self.pool and self.next < len(self.items) and len(self.pending) < self.window:
            item = self.items[self.next]
            self.pending[self.next] = self.pool.submit(_receive, item, None, "", "")
            self.next += 1

    def take(self, item: AssetInput) -> _Received | None:
        """The item's download (raising IngestFailed as `_receive` does), or None
        when it was not fetched ahead: the caller then downloads it itself."""
        n = self.position.pop(id(item), None)
        if n is None or self.pool is None:
            return None
        for earlier in [k for k in self.pending if k < n]:  # the batch went past them
            _discard_when_done(self.pending.pop(earlier))
        future = self.pending.pop(n, None)
        self.next = max(self.next, n + 1)
        try:
            return future.result() if future is not None else None
        finally:
            self._fill()

    def close(self) -> None:
        """Nothing left behind: unused downloads are deleted once they finish."""
        if self.pool is None:
            return
        for future in self.pending.values():
            if not future.cancel():
                _discard_when_done(future)
        self.pending.clear()
        self.pool.shutdown(wait=True)


def _discard_when_done(future: Future) -> None:
    def done(finished: Future) -> None:
        if not finished.cancelled() and finished.exception() is None:
            finished.result().sink.discard()

    future.add_done_callback(done)


def _received_upload(upload, filename: str, content_type: str) -> _Received:
    sink = _HashedUpload(upload)
    if sink.size > settings.UGC_MAX_UPLOAD_BYTES:
        raise IngestFailed(over_limit(settings.UGC_MAX_UPLOAD_BYTES))
    if sink.size == 0:
        raise IngestFailed(EMPTY)
    name = filename or upload.name or "upload"
    return _named(_Received(sink, Path(name).name, content_type))


def _named(received: _Received) -> _Received:
    """The type from the name when the sender gave none; both cut to their columns."""
    if not received.mime_type:
        kind = media_kind(received.filename)
        received.mime_type = kind[1] if kind else ""
    received.mime_type = received.mime_type[:100]
    received.filename = received.filename[:255]
    return received


def _store(received: _Received) -> str:
    """Save the temp file to the private storage under a name made from its hash."""
    sha = received.sha256
    name = f"originals/{sha[:2]}/{sha[2:4]}/{sha}{safe_extension(received.filename)}"
    received.sink.finish()
    try:
        from django.core.files import File

        with open(received.sink.temporary_file_path(), "rb") as handle:
            content = File(handle, name=name)
            content.temporary_file_path = received.sink.temporary_file_path
            # On an object store: a multipart upload streamed from the temporary file.
            with store_errors("store the original"):
                return _originals().save(name, content)
    except (StoreUnavailable, StoreRefused) as exc:
        why = gettext_noop("%(error)s; nothing was stored, try again")
        raise IngestFailed(Reason(why, {"error": str(exc)})) from None
    finally:
        received.sink.discard()


def _media_type(item: AssetInput, received: _Received | None) -> str:
    if item.media_type:
        return item.media_type
    if received is not None:
        if received.mime_type.startswith("video/"):
            return "video"
        kind = media_kind(received.filename)
        if kind:
            return kind[0]
    # Metadata only: the URL's or path's extension is the best hint there is.
    kind = media_kind(urlsplit(item.media_url).path) or media_kind(item.file_path)
    return kind[0] if kind else "image"


# -- lookups shared by a batch ----------------------------------------------------------


class _Lookups:
    """Catalog rows, categories and existing assets for a batch, each in one query."""

    def __init__(self, items: Sequence[AssetInput]):
        skus = {sku for item in items for sku in item.product_skus}
        slugs = {slug for item in items for slug in item.product_line_slugs}
        categories = {item.content_type for item in items if item.content_type}
        self.products = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
        self.lines = (
            {line.slug: line for line in ProductLine.objects.filter(slug__in=slugs)}
            if slugs
            else {}
        )
        self.categories = (
            {c.slug: c for c in ContentCategory.objects.filter(slug__in=categories)}
            if categories
            else {}
        )
        keyed = {(item.platform, item.platform_id) for item in items if item.platform_id}
        self.assets: dict[tuple[str, str], Asset] = {}
        if keyed:
            query = Q()
            for platform in {platform for platform, _ in keyed}:
                ids = [pid for p, pid in keyed if p == platform]
                query |= Q(source_platform=platform, platform_id__in=ids)
            for asset in Asset.objects.filter(query).select_related("creator", "content_type"):
                self.assets[(asset.source_platform, asset.platform_id)] = asset

        # Filled by prefetch(): the batch's creators, and what updates of known posts
        # compare against.
        self.creators: dict[tuple[str, str], Creator] = {}
        self.tags: dict[int, tuple[set[int], set[int]]] = {}

    def prefetch(self, items: Sequence[AssetInput]) -> None:
        """The batch's creators (the new ones made in one INSERT, not one per post) and
        the current tags of its known posts, in a few queries."""
        try:
            with transaction.atomic():
                self.creators = _bulk_creators(items)
        except DatabaseError:
            # A handle the table cannot hold: each post upserts its own and fails alone.
            logger.warning("bulk upsert of the creators of %d items failed", len(items))
            self.creators = {}
        known = [i for i in items if i.platform_id and (i.platform, i.platform_id) in self.assets]
        if not known:
            return
        ids = [self.assets[(i.platform, i.platform_id)].pk for i in known]
        self.tags = {pk: (set(), set()) for pk in ids}
        for asset_id, product_id in ProductTag.objects.filter(asset_id__in=ids).values_list(
            "asset_id", "product_id"
        ):
            self.tags[asset_id][0].add(product_id)
        for asset_id, line_id in ProductLineTag.objects.filter(asset_id__in=ids).values_list(
            "asset_id", "product_line_id"
        ):
            self.tags[asset_id][1].add(line_id)

    def warnings(self, item: AssetInput) -> list[str]:
        out = []
        unknown = [sku for sku in item.product_skus if sku not in self.products]
        if unknown:
            out.append(f"unknown SKU(s), not tagged: {', '.join(unknown)}")
        unknown = [slug for slug in item.product_line_slugs if slug not in self.lines]
        if unknown:
            out.append(f"unknown product line(s), not tagged: {', '.join(unknown)}")
        if item.content_type and item.content_type not in self.categories:
            out.append(f"unknown content type {item.content_type!r}, left empty")
        return out


def _tag_rows(asset: Asset, item: AssetInput, lookups: _Lookups):
    products = [
        ProductTag(asset=asset, product=lookups.products[sku], source=TagSource.IMPORT)
        for sku in item.product_skus
        if sku in lookups.products
    ]
    lines = [
        ProductLineTag(asset=asset, product_line=lookups.lines[slug], source=TagSource.IMPORT)
        for slug in item.product_line_slugs
        if slug in lookups.lines
    ]
    return products, lines


def waiting_reason(item: AssetInput) -> str:
    """Why a metadata-only asset stays `received`, and what brings its media."""
    if item.media_url:
        return (
            "Waiting for its media: imported without downloading its media_url; "
            "the same import run again without --no-download downloads it."
        )
    return (
        f"Waiting for its media: the {item.platform} export gave no file or URL; "
        "an import of this post (same platform id) with a file or media URL brings it."
    )


def _new_asset(item: AssetInput, lookups: _Lookups, creator: Creator | None) -> Asset:
    """The asset an item creates, metadata only (the caller attaches any original)."""
    return Asset(
        media_type=_media_type(item, None),
        source_platform=item.platform,
        content_type=lookups.categories.get(item.content_type),
        creator=creator,
        caption=item.caption,
        hashtags=parse_hashtags(item.caption),
        mentions=parse_mentions(item.caption),
        language=item.language,
        alt_text=item.alt_text,
        permalink=item.permalink,
        posted_at=item.posted_at,
        platform_id=item.platform_id,
        source_url=item.media_url,
        platform_metrics=item.platform_metrics,
        width=item.width,
        height=item.height,
        duration_seconds=item.duration_seconds,
        media_info={"platform": item.platform_links} if item.platform_links else {},
        tags=item.tags,
        processing_state=ProcessingState.RECEIVED,
        failure_reason=waiting_reason(item),
    )


def _creator(item: AssetInput, lookups: _Lookups) -> Creator | None:
    handle = normalise_handle(item.creator_handle)
    if not handle:
        return None
    if (item.platform, handle) in lookups.creators:
        return lookups.creators[(item.platform, handle)]
    return upsert_creator(
        platform=item.platform, handle=item.creator_handle, display_name=item.creator_name
    )


# -- one item ---------------------------------------------------------------------------


def ingest(
    item: AssetInput,
    *,
    file: BinaryIO | None = None,
    filename: str = "",
    content_type: str = "",
    actor=None,
    download: bool = True,
    note: str = "",
) -> Outcome:
    """Bring one asset in; see the module docstring. Never raises for bad input."""
    problems = [
        (name, message)
        for name, message in item.validate()
        if not (name == "file" and file is not None)
    ]
    if problems:
        return Outcome(FAILED, reason="; ".join(f"{name}: {msg}" for name, msg in problems))
    lookups = _Lookups([item])
    try:
        outcome = _ingest_one(item, lookups, file, filename, content_type, actor, download, note)
    except IngestFailed as exc:
        return _failed(exc, lookups.warnings(item))
    except Exception as exc:  # never a 500 or a dead import for one bad item
        logger.exception("ingesting %s failed", item.platform_id or filename or item.file_path)
        return _not_stored(exc)
    _request_indexing([outcome])
    return outcome


def _request_indexing(outcomes) -> None:
    """New and changed assets become findable: full text, vectors, suggestions."""
    request_indexing(
        o.asset_id
        for o in outcomes
        if o is not None
        and o.asset_id
        and (o.status == CREATED or (o.status == UPDATED and o.changed))
    )


def _wants_media(item: AssetInput, file, download: bool) -> bool:
    return file is not None or bool(item.file_path) or (download and bool(item.media_url))


def _receive_media(item, file, filename, content_type, downloads: _Downloads | None):
    fetched = downloads.take(item) if downloads is not None and file is None else None
    return fetched or _receive(item, file, filename, content_type)


def _ingest_one(
    item, lookups, file, filename, content_type, actor, download, note, downloads=None
) -> Outcome:
    warnings = lookups.warnings(item)
    existing = lookups.assets.get((item.platform, item.platform_id)) if item.platform_id else None
    if existing is not None:
        return _update_existing(
            existing,
            item,
            lookups,
            file,
            filename,
            content_type,
            actor,
            download,
            warnings,
            downloads,
        )
    received = None
    if _wants_media(item, file, download):
        received = _receive_media(item, file, filename, content_type, downloads)
        twin = Asset.objects.filter(content_sha256=received.sha256).only("id").first()
        if twin is not None:
            received.sink.discard()
            return Outcome(
                DUPLICATE, twin.id, reason=f"same file as asset {twin.id}", warnings=warnings
            )
    elif not item.platform_id:
        raise IngestFailed(NO_MEDIA)
    stored_name = _store(received) if received else ""
    try:
        with transaction.atomic():
            asset = _new_asset(item, lookups, _creator(item, lookups))
            if received is not None:
                asset.media_type = _media_type(item, received)
                asset.original.name = stored_name
                asset.original_filename = received.filename
                asset.mime_type = received.mime_type
                asset.byte_size = received.sink.size
                asset.content_sha256 = received.sha256
                asset.source_url = received.source_url or item.media_url
                asset.failure_reason = ""
            asset.save()
            products, lines = _tag_rows(asset, item, lookups)
            ProductTag.objects.bulk_create(products)
            ProductLineTag.objects.bulk_create(lines)
            record(asset, "create", actor=actor, note=note or f"ingested from {item.platform}")
            if received is not None:
                request_processing([asset.id])
    except IntegrityError:
        # Lost a race: someone stored the same bytes or the same post meanwhile.
        if stored_name:
            _originals().delete(stored_name)
        if received is not None:
            twin = Asset.objects.filter(content_sha256=received.sha256).only("id").first()
            if twin is not None:
                return Outcome(
                    DUPLICATE, twin.id, reason=f"same file as asset {twin.id}", warnings=warnings
                )
        if item.platform_id:
            lookups.assets = {
                (a.source_platform, a.platform_id): a
                for a in Asset.objects.filter(
                    source_platform=item.platform, platform_id=item.platform_id
                )
            }
            if lookups.assets:
                return _ingest_one(item, lookups, None, "", "", actor, False, note)
        raise
    except BaseException:
        if stored_name:
            _originals().delete(stored_name)
        raise
    return Outcome(CREATED, asset.id, warnings=warnings, asset=asset)


def _metadata_changes(asset: Asset, item: AssetInput, lookups: _Lookups, creator) -> dict:
    """What the item says that differs from the asset; absent values change nothing."""
    wanted = {
        "caption": item.caption,
        "language": item.language,
        "alt_text": item.alt_text,
        "permalink": item.permalink,
        "posted_at": item.posted_at,
        "content_type": lookups.categories.get(item.content_type),
        "creator": creator,
        # Import tags add to the asset's tags; they never remove a coordinator's.
        "tags": [*asset.tags, *(tag for tag in item.tags if tag not in asset.tags)]
        if item.tags
        else None,
    }
    return {
        name: value
        for name, value in wanted.items()
        if value not in (None, "") and getattr(asset, name) != value
    }


def _update_existing(
    asset, item, lookups, file, filename, content_type, actor, download, warnings, downloads
) -> Outcome:
    changed = False
    creator = _creator(item, lookups)
    have = lookups.tags.get(asset.pk)
    if have is None:
        have = (
            set(asset.product_tags.values_list("product_id", flat=True)),
            set(asset.product_line_tags.values_list("product_line_id", flat=True)),
        )
    fields = _metadata_changes(asset, item, lookups, creator)
    metrics = {**asset.platform_metrics, **item.platform_metrics}
    products, lines = _tag_rows(asset, item, lookups)
    products = [tag for tag in products if tag.product_id not in have[0]]
    lines = [tag for tag in lines if tag.product_line_id not in have[1]]
    # An unchanged post (the common case when an export is imported again) costs
    # no query beyond the batch's lookups.
    if fields or metrics != asset.platform_metrics or products or lines:
        with transaction.atomic():
            if fields:
                changed |= bool(update_metadata(asset, actor=actor, **fields))
            if metrics != asset.platform_metrics:
                asset.platform_metrics = metrics
                asset.save(update_fields=["platform_metrics", "updated_at"])
                changed = True
            if products or lines:
                ProductTag.objects.bulk_create(products, ignore_conflicts=True)
                ProductLineTag.objects.bulk_create(lines, ignore_conflicts=True)
                have[0].update(tag.product_id for tag in products)
                have[1].update(tag.product_line_id for tag in lines)
                changed = True
    if asset.original and file is not None:
        warnings.append("the asset already has its original; this file was not stored")
    if not asset.original and _wants_media(item, file, download):
        # Known post without its original yet (a metadata-only import): fetch it now.
        received = _receive_media(item, file, filename, content_type, downloads)
        twin = Asset.objects.filter(content_sha256=received.sha256).only("id").first()
        if twin is not None:
            received.sink.discard()
            warnings.append(f"its file is the same as asset {twin.id}'s; not attached")
        else:
            stored_name = _store(received)
            attached = {
                "original_filename": received.filename,
                "mime_type": received.mime_type,
                "byte_size": received.sink.size,
                "content_sha256": received.sha256,
                "media_type": _media_type(item, received),
                "source_url": received.source_url or item.media_url,
                # It waited for this (or failed for the want of it): the pipeline runs now.
                "processing_state": ProcessingState.RECEIVED,
                "failure_reason": "",
                "updated_at": timezone.now(),
            }
            try:
                with transaction.atomic():
                    Asset.objects.filter(pk=asset.pk).update(original=stored_name, **attached)
                    record(
                        asset,
                        "attach_original",
                        actor=actor,
                        changes={"original": [None, stored_name]},
                    )
                    request_processing([asset.id])
            except BaseException:
                _originals().delete(stored_name)
                raise
            # The batch may meet this post again: it must see the original now.
            asset.original.name = stored_name
            for name, value in attached.items():
                setattr(asset, name, value)
            changed = True
    return Outcome(UPDATED, asset.id, warnings=warnings, changed=changed)


# -- a batch ----------------------------------------------------------------------------


def ingest_many(
    items: Sequence[AssetInput], *, download: bool = True, actor=None, note: str = ""
) -> list[Outcome]:
    """ingest() for each item, with the metadata-only creations done in bulk.

    Items that bring media (a file, or a URL when downloading) go one by one:
    the transfer dominates. Metadata-only new posts (a platform id, media to
    come later) are created with a few bulk INSERTs for the whole batch.
    """
    outcomes: list[Outcome | None] = [None] * len(items)
    valid: list[int] = []
    for index, item in enumerate(items):
        problems = item.validate()
        if problems:
            outcomes[index] = Outcome(
                FAILED, reason="; ".join(f"{name}: {msg}" for name, msg in problems)
            )
        else:
            valid.append(index)
    lookups = _Lookups([items[i] for i in valid])
    bulk: list[int] = []
    seen: set[tuple[str, str]] = set()
    singles: list[int] = []
    for index in valid:
        item = items[index]
        key = (item.platform, item.platform_id)
        new_metadata_only = (
            item.platform_id
            and key not in lookups.assets
            and key not in seen
            and not _wants_media(item, None, download)
        )
        if new_metadata_only:
            seen.add(key)
            bulk.append(index)
        else:
            singles.append(index)
    if bulk:
        try:
            for index, outcome in zip(
                bulk, _create_bulk([items[i] for i in bulk], lookups, actor, note), strict=True
            ):
                outcomes[index] = outcome
        except DatabaseError:
            # Someone else created some of these meanwhile, or one row cannot be
            # stored: go one by one, so only that row fails.
            logger.warning("bulk insert of %d items failed; one by one instead", len(bulk))
            singles = sorted(singles + bulk)
            lookups = _Lookups([items[i] for i in valid])
    lookups.prefetch([items[i] for i in singles])
    downloads = _Downloads(_to_download([items[i] for i in singles], lookups, download))
    try:
        for index in singles:
            outcomes[index] = _ingest_single(
                items[index], lookups, actor, download, note, downloads
            )
    finally:
        downloads.close()
    _request_indexing(outcomes)
    return outcomes  # type: ignore[return-value]


def _to_download(items: Sequence[AssetInput], lookups: _Lookups, download: bool) -> list:
    """The items whose media the batch fetches from a URL: new posts, and known
    ones still without their original. A post met twice is fetched once."""
    if not download:
        return []
    wanted, seen = [], set()
    for item in items:
        if not item.media_url or item.file_path:
            continue
        if item.platform_id:
            key = (item.platform, item.platform_id)
            known = lookups.assets.get(key)
            if key in seen or (known is not None and known.original):
                continue
            seen.add(key)
        wanted.append(item)
    return wanted


def _ingest_single(item, lookups, actor, download, note, downloads) -> Outcome:
    try:
        outcome = _ingest_one(item, lookups, None, "", "", actor, download, note, downloads)
    except IngestFailed as exc:
        outcome = _failed(exc, lookups.warnings(item))
    except Exception as exc:  # a neighbour's bug must not lose the rest of the batch
        logger.exception("ingesting %s failed", item.platform_id or item.file_path)
        outcome = _not_stored(exc)
    if outcome.asset_id and item.platform_id:
        # A later item of this batch with the same post updates this one.
        key = (item.platform, item.platform_id)
        if key not in lookups.assets:
            asset = outcome.asset or Asset.objects.filter(pk=outcome.asset_id).first()
            if asset is not None:
                lookups.assets[key] = asset
    return outcome


def _bulk_creators(items: Sequence[AssetInput]) -> dict[tuple[str, str], Creator]:
    wanted: dict[tuple[str, str], str] = {}
    for item in items:
        handle = normalise_handle(item.creator_handle)
        if handle:
            key = (item.platform, handle)
            wanted[key] = wanted.get(key) or item.creator_name
    if not wanted:
        return {}

    def load():
        query = Q()
        for platform in {platform for platform, _ in wanted}:
            query |= Q(platform=platform, handle__in=[h for p, h in wanted if p == platform])
        return {(c.platform, c.handle): c for c in Creator.objects.filter(query)}

    creators = load()
    missing = [key for key in wanted if key not in creators]
    if missing:
        Creator.objects.bulk_create(
            [Creator(platform=p, handle=h, display_name=wanted[(p, h)]) for p, h in missing],
            ignore_conflicts=True,
        )
        creators = load()
    for key, name in wanted.items():
        creator = creators[key]
        if name and creator.display_name != name:
            creator.display_name = name
            creator.save(update_fields=["display_name", "updated_at"])
    return creators


def _create_bulk(items, lookups: _Lookups, actor, note: str) -> list[Outcome]:
    with transaction.atomic():
        creators = _bulk_creators(items)
        assets = [
            _new_asset(
                item,
                lookups,
                creators.get((item.platform, normalise_handle(item.creator_handle))),
            )
            for item in items
        ]
        copy_insert(assets, with_ids=True)
        products, lines = [], []
        for asset, item in zip(assets, items, strict=True):
            products += [
                (asset.pk, lookups.products[sku].pk, TagSource.IMPORT)
                for sku in item.product_skus
                if sku in lookups.products
            ]
            lines += [
                (asset.pk, lookups.lines[slug].pk, TagSource.IMPORT)
                for slug in item.product_line_slugs
                if slug in lookups.lines
            ]
        copy_rows(ProductTag, ["asset_id", "product_id", "source"], products)
        copy_rows(ProductLineTag, ["asset_id", "product_line_id", "source"], lines)
        audit_actor = getattr(acting_user(actor), "pk", None)
        copy_rows(
            AuditEntry,
            ["asset_id", "actor_id", "action", "note"],
            (
                (
                    asset.pk,
                    audit_actor,
                    "create",
                    note or f"ingested from {asset.source_platform} (metadata only)",
                )
                for asset in assets
            ),
        )
    for asset in assets:
        lookups.assets[(asset.source_platform, asset.platform_id)] = asset
    return [
        Outcome(CREATED, asset.id, warnings=lookups.warnings(item))
        for asset, item in zip(assets, items, strict=True)
    ]


# -- a resumable import -----------------------------------------------------------------


def import_fingerprint(kind: str, source: str, content_sha256: str = "") -> str:
    return hashlib.sha256(f"{kind}\n{source}\n{content_sha256}".encode()).hexdigest()


def run_import(
    items: Iterable[ParsedItem],
    *,
    kind: str,
    source: str,
    fingerprint: str,
    download: bool = True,
    batch_size: int = 500,
    actor=None,
    progress: Callable[[int, list[tuple[ParsedItem, Outcome]]], None] | None = None,
) -> ImportRun:
    """Import parsed items under an ImportRun; items done by an earlier run are skipped.

    Each batch's outcomes are recorded (ImportItem) as the batch completes, so
    a run killed half-way and started again carries on where it stopped.
    Failed items are tried again by a rerun, and so are items whose asset still
    waits to download its media URL when this run downloads (an earlier run had
    download=False). `progress(advanced, results)` is
    called after each batch (and for skipped items, with no results).
    """
    run, _ = ImportRun.objects.get_or_create(
        fingerprint=fingerprint, defaults={"source": source[:1000], "kind": kind}
    )
    finished = run.items.exclude(outcome=FAILED)
    if download:
        # Metadata-only posts whose media URL a run without downloads left for later.
        finished = finished.exclude(asset__original="", asset__source_url__gt="")
    done = set(finished.values_list("key", flat=True))
    batch: list[ParsedItem] = []
    note = f"{kind} import of {source}"[:500]

    def flush():
        todo = [parsed for parsed in batch if parsed.input is not None]
        outcomes = dict(
            zip(
                (id(p) for p in todo),
                ingest_many([p.input for p in todo], download=download, actor=actor, note=note),
                strict=True,
            )
        )
        results = [
            (
                parsed,
                outcomes.get(id(parsed))
                or Outcome(FAILED, reason=parsed.error, message=parsed.message),
            )
            for parsed in batch
        ]
        _record_items(run, results)
        if progress:
            progress(len(results), results)
        batch.clear()

    skipped = 0
    for parsed in items:
        if parsed.key in done:
            skipped += 1
            if progress and skipped % batch_size == 0:
                progress(batch_size, [])
            continue
        batch.append(parsed)
        if len(batch) >= batch_size:
            flush()
    if progress and skipped % batch_size:
        progress(skipped % batch_size, [])
    if batch:
        flush()
    summary: dict[str, int] = {CREATED: 0, UPDATED: 0, DUPLICATE: 0, FAILED: 0}
    for outcome in run.items.values_list("outcome", flat=True):
        summary[outcome] = summary.get(outcome, 0) + 1
    run.summary = summary
    run.finished_at = timezone.now()
    run.save(update_fields=["summary", "finished_at"])
    return run


def _record_items(run: ImportRun, results: list[tuple[ParsedItem, Outcome]]) -> None:
    rows: dict[str, tuple] = {}
    for parsed, outcome in results:
        key = parsed.key[:500]
        parts = [outcome.message or outcome.reason, *outcome.warnings]
        message = [part for part in parts if part] if outcome.message else None
        # The English as the outcome gave it (a message's may differ: over_limit).
        reason = reasons.english(list(filter(None, [outcome.reason, *outcome.warnings])))
        rows[key] = (run.pk, key, outcome.status, reason, message, outcome.asset_id)
    with transaction.atomic():
        # A retried item replaces its earlier (failed) record.
        ImportItem.objects.filter(run=run, key__in=list(rows)).delete()
        names = ["run_id", "key", "outcome", "reason", "reason_message", "asset_id"]
        copy_rows(ImportItem, names, rows.values())
