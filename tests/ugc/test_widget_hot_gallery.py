"""The hot path of GET /api/v1/public/galleries/<slug> (what every widget load hits):
the same answer as the full view, with the same headers; never stale after a
takedown; origins and throttles still enforced. On local memory and on Redis."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.ugc.factories import GalleryFactory, GalleryPinFactory, SiteFactory
from tests.ugc.gallery_support import (  # noqa: F401
    ORIGIN,
    clear_cache,
    fetch,
    make_gallery,
    redis_cache,
    round_trips,
)
from ugc.delivery import hot as hot_path
from ugc.services import rights

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["local memory", "redis"])
def cache_backend(request):
    if request.param == "local memory":
        yield
        return
    with redis_cache():
        yield


@pytest.fixture
def gallery(cache_backend):
    return make_gallery()


@pytest.fixture
def local_gallery():
    """On local memory only: with Redis a process holds a lease instead, and asks the
    cache nothing (tests/ugc/test_gallery_leases.py)."""
    return make_gallery()


def get(gallery, origin=ORIGIN, **headers):
    if origin:
        headers["Origin"] = origin
    return fetch(APIClient(), gallery, headers)


def served_hot(monkeypatch) -> list:
    """Records each request the hot path answered (None: it passed it on)."""
    answered = []
    original = hot_path.respond

    def spy(request, slug):
        response = original(request, slug)
        answered.append(response is not None)
        return response

    monkeypatch.setattr(hot_path, "respond", spy)
    return answered


@pytest.mark.parametrize("origin", [ORIGIN, None], ids=["cross-origin", "no origin"])
def test_a_hot_answer_is_the_full_views_answer(gallery, monkeypatch, origin):
    hot = served_hot(monkeypatch)
    first, second = get(gallery, origin), get(gallery, origin)
    assert hot == [False, True]
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert len(second.json()["items"]) == 3
    assert dict(second.items()) == dict(first.items())

    etag = first["ETag"]
    not_modified = get(gallery, origin, **{"If-None-Match": etag})
    assert hot[-1] is True and not_modified.status_code == 304
    assert not_modified["ETag"] == etag


def test_a_takedown_is_never_served_from_the_hot_path(
    gallery, monkeypatch, django_capture_on_commit_callbacks
):
    hot = served_hot(monkeypatch)
    ids = [item["id"] for item in get(gallery).json()["items"]]
    get(gallery)
    taken_down = gallery.pins.get(position=1).asset
    with django_capture_on_commit_callbacks(execute=True):
        rights.revoke(taken_down)
    after = get(gallery)
    assert hot == [False, True, False]
    assert [item["id"] for item in after.json()["items"]] == [i for i in ids if i != taken_down.pk]


def test_a_refused_origin_is_refused_on_the_hot_path_too(gallery):
    assert get(gallery).status_code == 200
    refused = get(gallery, origin="https://evil.example.com")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in refused


def test_the_throttle_counts_hot_answers(gallery, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_key": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert [get(gallery).status_code for _ in range(3)] == [200, 200, 200]
    throttled = get(gallery)
    assert throttled.status_code == 429
    assert throttled["Content-Type"] == "application/problem+json"
    assert int(throttled["Retry-After"]) > 0


def test_with_gallery_hot_seconds_a_process_asks_once_per_interval(
    local_gallery, monkeypatch, settings
):
    gallery = local_gallery
    settings.GALLERY_HOT_SECONDS = 60
    calls = round_trips(monkeypatch)
    clock = [1000.0]
    monkeypatch.setattr(hot_path.time, "monotonic", lambda: clock[0])
    bodies = {get(gallery).content for _ in range(5)}
    assert len(bodies) == 1 and len(calls) == 1
    clock[0] += 61
    assert get(gallery).status_code == 200
    assert len(calls) == 2


def test_with_gallery_hot_seconds_the_throttle_still_holds(local_gallery, settings):
    gallery = local_gallery
    settings.GALLERY_HOT_SECONDS = 60
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public_key": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert [get(gallery).status_code for _ in range(3)] == [200, 200, 200]
    assert get(gallery).status_code == 429


def test_a_redis_that_lost_the_check_script_is_sent_it_again(monkeypatch):
    with redis_cache():
        site = SiteFactory(allowed_origins=[ORIGIN])
        gallery = GalleryFactory(site=site, slug="homepage")
        GalleryPinFactory(gallery=gallery)
        # A script id Redis never saw: as after a restart or SCRIPT FLUSH.
        monkeypatch.setattr(hot_path, "_CHECK_SHA", "0" * 40)
        hot = served_hot(monkeypatch)
        first, second = get(gallery), get(gallery)
        assert hot == [False, True]
        assert second.status_code == 200 and second.content == first.content
