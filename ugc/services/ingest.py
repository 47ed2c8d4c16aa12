"""The one way in to the library: uploads, imports and downloads all end here.

`ingest(item, file=...)` takes one `AssetInput` (what a source says about an
asset) and, optionally, its media as a stream; `ingest_many(items)` does the
same for a batch with bulk queries; `run_import(...)` drives a resumable
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg.types.json import Jsonb

from commerce.models import Product, ProductLine
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
    """This item cannot be ingested; str() is the reason given back to the caller."""


@dataclass
class Outcome:
    status: str  # created | updated | duplicate | failed
    asset_id: int | None = None
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    changed: bool = True  # for `updated`: whether anything actually changed

    def as_dict(self) -> dict:
        return asdict(self)


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
            raise IngestFailed(f"file is over the {self.max_bytes:,}-byte limit")
        self.sha.update(chunk)
        return self.file.write(chunk)

    def temporary_file_path(self) -> str:
        # FileSystemStorage moves a file that has a path instead of copying it.
        return self.file.name

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)


@dataclass
class _Received:
    sink: _HashingSink
    filename: str
    mime_type: str
    source_url: str = ""

    @property
    def sha256(self) -> str:
        return self.sink.sha.hexdigest()


def _receive(item: AssetInput, file: BinaryIO | None, filename: str, content_type: str):
    """Stream the media (a given stream, a local file or a URL) to a hashed temp file."""
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
                raise IngestFailed(f"file not found: {item.file_path}")
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    sink.write(chunk)
            received = _Received(sink, path.name, content_type)
        else:
            try:
                fetched = fetch(item.media_url, sink, fetch_policy())
            except FetchError as exc:
                raise IngestFailed(f"media_url: {exc}") from None
            received = _Received(sink, fetched.filename, fetched.content_type, fetched.url)
        sink.file.flush()
        if sink.size == 0:
            raise IngestFailed("the file is empty (0 bytes)")
    except IngestFailed:
        sink.discard()
        raise
    except OSError as exc:
        sink.discard()
        raise IngestFailed(f"could not read the file: {exc}") from None
    if not received.mime_type:
        kind = media_kind(received.filename)
        received.mime_type = kind[1] if kind else ""
    received.mime_type = received.mime_type[:100]
    received.filename = received.filename[:255]
    return received


def _store(received: _Received) -> str:
    """Save the temp file to the private storage under a name made from its hash."""
    sha = received.sha256
    extension = Path(received.filename).suffix.lower()[:10]
    name = f"originals/{sha[:2]}/{sha[2:4]}/{sha}{extension}"
    received.sink.file.close()
    try:
        from django.core.files import File

        with open(received.sink.file.name, "rb") as handle:
            content = File(handle, name=name)
            content.temporary_file_path = received.sink.temporary_file_path
            return _originals().save(name, content)
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

        # Filled by prefetch_for_updates(): what updates of known posts compare against.
        self.creators: dict[tuple[str, str], Creator] = {}
        self.tags: dict[int, tuple[set[int], set[int]]] = {}

    def prefetch_for_updates(self, items: Sequence[AssetInput]) -> None:
        """Creators and current tags of the batch's known posts, in a few queries."""
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
        self.creators = _bulk_creators(known)

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


def _new_asset(item: AssetInput, lookups: _Lookups, creator: Creator | None) -> Asset:
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
    )


def _creator(item: AssetInput) -> Creator | None:
    if not normalise_handle(item.creator_handle):
        return None
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
        return Outcome(FAILED, reason=str(exc), warnings=lookups.warnings(item))
    except Exception as exc:  # never a 500 or a dead import for one bad item
        logger.exception("ingesting %s failed", item.platform_id or filename or item.file_path)
        return Outcome(FAILED, reason=f"could not be stored: {exc}")
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


def _ingest_one(item, lookups, file, filename, content_type, actor, download, note) -> Outcome:
    warnings = lookups.warnings(item)
    existing = lookups.assets.get((item.platform, item.platform_id)) if item.platform_id else None
    if existing is not None:
        return _update_existing(
            existing, item, lookups, file, filename, content_type, actor, download, warnings
        )
    received = None
    if _wants_media(item, file, download):
        received = _receive(item, file, filename, content_type)
        twin = Asset.objects.filter(content_sha256=received.sha256).only("id").first()
        if twin is not None:
            received.sink.discard()
            return Outcome(
                DUPLICATE, twin.id, reason=f"same file as asset {twin.id}", warnings=warnings
            )
    elif not item.platform_id:
        raise IngestFailed("no media: give a file or a URL (or a platform id for metadata only)")
    stored_name = _store(received) if received else ""
    try:
        with transaction.atomic():
            asset = _new_asset(item, lookups, _creator(item))
            if received is not None:
                asset.media_type = _media_type(item, received)
                asset.original.name = stored_name
                asset.original_filename = received.filename
                asset.mime_type = received.mime_type
                asset.byte_size = received.sink.size
                asset.content_sha256 = received.sha256
                asset.source_url = received.source_url or item.media_url
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
    return Outcome(CREATED, asset.id, warnings=warnings)


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
    asset, item, lookups, file, filename, content_type, actor, download, warnings
) -> Outcome:
    changed = False
    handle = normalise_handle(item.creator_handle)
    if handle and (item.platform, handle) in lookups.creators:
        creator = lookups.creators[(item.platform, handle)]
    else:
        creator = _creator(item) if handle else None
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
        received = _receive(item, file, filename, content_type)
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
    lookups.prefetch_for_updates([items[i] for i in singles])
    for index in singles:
        item = items[index]
        try:
            outcomes[index] = _ingest_one(item, lookups, None, "", "", actor, download, note)
        except IngestFailed as exc:
            outcomes[index] = Outcome(FAILED, reason=str(exc), warnings=lookups.warnings(item))
        except Exception as exc:  # a neighbour's bug must not lose the rest of the batch
            logger.exception("ingesting %s failed", item.platform_id or item.file_path)
            outcomes[index] = Outcome(FAILED, reason=f"could not be stored: {exc}")
        if outcomes[index].asset_id and item.platform_id:
            # A later item of this batch with the same post updates this one.
            key = (item.platform, item.platform_id)
            if key not in lookups.assets:
                asset = Asset.objects.filter(pk=outcomes[index].asset_id).first()
                if asset is not None:
                    lookups.assets[key] = asset
    _request_indexing(outcomes)
    return outcomes  # type: ignore[return-value]


def _copy_value(field, obj, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(obj, field.attname, now)
        return now
    value = getattr(obj, field.attname)
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return Jsonb(value)
    if isinstance(field, models.FileField):
        return value.name or ""
    return value


def copy_insert(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """INSERT model instances with one COPY: no per-row SQL to build or parse.

    bulk_create spends most of a large import compiling and splitting one huge
    INSERT; COPY streams the rows. With `with_ids`, primary keys are drawn from
    the table's sequence first and set on the instances, as bulk_create would.
    A unique violation raises IntegrityError like an INSERT.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [
        f
        for f in meta.concrete_fields
        if not (f.primary_key and not with_ids) and not getattr(f, "generated", False)
    ]
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    now = timezone.now()
    with connection.cursor() as cursor:
        if with_ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
        try:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for obj in objs:
                    copy.write_row([_copy_value(f, obj, now) for f in fields])
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def copy_rows(model: type[models.Model], names: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY plain tuples of values for the columns `names` (attnames, e.g. "asset_id").

    Cheaper than instances for rows nobody reads back (tags, audit entries,
    import items). Every other column gets its model default, computed once.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    given = [by_attname[name] for name in names]
    now = timezone.now()
    rest = [
        f
        for f in meta.concrete_fields
        if f.attname not in names and not f.primary_key and not getattr(f, "generated", False)
    ]
    defaults = []
    for f in rest:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults.append(now)
        else:
            value = f.get_default()
            defaults.append(Jsonb(value) if isinstance(f, models.JSONField) else value)
    json_at = [i for i, f in enumerate(given) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [*given, *rest])
    with connection.cursor() as cursor:
        try:
            with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = None if row[i] is None else Jsonb(row[i])
                    copy.write_row([*row, *defaults])
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        except psycopg.Error as exc:
            raise DatabaseError(str(exc)) from exc


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
    Failed items are tried again by a rerun. `progress(advanced, results)` is
    called after each batch (and for skipped items, with no results).
    """
    run, _ = ImportRun.objects.get_or_create(
        fingerprint=fingerprint, defaults={"source": source[:1000], "kind": kind}
    )
    done = set(run.items.exclude(outcome=FAILED).values_list("key", flat=True))
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
            (parsed, outcomes.get(id(parsed)) or Outcome(FAILED, reason=parsed.error))
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
        reason = "; ".join(filter(None, [outcome.reason, *outcome.warnings]))
        rows[key] = (run.pk, key, outcome.status, reason, outcome.asset_id)
    with transaction.atomic():
        # A retried item replaces its earlier (failed) record.
        ImportItem.objects.filter(run=run, key__in=list(rows)).delete()
        copy_rows(ImportItem, ["run_id", "key", "outcome", "reason", "asset_id"], rows.values())
