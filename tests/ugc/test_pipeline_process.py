"""The pipeline service on the real database, in this process: states, steps, renditions,
near-duplicates, reprocessing. (Through a real worker: test_pipeline_worker.py.)"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from PIL import Image

from tests.support import media_files as mf
from tests.support.media_assets import make_asset, media_storage  # noqa: F401  (fixture)
from ugc.models import Asset, AuditEntry, ProcessingState, Rendition
from ugc.services import pipeline

pytestmark = pytest.mark.django_db

CORPUS = mf.bad_corpus()
# The words each kind of refusal's reason must contain.
REASON_WORDS = {
    "empty": "empty",
    "corrupt": "PNG|JPEG|WebP",
    "too_many_pixels": "megapixels",
    "unsupported_format": "[Aa]ccept",
    "polyglot": "polyglot",
}
RENDITION_NAME = re.compile(
    r"renditions/[0-9a-f]{2}/[0-9a-f]{24}/(image|video)-\d+-[0-9a-f]{16}\.(webp|jpg|avif|mp4)"
)


def run(asset: Asset) -> Asset:
    pipeline.process(asset.pk)
    asset.refresh_from_db()
    return asset


def test_postgres_counts_bits_of_a_64_bit_xor():
    with connection.cursor() as cursor:
        cursor.execute("SELECT bit_count((%s::bigint # %s::bigint)::bit(64))", [-1, 0])
        assert cursor.fetchone()[0] == 64


@pytest.mark.parametrize("case", CORPUS, ids=[case.label for case in CORPUS])
def test_every_corpus_file_fails_with_a_reason_or_is_processed(case, media_storage):  # noqa: F811
    asset = run(make_asset(case.data, filename=case.filename, mime_type=case.mime_type))
    if case.expect is not None:
        assert asset.processing_state == ProcessingState.FAILED
        assert re.search(REASON_WORDS[case.expect], asset.failure_reason), asset.failure_reason
        assert not asset.renditions.exists()
        assert AuditEntry.objects.filter(asset=asset, action="processing_state:failed").exists()
        return
    assert asset.processing_state == ProcessingState.IN_REVIEW, asset.failure_reason
    assert asset.processed_at is not None
    assert set(asset.steps_done) == set(pipeline.IMAGE_STEPS)
    assert asset.width and asset.height and asset.mime_type.startswith("image/")
    assert asset.perceptual_hash is not None
    assert len(asset.placeholder) >= 20
    assert asset.dominant_colors and asset.dominant_colors[0].startswith("#")
    assert 0 <= asset.quality_score <= 1
    assert {"sharpness", "exposure_mean", "contrast_rms", "colorfulness"} <= set(asset.quality)
    renditions = list(asset.renditions.all())
    assert {r.format for r in renditions} >= {"webp", "jpeg"}
    for rendition in renditions:
        # The name says nothing of the original's name.
        assert RENDITION_NAME.fullmatch(rendition.file.name), rendition.file.name
        data = rendition.file.read()
        rendition.file.close()
        assert len(data) == rendition.byte_size
        im = Image.open(io.BytesIO(data))
        assert im.size == (rendition.width, rendition.height)
        assert not im.getexif() and "icc_profile" not in im.info
        assert rendition.width <= asset.width


def test_rotated_phone_photo_loses_its_gps_and_stands_upright(media_storage):  # noqa: F811
    asset = run(
        make_asset(mf.rotated_jpeg_with_gps(), filename="IMG_1234.JPG", mime_type="image/jpeg")
    )
    assert (asset.width, asset.height) == (700, 1200)
    assert asset.media_info["exif_orientation"] == 6
    for rendition in asset.renditions.all():
        data = rendition.file.read()
        rendition.file.close()
        assert b"PhoneMaker" not in data and b"GPS" not in data
        assert rendition.height > rendition.width


def test_running_twice_or_reprocessing_adds_nothing(media_storage, settings):  # noqa: F811
    asset = run(make_asset(mf.jpeg_bytes(mf.photo(1400, 1000)), filename="a.jpg", mime_type=""))
    before = {(r.kind, r.format, r.width): r.file.name for r in asset.renditions.all()}
    assert len(before) == 6 + len(settings.MEDIA_AVIF_WIDTHS)
    assert pipeline.process(asset.pk) == "skipped"

    # As if a worker died after the renditions: the rerun redoes only what is missing.
    asset.steps_done = {k: v for k, v in asset.steps_done.items() if k != "measures"}
    asset.processing_state = ProcessingState.PROCESSING
    asset.save()
    renditions_at = asset.steps_done["renditions"]
    assert run(asset).processing_state == ProcessingState.IN_REVIEW
    assert asset.steps_done["renditions"] == renditions_at
    assert "measures" in asset.steps_done

    assert pipeline.reprocess([asset.pk]) == 1
    asset.refresh_from_db()
    assert asset.processing_state == ProcessingState.PROCESSING and asset.steps_done == {}
    run(asset)
    after = {(r.kind, r.format, r.width): r.file.name for r in asset.renditions.all()}
    assert after == before  # same rows, same files, overwritten in place
    files = [p for p in media_storage.rglob("*") if p.is_file()]
    assert len(files) == len(before)
    assert asset.processing_state == ProcessingState.IN_REVIEW


def test_a_failed_asset_can_be_reprocessed_after_a_fix(media_storage, settings):  # noqa: F811
    settings.MEDIA_MAX_IMAGE_PIXELS = 100_000
    asset = run(make_asset(mf.jpeg_bytes(mf.photo(800, 600)), filename="a.jpg", mime_type=""))
    assert asset.processing_state == ProcessingState.FAILED
    assert "0.48 megapixels" in asset.failure_reason or "megapixels" in asset.failure_reason
    settings.MEDIA_MAX_IMAGE_PIXELS = 60_000_000
    pipeline.reprocess([asset.pk])
    asset = run(asset)
    assert asset.processing_state == ProcessingState.IN_REVIEW
    assert asset.failure_reason == ""


def test_near_duplicates_link_to_the_oldest(media_storage):  # noqa: F811
    source = mf.photo(1200, 900, seed=21)
    first = run(make_asset(mf.jpeg_bytes(source), filename="a.jpg", mime_type="image/jpeg"))
    smaller = source.resize((600, 450), Image.Resampling.BILINEAR)
    repost = run(make_asset(mf.jpeg_bytes(smaller, quality=60), filename="b.jpg", mime_type=""))
    again = run(make_asset(mf.save_bytes(source, "WEBP"), filename="c.webp", mime_type=""))
    stranger = run(
        make_asset(mf.jpeg_bytes(mf.photo(1200, 900, seed=22)), filename="d.jpg", mime_type="")
    )
    assert first.duplicate_of_id is None
    assert repost.duplicate_of_id == first.pk
    assert again.duplicate_of_id == first.pk
    assert stranger.duplicate_of_id is None
    assert AuditEntry.objects.filter(asset=repost, action="near_duplicate").exists()


def test_missing_original_fails_with_a_reason(media_storage):  # noqa: F811
    asset = make_asset(mf.jpeg_bytes(mf.photo(100, 80)), filename="a.jpg", mime_type="")
    asset.original.storage.delete(asset.original.name)
    assert run(asset).failure_reason == "The original file is missing from storage."


def test_unknown_asset_is_ignored():
    assert pipeline.process(987654321) == "missing"


def test_reprocess_command_picks_assets(media_storage, django_capture_on_commit_callbacks):  # noqa: F811
    ok = run(make_asset(mf.jpeg_bytes(mf.photo(100, 80)), filename="a.jpg", mime_type=""))
    bad = run(make_asset(b"not an image", filename="b.jpg", mime_type=""))
    assert bad.processing_state == ProcessingState.FAILED

    out = io.StringIO()
    with django_capture_on_commit_callbacks() as queued:
        call_command("reprocess", "--failed", stdout=out)
    assert len(queued) == 1
    assert "1 asset" in out.getvalue()
    bad.refresh_from_db()
    ok.refresh_from_db()
    assert bad.processing_state == ProcessingState.PROCESSING
    assert ok.processing_state == ProcessingState.IN_REVIEW

    with django_capture_on_commit_callbacks() as queued:
        call_command("reprocess", str(ok.pk), stdout=io.StringIO())
    assert len(queued) == 1
    with django_capture_on_commit_callbacks() as queued:
        call_command("reprocess", "--all", stdout=io.StringIO())
    assert len(queued) == 2
    entry = AuditEntry.objects.filter(asset=ok, note="reprocess requested").first()
    assert entry is not None
    assert Rendition.objects.filter(asset=ok).exists()  # kept until the rerun replaces them


def test_a_second_run_while_one_holds_the_asset_is_told_to_wait(media_storage):  # noqa: F811
    import psycopg

    from core.database import libpq_dsn

    asset = make_asset(mf.jpeg_bytes(mf.photo(100, 80)), filename="a.jpg", mime_type="")
    key = (pipeline.LOCK_NAMESPACE & 0x7FFFFFFF, asset.pk % 0x7FFFFFFF)
    # Another session (another worker) holds the asset.
    with psycopg.connect(libpq_dsn(connection.settings_dict), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", key)
        with pytest.raises(pipeline.AssetBusy):
            pipeline.process(asset.pk)
        # (A killed worker's lock goes with its session: test_pipeline_worker.py.)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", key)
    assert run(asset).processing_state == ProcessingState.IN_REVIEW


def test_a_reprocess_during_a_run_is_not_lost(
    media_storage,  # noqa: F811
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    asset = make_asset(mf.jpeg_bytes(mf.photo(700, 500)), filename="a.jpg", mime_type="")
    measure = pipeline._Run.step_measures

    def coordinator_clicks_reprocess_meanwhile(run):
        pipeline.reprocess([run.asset.pk])  # clears steps_done, queues another run
        measure(run)

    monkeypatch.setattr(pipeline._Run, "step_measures", coordinator_clicks_reprocess_meanwhile)
    with django_capture_on_commit_callbacks() as queued:
        assert pipeline.process(asset.pk) == "superseded"
    assert len(queued) == 1
    asset.refresh_from_db()
    assert asset.processing_state == ProcessingState.PROCESSING
    assert "validated" not in asset.steps_done  # the rerun will redo it

    monkeypatch.setattr(pipeline._Run, "step_measures", measure)
    assert pipeline.process(asset.pk) == "done"  # the queued rerun
    asset.refresh_from_db()
    assert set(asset.steps_done) == set(pipeline.IMAGE_STEPS)
    assert asset.processing_state == ProcessingState.IN_REVIEW
