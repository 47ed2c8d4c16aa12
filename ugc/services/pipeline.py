"""The media pipeline's scheduling: ingestion calls `request_processing`.

The steps themselves (decode, renditions, hashes, measures, video) are filled
in by the media pipeline work; see ugc/media/ for the pure image code.
"""

from __future__ import annotations

from collections.abc import Iterable


def request_processing(asset_ids: Iterable[int]) -> None:
    """Queue the pipeline for these assets once the current transaction commits."""
    from ugc.tasks import process_asset

    for asset_id in asset_ids:
        process_asset.delay_on_commit(asset_id)
