"""Celery tasks of analytics: thin, idempotent, routed to the `analytics` queue by name."""

from celery import shared_task


@shared_task
def create_event_partitions() -> list[str]:
    """Make next months' event partitions ahead of need (beat); a no-op when they exist."""
    from analytics.services.partitions import ensure_event_partitions

    return ensure_event_partitions()


@shared_task
def drop_expired_event_partitions() -> list[str]:
    """Drop months older than ANALYTICS_EVENT_RETENTION_DAYS (beat); a no-op when none are."""
    from analytics.services.partitions import drop_expired_event_partitions as drop

    return drop()
