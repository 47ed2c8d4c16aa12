"""Celery tasks of the library: thin, idempotent, routed by name (config/queues.py)."""

from celery import shared_task


@shared_task(bind=True)
def process_asset(self, asset_id: int) -> str:
    """Run the media pipeline on one asset (queue `media`)."""
    from ugc.services import pipeline

    try:
        return pipeline.process(asset_id)
    except pipeline.AssetBusy as exc:
        # Another worker holds the asset (a redelivery racing the first run): come
        # back when it has finished; by then there is usually nothing left to do.
        raise self.retry(exc=exc, countdown=15, max_retries=40) from exc
