"""Hypothesis over what the public sends: collect batches and gallery queries.

Whatever arrives, the answer is never a 500; a batch mixing good and bad events
keeps every good one (docs/architecture.md, rule 5). Examples are bounded so the suite stays fast.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from analytics.models import Event
from tests.analytics.conftest import event
from tests.ugc.factories import GalleryFactory, SiteFactory

pytestmark = pytest.mark.django_db

BOUNDED = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EVENT_TYPES = ["page_view", "asset_impression", "asset_click", "gallery_view", "add_to_cart",
               "purchase", "product_click", "lightbox_open", "teleport", ""]  # fmt: skip
FIELDS = ["event_id", "type", "client_time", "visitor_id", "session_id", "page_url",
          "referrer", "asset_id", "gallery", "position", "product_sku", "value", "currency",
          "utm", "extra"]  # fmt: skip

# Anything JSON can carry, shallow: the shapes a broken or hostile client sends.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=6,
)  # fmt: skip
bad_events = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={name: json_values for name in FIELDS}),
    st.builds(
        lambda kind, field, value: {**event(kind), field: value},
        st.sampled_from(EVENT_TYPES), st.sampled_from(FIELDS), json_values,
    ),
)  # fmt: skip


@pytest.fixture
def site():
    cache.clear()
    return SiteFactory(allowed_origins=[])


def collect(client, site, body: str):
    return client.post(f"/api/v1/collect?key={site.publishable_key}", body,
                       content_type="text/plain;charset=UTF-8")  # fmt: skip


@BOUNDED
@given(batch=st.lists(st.tuples(st.booleans(), bad_events), min_size=1, max_size=12))
def test_a_mixed_batch_never_fails_and_keeps_every_good_event(site, batch):
    client = APIClient(raise_request_exception=False)
    events = [event() if good else bad for good, bad in batch]
    response = collect(client, site, json.dumps({"events": events}))
    assert response.status_code == 202, response.content[:500]
    good_ids = [e["event_id"] for (good, _), e in zip(batch, events, strict=True) if good]
    ids = Event.objects.filter(site_id=site.pk).values_list("event_id", flat=True)
    stored = {str(i) for i in ids}
    assert set(good_ids) <= stored, "a good event was lost beside bad ones"
    body = response.json()
    assert body["accepted"] + body["duplicates"] + len(body["rejected"]) <= len(events)


@BOUNDED
@given(body=st.one_of(st.text(max_size=200), json_values.map(json.dumps),
                      st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))  # fmt: skip
def test_any_body_is_answered_without_a_server_error(site, body):
    response = collect(APIClient(raise_request_exception=False), site, body)
    assert response.status_code < 500, (body, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/problem+json")


GALLERY_PARAMS = ["key", "cursor", "limit", "product", "sku", "locale", "layout", "page",
                  "size", "format", "fields"]  # fmt: skip
param_values = st.one_of(
    st.text(max_size=30), st.integers(-(2**70), 2**70).map(str), st.just(""),
    st.sampled_from(["0", "-1", "1e9", "NaN", "null", "%00", "..", "<script>"]),
)  # fmt: skip


@BOUNDED
@given(
    params=st.dictionaries(st.sampled_from(GALLERY_PARAMS), param_values, max_size=5),
    keep_key=st.booleans(),
    slug=st.sampled_from(["homepage", "missing", "x" * 300]),
)
def test_any_gallery_query_is_answered_without_a_server_error(site, params, keep_key, slug):
    cache.clear()  # the per-key throttle must not turn examples into 429s
    GalleryFactory(site=site, slug="homepage") if not site.galleries.exists() else None
    if keep_key:
        params = {**params, "key": site.publishable_key}
    response = APIClient(raise_request_exception=False).get(
        f"/api/v1/public/galleries/{slug}", params
    )
    assert response.status_code < 500, (params, response.content[:300])
    assert response.status_code in {200, 304, 400, 401, 403, 404}, response.status_code


def test_the_strategies_make_distinct_good_events():
    # A guard on the test itself: good events carry fresh ids, so "kept" means stored.
    assert len({event()["event_id"] for _ in range(50)}) == 50
    assert uuid.UUID(event()["event_id"])
