"""The project's URLs plus /bench/same-bytes: the hot gallery's body, read once
from BENCH_GALLERY_BODY (at the first request, after the bench has written it)
and then returned from memory by the plainest Django view."""

import functools
import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401  (the same error pages)
from config.urls import urlpatterns as project_urls


@functools.cache
def body() -> bytes:
    return Path(os.environ["BENCH_GALLERY_BODY"]).read_bytes()


def same_bytes(request):
    return HttpResponse(body(), content_type="application/json")


urlpatterns = [path("bench/same-bytes", same_bytes), *project_urls]
