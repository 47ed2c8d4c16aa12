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


@shared_task
def rollup_day(day: str) -> dict:
    """Recompute one day's KPI tables (ISO date) and send its asset numbers to ugc;
    re-running a day rewrites the same rows."""
    from datetime import date

    from analytics.services.rollups import push_asset_performance
    from analytics.services.rollups import rollup_day as roll

    done = roll(date.fromisoformat(day))
    return {"day": day, "assets": done.asset_rows, "pushed": push_asset_performance(done.day)}


@shared_task
def rollup_pending() -> list[str]:
    """Beat: roll up every day with new events or changed orders since the watermark,
    plus yesterday and today so far."""
    from analytics.services.rollups import push_asset_performance
    from analytics.services.rollups import rollup_pending as roll

    days = roll()
    for day in days:
        push_asset_performance(day)
    return [day.isoformat() for day in days]


@shared_task
def run_attributions(run_ids: list[int]) -> list[str]:
    """Compute several runs, building the journeys once per range; idempotent like one."""
    from analytics.services.attribution_runs import execute_runs

    return execute_runs(list(run_ids))


@shared_task
def requeue_stale_runs() -> list[int]:
    """Send again the runs still queued long after they were made: their message never
    reached the broker (or was lost with it). Running a run twice replaces its results."""
    from analytics.services.attribution_runs import requeue_stale

    return requeue_stale()
