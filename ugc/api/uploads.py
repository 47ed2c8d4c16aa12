"""An upload handler that stops writing a file to disk once it passes the size cap."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file, like Django's, up to UGC_MAX_UPLOAD_BYTES.

    Past the cap the rest of that file is read and dropped (not stored), and the
    file comes out marked `oversize`, so the upload answers with a failed item
    for it while its neighbours in the same request go through.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_big = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.UGC_MAX_UPLOAD_BYTES:
            if not self.too_big:
                self.too_big = True
                self.file.truncate(0)
            return None
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size):
        upload = super().file_complete(file_size)
        upload.oversize = self.too_big
        return upload


def use_capped_uploads(request) -> None:
    """Install the handler, unless the body was already parsed (a CSRF check reads it)."""
    django_request = getattr(request, "_request", request)
    # AttributeError: already parsed with Django's handlers, which stream to disk too.
    with contextlib.suppress(AttributeError):
        django_request.upload_handlers = [CappedUploadHandler(django_request)]
