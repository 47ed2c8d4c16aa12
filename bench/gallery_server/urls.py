"""The project's URLs plus the gallery benchmark's two ceilings, each returning the hot
gallery's body (read once from BENCH_GALLERY_BODY, at the first request, after the
bench has written it) from memory with the plainest Django view:

- /bench/same-bytes: nothing else (the goal's "minimal Django view").
- /bench/same-bytes-checked: one cache round trip first, a GET through Django's cache
  API of a key of a few bytes: the least any server-side cache that must notice an
  invalidation at once costs per request ("a hot gallery costs no database query",
  and a takedown reaches the next response)."""

import functools
import os
from pathlib import Path

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401  (the same error pages)
from config.urls import urlpatterns as project_urls

VERSION_KEY = "bench:gallery-version"


@functools.cache
def body() -> bytes:
    return Path(os.environ["BENCH_GALLERY_BODY"]).read_bytes()


def same_bytes(request):
    return HttpResponse(body(), content_type="application/json")


def same_bytes_checked(request):
    cache.get(VERSION_KEY)
    return HttpResponse(body(), content_type="application/json")


urlpatterns = [
    path("bench/same-bytes", same_bytes),
    path("bench/same-bytes-checked", same_bytes_checked),
    *project_urls,
]
