"""Uploaded files, the same way from the API and the workspace: streamed to disk
by a handler that stops writing a file once it passes the size cap, then each
file through the ingest service with the metadata sent beside it."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from core import reasons
from core.middleware import UPLOAD_HANDLERS_ATTRIBUTE


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file, like Django's, up to `cap` bytes
    (UGC_MAX_UPLOAD_BYTES unless the page taking the upload sets a smaller one).

    Each file is hashed (sha256) as it arrives. Past the cap the rest of that file
    is read and dropped (not stored), and the file comes out marked `oversize`, so
    the upload answers with a failed item for it while its neighbours in the same
    request go through.
    """

    def __init__(self, request=None, cap: int | None = None):
        super().__init__(request)
        self.cap = cap or settings.UGC_MAX_UPLOAD_BYTES

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_big = False
        self.sha = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            if not self.too_big:
                self.too_big = True
                self.file.truncate(0)
            return None
        # Hashed as it arrives: ingestion then takes the file as it is, unread.
        self.sha.update(raw_data)
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.oversize = self.too_big
        upload.sha256 = "" if self.too_big else self.sha.hexdigest()
        return upload


def use_capped_uploads(request, cap: int | None = None) -> None:
    """Install the handler, unless the body was already parsed (a CSRF check reads it)."""
    django_request = getattr(request, "_request", request)
    # AttributeError: already parsed with Django's handlers, which stream to disk too.
    with contextlib.suppress(AttributeError):
        django_request.upload_handlers = [CappedUploadHandler(django_request, cap)]


def capped_uploads(cap: Callable[[], int] | None = None):
    """A page view (outside /api/) whose files come through the capped handler.

    The first to read such a form body is the middleware refusing NUL characters
    (core.middleware), before the view runs: it installs the handler this marks, so the
    cap holds while receiving and each file arrives hashed. `cap` gives the cap at
    request time (a setting), UGC_MAX_UPLOAD_BYTES without it.
    """

    def install(request) -> None:
        use_capped_uploads(request, cap() if cap else None)

    def mark(view):
        setattr(view, UPLOAD_HANDLERS_ATTRIBUTE, install)
        return view

    return mark


def split_values(values: list[str]) -> list[str]:
    """Repeated fields or one comma-separated field, duplicates dropped."""
    seen: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            if part.strip():
                seen.setdefault(part.strip(), None)
    return list(seen)


def upload_item(data: dict):
    """The AssetInput for validated upload fields (ugc.api.serializers.UploadSerializer)."""
    from ugc.ingest.items import AssetInput

    return AssetInput(
        platform=data.get("platform") or "upload",
        caption=data.get("caption", ""),
        creator_handle=data.get("creator_handle", ""),
        creator_name=data.get("creator_name", ""),
        permalink=data.get("permalink", ""),
        posted_at=data.get("posted_at"),
        platform_id=data.get("platform_id", ""),
        language=data.get("language", ""),
        content_type=data.get("content_type", ""),
        product_skus=split_values(data.get("product_skus", [])),
        product_line_slugs=split_values(data.get("product_lines", [])),
        tags=split_values(data.get("tags", [])),
        alt_text=data.get("alt_text", ""),
    )


class UploadResult(dict):
    """One file's answer, as the API gives it. `message` is its reason as a message to
    show in the reader's language (core/reasons.py): an attribute, so the API's answer
    (the dict) stays as it was."""

    message: dict | None = None


def first_look(upload) -> dict | None:
    """Why the upload is refused from its first bytes and, for a still, its header (the
    pixel count: a decompression bomb), as a message (core/reasons.py); None when it may
    be taken. Nothing is decoded: the pipeline's worker does that."""
    from ugc.media.errors import MediaRejected
    from ugc.media.image import check_header
    from ugc.media.sniff import ACCEPTED, identify

    name, claimed = upload.name or "", getattr(upload, "content_type", "") or ""
    try:
        upload.seek(0)
        found = identify(upload.read(HEAD_BYTES), filename=name, mime_type=claimed)
        if ACCEPTED[found][0] == "image":
            upload.seek(0)
            check_header(upload, found, max_pixels=settings.MEDIA_MAX_IMAGE_PIXELS)
    except MediaRejected as refused:
        return refused.message
    finally:
        upload.seek(0)
    return None


HEAD_BYTES = 4096  # what identify() needs to tell a format


def ingest_uploads(
    files,
    item,
    *,
    actor,
    note: str,
    cap: int | None = None,
    look_first: bool = False,
    created: list | None = None,
) -> list[UploadResult]:
    """Each file through the ingest service; a file over the cap fails alone, and so
    does one refused by its first look when `look_first`. `created`, when given, is
    appended with each asset created, as inserted (for a caller that goes on writing
    about them in the same transaction)."""
    from ugc.services import ingest as ingest_service

    cap = cap or settings.UGC_MAX_UPLOAD_BYTES
    results = []
    for upload in files:
        refused = None
        if getattr(upload, "oversize", False) or upload.size > cap:
            over = ingest_service.over_limit(cap)
            refused = (over.english(), over.stored())
        elif look_first and (message := first_look(upload)):
            refused = (reasons.english(message), message)
        if refused:
            results.append(_refused(upload.name, *refused))
            continue
        outcome = ingest_service.ingest(
            item,
            file=upload,
            filename=upload.name,
            content_type=getattr(upload, "content_type", "") or "",
            actor=actor,
            note=note,
        )
        result = UploadResult(filename=upload.name, **outcome.as_dict())
        result.pop("changed", None)
        result.message = outcome.message
        results.append(result)
        if created is not None and outcome.asset is not None:
            created.append(outcome.asset)
    return results


def _refused(filename: str, english: str, message: dict) -> UploadResult:
    result = UploadResult(
        filename=filename, status="failed", asset_id=None, reason=english, warnings=[]
    )
    result.message = message
    return result
