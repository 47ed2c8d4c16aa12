"""The media pipeline: from a `received` asset to `in_review` (or `failed`, with a reason).

Ingestion calls `request_processing`; coordinators (API action, `manage.py
reprocess`) call `reprocess`. The worker runs `process`, which is safe to run
twice, or to die half-way and run again (docs/architecture.md, rule 4):

- only one run per asset at a time (a PostgreSQL advisory lock; a second
  delivery waits and retries);
- each step commits its results together with its name and time in
  `asset.steps_done`, and a rerun skips what is recorded there;
- renditions have fixed storage names and one row per (asset, kind, format,
  width), so redoing a step overwrites instead of adding.

Image steps: validated → renditions → safety → measures → duplicates.
Video steps: validated → renditions (the poster frame's stills) → safety → video
(MP4) → measures → duplicates. The pixels are decoded once per run and reused by
every step that needs them (ugc/media/image.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from core import reasons
from core.effects import enqueue_after_commit
from core.storage import StoreRefused, is_missing, local_copy, store_errors
from ugc.media import MediaRejected
from ugc.media import measures as media_measures
from ugc.media import safety as media_safety
from ugc.media import video as media_video
from ugc.media.image import (
    Picture,
    RenditionSettings,
    make_renditions,
    open_picture,
    picture_from_image,
)
from ugc.media.sniff import ACCEPTED, Sniffed, detect, sniff
from ugc.models import Asset, MediaType, ProcessingState, Rendition, RenditionKind
from ugc.services.assets import record, transition
from ugc.services.duplicates import link_near_duplicates

logger = logging.getLogger(__name__)

IMAGE_STEPS = ("validated", "renditions", "safety", "measures", "duplicates")
VIDEO_STEPS = ("validated", "renditions", "safety", "video", "measures", "duplicates")
SAFETY_MIN_WIDTH = 320  # the detectors' input sizes are 224 and 320 px
LOCK_NAMESPACE = 0x55474301  # "UGC\x01": the advisory-lock class of pipeline runs


class AssetBusy(Exception):
    """Another worker is processing this asset right now; try again later."""


# -- scheduling ------------------------------------------------------------------------


def request_processing(asset_ids: Iterable[int]) -> None:
    """Queue the pipeline for these assets once the current transaction commits.

    A broker that is down neither fails the request nor loses the asset: the row is
    committed `received`, the error is logged, and requeue_stalled() sends it later.
    """
    from ugc.tasks import process_asset

    for asset_id in asset_ids:
        enqueue_after_commit(process_asset, asset_id)


def _enqueue(asset_id: int) -> None:
    from ugc.tasks import process_asset

    process_asset.delay(asset_id)


def requeue_stalled(*, older_than: timedelta) -> list[int]:
    """Send the pipeline again for assets still `received` after older_than: their
    first message never reached the broker. Running the pipeline twice is safe."""
    cutoff = timezone.now() - older_than
    stalled = list(
        Asset.objects.filter(processing_state=ProcessingState.RECEIVED, updated_at__lt=cutoff)
        .exclude(original="")  # metadata only: waits for its media, with a reason
        .order_by("pk")
        .values_list("pk", flat=True)[:10_000]
    )
    for asset_id in stalled:
        _enqueue(asset_id)
    # Their indexing message was sent in the same request, so it was lost with them.
    from ugc.services.search_index import request_indexing

    request_indexing(stalled)
    return stalled


def reprocess(asset_ids: Iterable[int], *, actor=None) -> int:
    """Run the whole pipeline again for these assets (all steps), whatever their state.

    Returns how many assets were queued; unknown ids are ignored.
    """
    queued = []
    with transaction.atomic():
        for asset in Asset.objects.filter(pk__in=list(asset_ids)).order_by("pk"):
            transition(
                asset,
                "processing_state",
                ProcessingState.PROCESSING,
                actor=actor,
                note="reprocess requested",
                steps_done={},
                failure_reason="",
                failure_reason_message=None,
            )
            queued.append(asset.pk)
        request_processing(queued)
    return len(queued)


# -- the run -------------------------------------------------------------------------------


def rendition_settings() -> RenditionSettings:
    return RenditionSettings(
        widths=tuple(settings.MEDIA_RENDITION_WIDTHS),
        formats=tuple(settings.MEDIA_RENDITION_FORMATS),
        avif_widths=tuple(settings.MEDIA_AVIF_WIDTHS),
        jpeg_quality=settings.MEDIA_JPEG_QUALITY,
        webp_quality=settings.MEDIA_WEBP_QUALITY,
        webp_method=settings.MEDIA_WEBP_METHOD,
        avif_quality=settings.MEDIA_AVIF_QUALITY,
        avif_speed=settings.MEDIA_AVIF_SPEED,
    )


@contextlib.contextmanager
def _run_lock(asset_id: int) -> Iterator[bool]:
    """A session advisory lock per asset; released on exit, or when a killed worker's
    connection closes."""
    key = (LOCK_NAMESPACE & 0x7FFFFFFF, asset_id % 0x7FFFFFFF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def process(asset_id: int) -> str:
    """Run the pipeline's remaining steps for one asset.

    Returns "done", "failed", "skipped" (not waiting for processing),
    "superseded" (a reprocess restarted it meanwhile) or "missing". Raises
    AssetBusy when another run holds the asset, and lets transient database
    errors through so the task retries.
    """
    with _run_lock(asset_id) as got:
        if not got:
            raise AssetBusy(f"asset {asset_id} is being processed by another worker")
        asset = Asset.objects.filter(pk=asset_id).first()
        if asset is None:
            return "missing"
        if asset.processing_state not in (ProcessingState.RECEIVED, ProcessingState.PROCESSING):
            return "skipped"
        if asset.processing_state == ProcessingState.RECEIVED:
            transition(asset, "processing_state", ProcessingState.PROCESSING, note="pipeline")
        run = _Run(asset)
        try:
            steps = run.run()
        except MediaRejected as exc:
            _fail(asset, exc.message)
            return "failed"
        except media_safety.SafetyModelUnavailable as exc:
            why = gettext_noop("%(error)s Fix BRAND_SAFETY_MODEL, then reprocess.")
            _fail(asset, reasons.stored(why, {"error": str(exc)}))
        except StoreRefused as exc:
            why = gettext_noop("The media store refused the work: %(error)s.")
            _fail(asset, reasons.stored(why, {"error": str(exc)}))
            return "failed"
        except Exception as exc:
            from celery.exceptions import SoftTimeLimitExceeded

            from core.tasks import transient_errors

            if isinstance(exc, transient_errors()):
                raise
            if isinstance(exc, SoftTimeLimitExceeded):
                why = gettext_noop("Processing took longer than the media queue's time limit.")
            elif isinstance(exc, MemoryError):
                why = gettext_noop("The file needs more memory to process than a worker has.")
            else:
                logger.exception("media pipeline failed on asset %s", asset_id)
                why = gettext_noop(
                    "Processing failed unexpectedly (%(error)s); "
                    "the details are in the worker's log."
                )
            _fail(asset, reasons.stored(why, {"error": type(exc).__name__}))
            return "failed"
        with transaction.atomic():
            current = Asset.objects.select_for_update().get(pk=asset_id)
            if not set(steps) <= set(current.steps_done or {}):
                # A reprocess cleared the steps while we ran; its queued task (waiting
                # for our lock) redoes them and moves the asset on.
                return "superseded"
            transition(
                asset,
                "processing_state",
                ProcessingState.IN_REVIEW,
                note="pipeline done",
                processed_at=timezone.now(),
                failure_reason="",
                failure_reason_message=None,
            )
        # Obvious cases (blocked words or creators, low quality, duplicates) go
        # straight to rejection now that quality and duplicates are known.
        from ugc.services.moderation import apply_auto_rules

        apply_auto_rules(asset)
        # Newer copies that finished first, linked to this one only now.
        relinked = Asset.objects.filter(
            pk__in=run.relinked, processing_state=ProcessingState.IN_REVIEW
        )
        for later in relinked:
            apply_auto_rules(later)
        from ugc.services.search_index import request_picture_indexing

        request_picture_indexing(asset.pk)
        return "done"


def _fail(asset: Asset, message: dict) -> None:
    """Mark the asset failed, with its reason in English and as a message to
    translate (core/reasons.py); a failed asset keeps no renditions."""
    reason = reasons.english(message)
    asset.refresh_from_db()
    _delete_renditions(asset.renditions.all())
    if asset.processing_state != ProcessingState.FAILED:
        transition(
            asset,
            "processing_state",
            ProcessingState.FAILED,
            note=reason,
            failure_reason=reason,
            failure_reason_message=message,
        )


class _Run:
    """One pass over an asset's remaining steps; decodes lazily, at most once."""

    def __init__(self, asset: Asset):
        self.asset = asset
        self.rs = rendition_settings()
        self.target_width = max(self.rs.widths)
        self._picture: Picture | None = None
        self._sniffed: Sniffed | None = None
        self._data: bytes | None = None
        self._original_path: Path | None = None
        self._video_info: media_video.VideoInfo | None = None
        self._stack = contextlib.ExitStack()
        self.relinked: list[int] = []  # newer near-duplicates this run linked to the asset

    # -- inputs, read lazily ---------------------------------------------------------

    def _open_original(self):
        return self.original_path().open("rb")

    def original_path(self) -> Path:
        """The original as a local file (decoders and the demuxer read files): on an
        object store, one streamed copy per run, deleted when the run ends."""
        if self._original_path is None:
            if not self.asset.original:
                raise MediaRejected(gettext_noop("The asset has no original file."), code="missing")
            original = self.asset.original
            try:
                self._original_path = self._stack.enter_context(
                    local_copy(original.storage, original.name)
                )
            except Exception as exc:
                if is_missing(exc):
                    raise MediaRejected(
                        gettext_noop("The original file is missing from storage."), code="missing"
                    ) from exc
                raise
        return self._original_path

    def sniffed(self) -> Sniffed:
        if self._sniffed is None:
            with self._open_original() as f:
                head = f.read(4096)
            found = detect(head)
            if found in ACCEPTED and ACCEPTED[found][0] == "video":
                self._sniffed = sniff(
                    head, filename=self.asset.original_filename, mime_type=self.asset.mime_type
                )
            else:
                self._sniffed = sniff(
                    self.data(),
                    filename=self.asset.original_filename,
                    mime_type=self.asset.mime_type,
                )
        return self._sniffed

    def data(self) -> bytes:
        if self._data is None:
            cap = settings.MEDIA_MAX_IMAGE_BYTES
            with self._open_original() as f:
                data = f.read(cap + 1)
            if len(data) > cap:
                raise MediaRejected(
                    gettext_noop("The image file is over the limit of %(limit)s MB."),
                    code="too_large",
                    limit=round(cap / 2**20),
                )
            self._data = data
        return self._data

    def video_path(self) -> Path:
        path = self.original_path()
        size = path.stat().st_size
        cap = settings.MEDIA_MAX_VIDEO_BYTES
        if size > cap:
            raise MediaRejected(
                gettext_noop("The video is %(size)s MB; the limit is %(limit)s MB."),
                code="too_large",
                size=round(size / 2**20),
                limit=round(cap / 2**20),
            )
        return path

    def video_info(self) -> media_video.VideoInfo:
        if self._video_info is None:
            self._video_info = media_video.probe(
                self.video_path(),
                container=self.sniffed().format,
                max_duration=settings.MEDIA_MAX_VIDEO_SECONDS,
                max_pixels=settings.MEDIA_MAX_VIDEO_PIXELS,
            )
        return self._video_info

    def picture(self) -> Picture:
        if self._picture is None:
            sniffed = self.sniffed()
            if sniffed.kind == "video":
                frame = media_video.poster_frame(
                    self.video_path(),
                    self.video_info(),
                    container=sniffed.format,
                )
                self._picture = picture_from_image(frame, target_width=self.target_width)
            else:
                self._picture = open_picture(
                    self.data(),
                    sniffed,
                    max_pixels=settings.MEDIA_MAX_IMAGE_PIXELS,
                    target_width=self.target_width,
                    resample=self.rs.resample,
                )
        return self._picture

    # -- steps --------------------------------------------------------------------------

    def run(self) -> tuple[str, ...]:
        """Run the missing steps; returns every step this kind of asset needs."""
        with self._stack, store_errors(f"process asset {self.asset.pk}'s media"):
            kind = self.sniffed().kind
            steps = VIDEO_STEPS if kind == "video" else IMAGE_STEPS
            for step in steps:
                if step in (self.asset.steps_done or {}):
                    continue
                getattr(self, f"step_{step}")()
            return steps

    def _done(self, step: str, **fields) -> None:
        """Commit a step's fields and its record together.

        The record is merged into the row's current `steps_done` (not written from
        our copy), so a reprocess that cleared it meanwhile stays visible.
        """
        asset = self.asset
        for name, value in fields.items():
            setattr(asset, name, value)
        stamp = json.dumps({step: timezone.now().isoformat()})
        with transaction.atomic():
            if fields:
                asset.save(update_fields=[*fields, "updated_at"])
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Asset._meta.db_table} SET steps_done = steps_done || %s::jsonb "  # noqa: S608
                    "WHERE id = %s RETURNING steps_done",
                    [stamp, asset.pk],
                )
                done = cursor.fetchone()[0]
        asset.steps_done = json.loads(done) if isinstance(done, str) else done

    def step_validated(self) -> None:
        sniffed = self.sniffed()
        if sniffed.kind == "video":
            info = self.video_info()
            self._done(
                "validated",
                media_type=MediaType.VIDEO,
                mime_type=sniffed.mime_type,
                width=info.width,
                height=info.height,
                duration_seconds=info.duration,
                media_info={"format": sniffed.format, **info.as_dict()},
            )
        else:
            picture = self.picture()
            self._done(
                "validated",
                media_type=MediaType.IMAGE,
                mime_type=sniffed.mime_type,
                width=picture.width,
                height=picture.height,
                media_info=picture.info,
            )

    def step_renditions(self) -> None:
        picture = self.picture()
        stored = _stored_names(self.asset, RenditionKind.IMAGE)
        with _written_first() as written:
            for rendition in make_renditions(picture, self.rs):
                content = ContentFile(rendition.data)
                written.append(
                    _write_rendition(
                        self.asset,
                        RenditionKind.IMAGE,
                        rendition.format,
                        rendition.width,
                        rendition.height,
                        content,
                        stored,
                    )
                )
            with transaction.atomic():
                replaced = _record_renditions(self.asset, RenditionKind.IMAGE, written)
                self._done("renditions")
        _delete_files(replaced)

    def step_video(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "web.mp4"
            media_video.web_mp4(
                self.video_path(),
                out,
                self.video_info(),
                container=self.sniffed().format,
            )
            info = media_video.probe(
                out,
                max_duration=float("inf"),
                max_pixels=1 << 62,
            )
            stored = _stored_names(self.asset, RenditionKind.VIDEO)
            with _written_first() as written, out.open("rb") as f:
                written.append(
                    _write_rendition(
                        self.asset,
                        RenditionKind.VIDEO,
                        "mp4",
                        info.width,
                        info.height,
                        File(f),
                        stored,
                    )
                )
                with transaction.atomic():
                    replaced = _record_renditions(self.asset, RenditionKind.VIDEO, written)
                    self._done("video")
        _delete_files(replaced)

    def step_safety(self) -> None:
        """Screen the smallest rendition the detector can use (upright, already
        resized) with the brand-safety model; the auto-rules judge the scores."""
        found = {}
        if settings.BRAND_SAFETY_MODEL:
            detector = media_safety.detector(settings.BRAND_SAFETY_MODEL)
            width = min((w for w in self.rs.widths if w >= SAFETY_MIN_WIDTH), default=None)
            still = self.picture().at_width(width or self.target_width)
            found = detector.detect(still).as_dict()
        self._done("safety", safety=found)

    def step_measures(self) -> None:
        self._done("measures", **media_measures.measure_picture(self.picture()))

    def step_duplicates(self) -> None:
        asset = self.asset
        note = f"perceptual hash within {settings.MEDIA_NEAR_DUPLICATE_DISTANCE} bits of "
        with transaction.atomic():
            original, newer = link_near_duplicates(asset)
            if original is not None and asset.duplicate_of_id != original:
                changes = {"duplicate_of": [asset.duplicate_of_id, original]}
                record(asset, "near_duplicate", changes=changes, note=note + "an older asset")
            for later, previous in newer.items():
                changes = {"duplicate_of": [previous, asset.pk]}
                note_later = note + "an older asset processed at the same time"
                record(Asset(pk=later), "near_duplicate", changes=changes, note=note_later)
            self._done("duplicates", duplicate_of_id=original)
        self.relinked = list(newer)


# -- rendition files -------------------------------------------------------------------


def rendition_folder(asset: Asset) -> str:
    """The asset's folder of renditions, named so that it says nothing of the original.

    Keyed (HMAC with the secret key) on the asset id, so names cannot be guessed
    by counting ids.
    """
    token = hmac.new(
        settings.SECRET_KEY.encode(), f"asset:{asset.pk}".encode(), hashlib.sha256
    ).hexdigest()[:24]
    return f"renditions/{token[:2]}/{token}"


def rendition_name(asset: Asset, kind: str, fmt: str, width: int, digest: str) -> str:
    """A rendition's storage name, with a hash of its content: a changed rendition gets
    a new name, so what caches keep forever (Cache-Control: immutable) is never stale,
    and a rerun that makes the same bytes writes nothing."""
    ext = "jpg" if fmt == "jpeg" else fmt
    return f"{rendition_folder(asset)}/{kind}-{width}-{digest[:16]}.{ext}"


def _rendition_storage():
    return Rendition._meta.get_field("file").storage


@dataclass
class _Written:
    format: str
    width: int
    height: int
    name: str
    size: int
    new: bool  # written by this run (so removed again if the run fails before its rows)


def _stored_names(asset: Asset, kind: str) -> set[str]:
    """The files the asset's renditions of this kind name now."""
    return set(asset.renditions.filter(kind=kind).values_list("file", flat=True))


def _write_rendition(asset, kind, fmt, width, height, content, stored: set[str]) -> _Written:
    """Write a rendition's file (no row yet).

    The name holds the content's hash, so a name no row holds yet is written without
    asking the store whether it exists (a request per file on an object store); a name
    a row holds already is there with these bytes, unless it was lost meanwhile."""
    digest = hashlib.sha256()
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    storage = _rendition_storage()
    name = rendition_name(asset, kind, fmt, width, digest.hexdigest())
    new = name not in stored or not storage.exists(name)
    if new:
        name = storage.save(name, content)
    return _Written(fmt, width, height, name, content.size, new)


@contextlib.contextmanager
def _written_first():
    """Files first, rows after: the rows (what galleries publish) are committed only
    once every file of the step is in storage. A step that fails half-way removes the
    files it wrote, and its rows were never written."""
    written: list[_Written] = []
    try:
        yield written
    except BaseException:
        _delete_files([w.name for w in written if w.new])
        raise


def _record_renditions(asset, kind, written: list[_Written]) -> list[str]:
    """Upsert the step's rows and drop the kind's others (in the caller's transaction);
    returns the files no row names any more, to delete once that commits."""
    before = dict(asset.renditions.filter(kind=kind).values_list("pk", "file"))
    kept = []
    for w in written:
        rendition, _ = Rendition.objects.update_or_create(
            asset=asset,
            kind=kind,
            format=w.format,
            width=w.width,
            defaults={"height": w.height, "byte_size": w.size, "file": w.name},
        )
        kept.append(rendition.pk)
    asset.renditions.filter(kind=kind).exclude(pk__in=kept).delete()
    names = {w.name for w in written}
    return [name for name in before.values() if name and name not in names]


def _delete_files(names: Iterable[str]) -> None:
    """Best effort: a file left behind by a store that is down is unreferenced."""
    storage = _rendition_storage()
    for name in names:
        try:
            with store_errors(f"delete {name}"):
                storage.delete(name)
        except (OSError, StoreRefused) as exc:
            logger.warning("rendition file %s not deleted: %s", name, exc)


def _delete_renditions(queryset) -> None:
    renditions = list(queryset)
    for rendition in renditions:
        rendition.delete()
    _delete_files(r.file.name for r in renditions if r.file.name)
