"""Two copies of one picture (different bytes) processed at the same time by two real
workers end linked as near-duplicates, whichever finishes first.

The older copy is a large PNG and the newer a small JPEG, so the newer one is done
before the older one's hash exists: it finds nothing older, and the link has to come
from the older one's run.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.support import media_files as mf
from tests.support.media_assets import make_asset
from tests.support.worker import wait_until
from ugc.media.measures import hamming
from ugc.models import Asset, AuditEntry, ProcessingState
from ugc.tasks import process_asset

pytestmark = pytest.mark.worker


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_two_copies_processed_at_once_end_linked(start_worker, producer, storage_dirs):
    picture = mf.photo(4000, 3000, seed=11)
    older = make_asset(
        mf.save_bytes(picture, "PNG", compress_level=1), filename="big.png", mime_type=""
    )
    small = picture.resize((640, 480))
    newer = make_asset(mf.jpeg_bytes(small, quality=85), filename="small.jpg", mime_type="")
    # Started together (each takes seconds to import the project), sent to once both are
    # ready, so that each takes one copy.
    workers = [start_worker(wait=False, **storage_dirs) for _ in range(2)]
    for worker in workers:
        worker.wait_ready()
    sent = [process_asset.apply_async((a.pk,), connection=producer) for a in (older, newer)]

    def done():
        states = Asset.objects.filter(pk__in=[older.pk, newer.pk])
        return all(
            state == ProcessingState.IN_REVIEW
            for state in states.values_list("processing_state", flat=True)
        )

    wait_until(done, timeout=120, interval=0.2, what="both copies processed")
    older.refresh_from_db()
    newer.refresh_from_db()
    # Each worker took one copy: they ran at the same time.
    for worker in workers:
        assert sum(f"[{result.id}] received" in worker.log() for result in sent) == 1
    assert hamming(older.perceptual_hash, newer.perceptual_hash) <= (
        settings.MEDIA_NEAR_DUPLICATE_DISTANCE
    ), "the same picture"
    assert newer.processed_at < older.processed_at, "the newer copy finished first"
    assert (older.duplicate_of_id, newer.duplicate_of_id) == (None, older.pk)
    entry = AuditEntry.objects.get(asset=newer, action="near_duplicate")
    assert entry.changes == {"duplicate_of": [None, older.pk]}
