"""The pipeline and ingestion against a real S3-compatible store that fails: down in the
middle of a step, slow past the timeout, refusing our key, or missing its bucket.
Nothing is published half-done, and each failure is retried or explained."""

from __future__ import annotations

import io
import re

import pytest

from core.storage import StoreUnavailable
from tests.support import media_files as mf
from tests.support.media_assets import make_asset
from tests.support.s3 import Gate, on_store
from ugc.ingest.items import AssetInput
from ugc.models import Asset, ProcessingState, Rendition
from ugc.services import pipeline
from ugc.services.ingest import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def gate(s3_store):
    gate = Gate(s3_store)
    yield gate
    gate.close()


def photo_asset():
    return make_asset(mf.jpeg_bytes(mf.photo(1200, 900, seed=3)), filename="p.jpg", mime_type="")


def test_a_store_down_mid_step_publishes_nothing_and_the_rerun_leaves_no_stray_file(
    s3_store, gate, monkeypatch
):
    pair = s3_store.buckets()
    media, _ = on_store(monkeypatch, s3_store.env(pair), endpoint_url=gate.endpoint)
    asset = photo_asset()
    saves = []
    real_save = media._save

    def save_then_fail(name, content):
        saves.append(name)
        if len(saves) == 3:
            gate.down()  # the store dies after two renditions were written
        return real_save(name, content)

    monkeypatch.setattr(media, "_save", save_then_fail)
    with pytest.raises(StoreUnavailable, match="object store"):
        pipeline.process(asset.pk)
    asset.refresh_from_db()
    assert asset.processing_state == ProcessingState.PROCESSING
    assert "renditions" not in asset.steps_done
    assert not Rendition.objects.filter(asset=asset).exists()

    gate.up()
    assert pipeline.process(asset.pk) == "done"
    rows = sorted(Rendition.objects.filter(asset=asset).values_list("file", flat=True))
    assert len(rows) == 6
    # The files written before the failure had the same content, so the same names.
    assert s3_store.keys(pair.media) == rows


def test_a_store_slower_than_the_timeout_is_retried_and_a_slow_one_is_waited_for(
    s3_store, gate, monkeypatch
):
    pair = s3_store.buckets()
    options = {"endpoint_url": gate.endpoint, "timeout_seconds": 0.5}
    on_store(monkeypatch, s3_store.env(pair), **options)
    asset = photo_asset()
    gate.delay = 1.5
    with pytest.raises(StoreUnavailable):
        pipeline.process(asset.pk)
    assert not Rendition.objects.filter(asset=asset).exists()
    gate.delay = 0.05
    assert pipeline.process(asset.pk) == "done"
    assert Rendition.objects.filter(asset=asset).count() == 6


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("bucket", "no such bucket"), ("secret", "refused .*S3_SECRET_ACCESS_KEY")],
)
def test_a_store_that_refuses_fails_the_asset_with_a_reason(s3_store, monkeypatch, fault, reason):
    pair = s3_store.buckets()
    wrong = {"bucket": {"bucket_name": "media-nosuchbucket"}, "secret": {"secret_key": "wrong"}}
    on_store(monkeypatch, s3_store.env(pair), **wrong[fault])
    asset = photo_asset()
    assert pipeline.process(asset.pk) == "failed"
    asset.refresh_from_db()
    assert re.search(reason, asset.failure_reason), asset.failure_reason
    assert not Rendition.objects.filter(asset=asset).exists()


def test_an_upload_while_the_store_is_down_fails_with_a_reason_and_stores_nothing(
    s3_store, gate, monkeypatch
):
    pair = s3_store.buckets()
    env = {**s3_store.env(pair), "S3_ENDPOINT_URL": gate.endpoint}
    on_store(monkeypatch, env)
    gate.down()
    data = mf.jpeg_bytes(mf.photo(400, 300, seed=9))
    outcome = ingest(AssetInput(), file=io.BytesIO(data), filename="a.jpg")
    assert outcome.status == "failed"
    assert "object store" in outcome.reason and "try again" in outcome.reason
    assert not Asset.objects.exists()
    gate.up()
    assert s3_store.keys(pair.originals) == []


HOSTILE = [
    "../../etc/passwd.JPG",
    "a/../../b.png;rm -rf",
    "x.jp g",
    "%2e%2e%2f.webp",
    "évil\u202e.jpg",
]


@pytest.mark.parametrize("filename", HOSTILE)
def test_hostile_file_names_never_reach_a_key(s3_store, monkeypatch, filename):
    pair = s3_store.buckets()
    on_store(monkeypatch, s3_store.env(pair))
    data = mf.jpeg_bytes(mf.photo(64, 48, seed=len(filename)))
    outcome = ingest(AssetInput(), file=io.BytesIO(data), filename=filename)
    assert outcome.status == "created", outcome.reason
    name = Asset.objects.get(pk=outcome.asset_id).original.name
    assert re.fullmatch(r"originals/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}(\.[a-z0-9]{1,9})?", name)
    assert s3_store.keys(pair.originals) == [name]
