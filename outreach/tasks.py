"""Thin tasks: one send per request (a fulfilled order's), batches of due requests
(the sweep's), and the beat's sweep."""

from __future__ import annotations

import logging

from celery import shared_task

from outreach.services import requests, sending

logger = logging.getLogger(__name__)


class SmtpUnavailable(Exception):
    """The SMTP server could not take the message now; the request waits in `queued`."""


@shared_task(bind=True, max_retries=12, retry_backoff_max=600)
def send_photo_request(self, request_id: int) -> str:
    outcome = sending.deliver(request_id)
    if outcome.result == sending.RETRY:
        logger.warning("photo request %s: %s", request_id, outcome.detail)
        countdown = min(600, 5 * 2**self.request.retries)
        raise self.retry(exc=SmtpUnavailable(outcome.detail), countdown=countdown)
    if outcome.result == sending.BUSY:
        # Its sender may have died: look again when it would count as lost.
        raise self.retry(countdown=outcome.wait_seconds + 1, max_retries=None)
    return outcome.result


@shared_task(bind=True, max_retries=12, retry_backoff_max=600)
def send_due_requests(self) -> dict[str, int]:
    """Batches until none is left; a server down part-way: retried with backoff."""
    totals = {"sent": 0, "suppressed": 0, "failed": 0}
    while (batch := sending.deliver_batch()).claimed:
        totals["sent"] += batch.sent
        totals["suppressed"] += batch.suppressed
        totals["failed"] += batch.failed
        if batch.released:
            logger.warning("photo requests: %s", batch.detail)
            countdown = min(600, 5 * 2**self.request.retries)
            raise self.retry(exc=SmtpUnavailable(batch.detail), countdown=countdown)
    return totals


@shared_task
def sweep_requests() -> dict[str, int]:
    return requests.sweep()
