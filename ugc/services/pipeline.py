"""The media pipeline: from a `received` asset to `in_review` (or `failed`, with a reason).

Ingestion calls `request_processing`; coordinators (API action, `manage.py
reprocess`) call `reprocess`. The worker runs `process`, which is safe to run
twice, or to die half-way and run again (DESIGN.md §4.4):

- only one run per asset at a time (a PostgreSQL advisory lock; a second
  delivery waits and retries);
- each step commits its results together with its name and time in
  `asset.steps_done`, and a rerun skips what is recorded there;
- renditions have fixed storage names and one row per (asset, kind, format,
  width), so redoing a step overwrites instead of adding.

Image steps: validated → renditions → measures → duplicates.
Video steps: validated → renditions (the poster frame's stills) → video (MP4)
→ measures → duplicates. The pixels are decoded once per run and reused by
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
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils import timezone

from ugc.media import MediaRejected
from ugc.media import measures as media_measures
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
from ugc.services.duplicates import find_near_duplicate

logger = logging.getLogger(__name__)

IMAGE_STEPS = ("validated", "renditions", "measures", "duplicates")
VIDEO_STEPS = ("validated", "renditions", "video", "measures", "duplicates")
LOCK_NAMESPACE = 0x55474301  # "UGC\x01": the advisory-lock class of pipeline runs


class AssetBusy(Exception):
    """Another worker is processing this asset right now; try again later."""


# -- scheduling ------------------------------------------------------------------------


def request_processing(asset_ids: Iterable[int]) -> None:
    """Queue the pipeline for these assets once the current transaction commits.

    A broker that is down neither fails the request nor loses the asset: the row is
    committed `received`, the error is logged, and requeue_stalled() sends it later.
    (delay_on_commit raised after the commit: a 500 for a stored asset, never processed.)
    """
    for asset_id in asset_ids:
        # A lambda, not functools.partial: robust on_commit logs the callback's __qualname__.
        transaction.on_commit(lambda asset_id=asset_id: _enqueue(asset_id), robust=True)


def _enqueue(asset_id: int) -> None:
    from ugc.tasks import process_asset

    process_asset.delay(asset_id)


def requeue_stalled(*, older_than: timedelta) -> list[int]:
    """Send the pipeline again for assets still `received` after older_than: their
    first message never reached the broker. Running the pipeline twice is safe."""
    cutoff = timezone.now() - older_than
    stalled = list(
        Asset.objects.filter(processing_state=ProcessingState.RECEIVED, updated_at__lt=cutoff)
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
        try:
            steps = _Run(asset).run()
        except MediaRejected as exc:
            _fail(asset, exc.reason)
            return "failed"
        except Exception as exc:
            from celery.exceptions import SoftTimeLimitExceeded

            from config.celery import transient_errors

            if isinstance(exc, transient_errors()):
                raise
            if isinstance(exc, SoftTimeLimitExceeded):
                reason = "Processing took longer than the media queue's time limit."
            elif isinstance(exc, MemoryError):
                reason = "The file needs more memory to process than a worker has."
            else:
                logger.exception("media pipeline failed on asset %s", asset_id)
                reason = (
                    f"Processing failed unexpectedly ({type(exc).__name__}); "
                    "the details are in the worker's log."
                )
            _fail(asset, reason)
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
            )
        # Obvious cases (blocked words or creators, low quality, duplicates) go
        # straight to rejection now that quality and duplicates are known.
        from ugc.services.moderation import apply_auto_rules

        apply_auto_rules(asset)
        from ugc.services.search_index import request_picture_indexing

        request_picture_indexing(asset.pk)
        return "done"


def _fail(asset: Asset, reason: str) -> None:
    """Mark the asset failed; a failed asset keeps no renditions."""
    asset.refresh_from_db()
    _delete_renditions(asset.renditions.all())
    if asset.processing_state != ProcessingState.FAILED:
        transition(
            asset, "processing_state", ProcessingState.FAILED, note=reason, failure_reason=reason
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
        self._video_path: Path | None = None
        self._video_info: media_video.VideoInfo | None = None
        self._stack = contextlib.ExitStack()

    # -- inputs, read lazily ---------------------------------------------------------

    def _open_original(self):
        if not self.asset.original:
            raise MediaRejected("The asset has no original file.", code="missing")
        try:
            return self.asset.original.open("rb")
        except (FileNotFoundError, OSError) as exc:
            raise MediaRejected(
                "The original file is missing from storage.", code="missing"
            ) from exc

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
                    f"The image file is over the limit of {cap / 2**20:.0f} MB.",
                    code="too_large",
                )
            self._data = data
        return self._data

    def video_path(self) -> Path:
        if self._video_path is None:
            size = self.asset.original.size
            cap = settings.MEDIA_MAX_VIDEO_BYTES
            if size > cap:
                raise MediaRejected(
                    f"The video is {size / 2**20:.0f} MB; the limit is {cap / 2**20:.0f} MB.",
                    code="too_large",
                )
            try:
                self._video_path = Path(self.asset.original.path)
            except (NotImplementedError, AttributeError):
                # Remote storage: ffmpeg needs a local file.
                tmp = self._stack.enter_context(tempfile.NamedTemporaryFile(suffix=".video"))  # noqa: SIM115
                with self._open_original() as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        tmp.write(chunk)
                tmp.flush()
                self._video_path = Path(tmp.name)
        return self._video_path

    def video_info(self) -> media_video.VideoInfo:
        if self._video_info is None:
            self._video_info = media_video.probe(
                self.video_path(),
                container=self.sniffed().format,
                ffprobe=settings.FFPROBE_BINARY,
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
                    ffmpeg=settings.FFMPEG_BINARY,
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
        with self._stack:
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
        made = []
        for rendition in make_renditions(picture, self.rs):
            made.append(
                _store_rendition(
                    self.asset,
                    RenditionKind.IMAGE,
                    rendition.format,
                    rendition.width,
                    rendition.height,
                    ContentFile(rendition.data),
                )
            )
        with transaction.atomic():
            stale = self.asset.renditions.filter(kind=RenditionKind.IMAGE).exclude(
                pk__in=[r.pk for r in made]
            )
            _delete_renditions(stale)
            self._done("renditions")

    def step_video(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "web.mp4"
            media_video.web_mp4(
                self.video_path(),
                out,
                container=self.sniffed().format,
                ffmpeg=settings.FFMPEG_BINARY,
            )
            info = media_video.probe(
                out,
                ffprobe=settings.FFPROBE_BINARY,
                max_duration=float("inf"),
                max_pixels=1 << 62,
            )
            with out.open("rb") as f:
                rendition = _store_rendition(
                    self.asset, RenditionKind.VIDEO, "mp4", info.width, info.height, File(f)
                )
        with transaction.atomic():
            _delete_renditions(
                self.asset.renditions.filter(kind=RenditionKind.VIDEO).exclude(pk=rendition.pk)
            )
            self._done("video")

    def step_measures(self) -> None:
        self._done("measures", **media_measures.measure_picture(self.picture()))

    def step_duplicates(self) -> None:
        asset = self.asset
        original = find_near_duplicate(asset)
        with transaction.atomic():
            if original is not None and asset.duplicate_of_id != original:
                record(
                    asset,
                    "near_duplicate",
                    changes={"duplicate_of": [asset.duplicate_of_id, original]},
                    note="perceptual hash within "
                    f"{settings.MEDIA_NEAR_DUPLICATE_DISTANCE} bits of an older asset",
                )
            self._done("duplicates", duplicate_of_id=original)


# -- rendition files -------------------------------------------------------------------


def rendition_name(asset: Asset, kind: str, fmt: str, width: int) -> str:
    """A fixed storage name per rendition that says nothing of the original's name.

    Keyed (HMAC with the secret key) on the asset id, so names cannot be guessed
    by counting ids, and the same for every rerun, so a rerun overwrites.
    """
    token = hmac.new(
        settings.SECRET_KEY.encode(), f"asset:{asset.pk}".encode(), hashlib.sha256
    ).hexdigest()[:24]
    ext = "jpg" if fmt == "jpeg" else fmt
    return f"renditions/{token[:2]}/{token}/{kind}-{width}.{ext}"


def _rendition_storage():
    return Rendition._meta.get_field("file").storage


def _store_rendition(asset, kind, fmt, width, height, content) -> Rendition:
    storage = _rendition_storage()
    name = rendition_name(asset, kind, fmt, width)
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, content)
    rendition, _ = Rendition.objects.update_or_create(
        asset=asset,
        kind=kind,
        format=fmt,
        width=width,
        defaults={"height": height, "byte_size": storage.size(saved), "file": saved},
    )
    return rendition


def _delete_renditions(queryset) -> None:
    storage = _rendition_storage()
    for rendition in list(queryset):
        if rendition.file.name:
            with contextlib.suppress(OSError):
                storage.delete(rendition.file.name)
        rendition.delete()
