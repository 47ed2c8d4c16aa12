"""A short load run (the 60-second one is bench/load.py): gallery reads and collect
batches at a steady rate against a real gunicorn answer without a single error, and
every acknowledged event is stored. Timing is the benchmark's business, not this test's."""

from __future__ import annotations

import pytest

from bench.load import _stored_events, paced_load
from tests.analytics.web import free_port, start_web
from tests.support.worker import database_env
from tests.ugc.factories import GalleryFactory, GalleryPinFactory, SiteFactory

pytestmark = pytest.mark.worker

RATE, SECONDS = 40, 8


def test_a_short_steady_load_has_no_error_and_loses_no_event(transactional_db, tmp_path):
    site = SiteFactory(allowed_origins=[])
    gallery = GalleryFactory(site=site, slug="load")
    GalleryPinFactory.create_batch(12, gallery=gallery)
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", **database_env(),
           # One client address and key on purpose: the throttle is tested elsewhere.
           "PUBLIC_RATE_PER_IP": "100000/min", "PUBLIC_RATE_PER_KEY": "100000/min"}  # fmt: skip
    port = free_port()
    web = start_web(port, env, tmp_path / "web.log")
    try:
        report = paced_load(port, site.publishable_key, gallery.slug, RATE, SECONDS)
    finally:
        web.stop()
    assert report.sent == RATE * SECONDS
    assert report.errors == [], report.errors[:5]
    assert report.acknowledged_events > 0
    assert _stored_events(site.id) == report.acknowledged_events, "an acknowledged event lost"
