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


@shared_task
def embed_assets(asset_ids: list[int]) -> dict:
    """Refresh assets' search vectors and embeddings, then suggest tags (queue `embeddings`)."""
    from ugc.models import Asset
    from ugc.services import search_index, tagging

    search_index.refresh_search_vectors(asset_ids)
    counts = search_index.embed_assets(asset_ids)
    for asset in Asset.objects.filter(pk__in=asset_ids):
        tagging.suggest_tags(asset)
    return counts


@shared_task
def embed_products(product_ids: list[int]) -> dict:
    """Refresh products' embeddings after commerce says they changed (queue `embeddings`)."""
    from ugc.services import tagging

    return tagging.embed_products(product_ids)


@shared_task
def expire_rights() -> int:
    """Move grants past their expiry to `expired` (beat, hourly)."""
    from ugc.services import rights

    return len(rights.expire_due())
