"""Celery tasks of the library: thin, idempotent, routed by name (config/queues.py)."""

from celery import shared_task


@shared_task
def process_asset(asset_id: int) -> None:
    """Run the media pipeline on one asset (queue `media`)."""
    from ugc.services import pipeline

    pipeline.process(asset_id)
