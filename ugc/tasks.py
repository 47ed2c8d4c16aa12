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


@shared_task
def rescore_new_data() -> dict:
    """Rescore assets with new performance or engagement, and unscored processed ones
    (beat, every few minutes; queue `scoring`)."""
    from dataclasses import asdict

    from ugc.services import scoring

    return asdict(scoring.rescore_new_data())


@shared_task
def rescore_library() -> dict:
    """Refit the priors and rescore the whole library (beat, nightly; queue `scoring`)."""
    from dataclasses import asdict

    from ugc.services import scoring

    return asdict(scoring.rescore_all())


@shared_task
def rescore_assets(asset_ids: list[int]) -> dict:
    """Rescore the given assets now (queue `scoring`)."""
    from dataclasses import asdict

    from ugc.services import scoring

    return asdict(scoring.rescore_assets(asset_ids))


@shared_task
def score_gallery_orders() -> int:
    """Recompute recommended galleries' orders for the current time bucket (beat, once a
    bucket; queue `scoring`). Orders that did not change are left alone."""
    from ugc.services import scoring

    return scoring.refresh_recommended_galleries()


@shared_task
def requeue_stalled_assets() -> int:
    """Beat: queue the pipeline again for assets whose first message never reached the
    broker (it was down when they arrived); idempotent like the pipeline itself."""
    from datetime import timedelta

    from django.conf import settings

    from ugc.services.pipeline import requeue_stalled

    older = timedelta(seconds=settings.MEDIA_REQUEUE_AFTER_SECONDS)
    return len(requeue_stalled(older_than=older))


@shared_task(bind=True, max_retries=10)
def purge_cdn(self, keys: list[str]) -> int:
    """Purge gallery responses from the CDN by surrogate key (ugc/delivery/cdn.py; queue
    `default`). A CDN that fails or times out is asked again with a growing delay;
    the request that changed the gallery never waits for it."""
    from ugc.delivery import cdn

    try:
        cdn.purge(keys)
    except cdn.PurgeFailed as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 300)) from None
    return len(keys)


@shared_task
def send_rights_requests() -> dict:
    """One step of the rights request queue (beat, every minute): each brand account
    whose turn has come sends one request; then reminders and expiries fall due."""
    from ugc.services import rights_queue

    sent = rights_queue.send_due()
    return {
        "sent": sent,
        "reminders": rights_queue.remind_due(),
        "expired": rights_queue.expire_unanswered(),
    }


@shared_task
def poll_rights_replies() -> dict:
    """Read open requests' threads for the creators' replies (beat), paced within the
    platforms' limits; the comments webhook brings most replies sooner."""
    from ugc.services import rights_queue

    return rights_queue.poll_replies()
