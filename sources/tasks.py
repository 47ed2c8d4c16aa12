"""Collection tasks (queue `collection`): thin, the services do the work."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from core.effects import enqueue_after_commit
from platforms.models import AccountStatus
from platforms.services import accounts
from sources.models import Source
from sources.services import collect, webhooks


@shared_task
def collect_due() -> int:
    """Queue a run of every source that is due; each is claimed so beat queues it once."""
    now = timezone.now()
    with transaction.atomic():
        due = list(
            Source.objects.select_for_update(skip_locked=True)
            .filter(
                paused=False,
                account__status=AccountStatus.ACTIVE,
                next_run_at__lte=now,
            )
            .values_list("pk", "interval_seconds")
        )
        for pk, interval in due:
            # Claimed until the run reschedules it; a lost run is due again after this.
            Source.objects.filter(pk=pk).update(next_run_at=now + dt.timedelta(seconds=interval))
            enqueue_after_commit(collect_source, pk, "schedule")
    return len(due)


@shared_task
def collect_source(source_id: int, trigger: str = "schedule") -> str:
    run = collect.collect(source_id, trigger)
    return "busy" if run is None else run.status


@shared_task
def refresh_tokens() -> dict:
    return accounts.refresh_due()


@shared_task
def process_webhook(delivery_id: int) -> str:
    return webhooks.process(delivery_id)
