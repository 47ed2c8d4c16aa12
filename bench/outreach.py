"""Photo requests sent through the task's code path against smtplib alone.

Ceiling: smtplib sending the same rendered messages to a local aiosmtpd server in
one loop, on one connection. Measured: the requests claimed in batches, rendered,
sent and recorded by `sending.deliver_batch` (what the sweep's Celery task runs), in
one process. The two alternate in rounds of ROUND requests; each side is timed by
its fastest round. The issue's goal is a rate at least half of smtplib's: a time
ratio of at most 2.
"""

from __future__ import annotations

import logging
import os
import smtplib
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bench.registry import Result, benchmark

REQUESTS = int(os.environ.get("BENCH_OUTREACH_REQUESTS", "10000"))


def _requests(count: int) -> list[int]:
    """Queued requests for `count` orders of two products each (fresh rows each run)."""
    from commerce.models import Order, OrderLine, Product, Shop
    from outreach.models import PhotoRequest, RequestLink, RequestState
    from outreach.services.suppression import email_hash

    stamp = f"{time.time_ns()}"
    shop, _ = Shop.objects.get_or_create(domain="bench-outreach.example", defaults={"name": "B"})
    products = [
        Product.objects.get_or_create(sku=f"BENCH-MUG-{n}", defaults={"title": f"Mug {n}"})[0]
        for n in (1, 2)
    ]
    now = timezone.now()
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            Order(shop=shop, shop_order_id=f"{stamp}-{n}", name=f"#{n}", currency="EUR",
                  total=20, created_at_shop=now)
            for n in range(count)
        )  # fmt: skip
        OrderLine.objects.bulk_create(
            OrderLine(order=o, position=p, product=product, sku=product.sku, quantity=1,
                      unit_price=10, line_total=10)
            for o in orders for p, product in enumerate(products, start=1)
        )  # fmt: skip
        requests = PhotoRequest.objects.bulk_create(
            PhotoRequest(order=o, state=RequestState.QUEUED, email=f"buyer{n}@example.org",
                         email_hash=email_hash(f"buyer{n}@example.org"), language="en",
                         due_at=now, window_ends_at=now + timedelta(days=30))
            for n, o in enumerate(orders)
        )  # fmt: skip
        RequestLink.objects.bulk_create(
            RequestLink(request=r, product=product) for r in requests for product in products
        )
    return [r.pk for r in requests]


# Our run and smtplib's alternate in rounds of this many requests: on a shared, noisy
# machine both sides meet the same slow and fast spells. Each side's figure is its
# fastest round (like registry.best_of: the least disturbed by the machine's other
# load), per request, times REQUESTS; the note gives the totals too.
ROUND = 500


@benchmark
def outreach_send_requests() -> Result:
    from demo.mailbox import Mailbox
    from outreach import mail

    box = Mailbox(keep=False).start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    mail.close()
    # aiosmtpd logs each SMTP command at INFO: that would time the log, on both sides.
    server_log = logging.getLogger("mail.log")
    level = server_log.level
    server_log.setLevel(logging.WARNING)  # setLevel, not .level: it clears the cache
    rounds = []  # (requests, our seconds, smtplib's seconds)
    try:
        for size in _rounds(REQUESTS):
            rounds.append((size, *_round(box.port, size)))
    finally:
        mail.close()
        box.stop()
        server_log.setLevel(level)
    measured = REQUESTS * min(ours / size for size, ours, _ in rounds)
    ceiling = REQUESTS * min(peer / size for size, _, peer in rounds)
    ours_total, peer_total = sum(r[1] for r in rounds), sum(r[2] for r in rounds)
    paired = statistics.median(peer / ours for _, ours, peer in rounds)
    return Result(
        "photo requests through the task",
        measured,
        ceiling,
        target_ratio=2.0,
        note=f"{REQUESTS} requests in {len(rounds)} rounds, ours and smtplib's alternating; "
        f"fastest rounds {REQUESTS / measured:,.0f}/s vs smtplib {REQUESTS / ceiling:,.0f}/s "
        f"({ceiling / measured:.2f} of its rate); all rounds {REQUESTS / ours_total:,.0f}/s "
        f"vs {REQUESTS / peer_total:,.0f}/s ({peer_total / ours_total:.2f}); median of "
        f"each round's rate ratio {paired:.2f}",
    )


def _rounds(total: int) -> list[int]:
    return [min(ROUND, total - start) for start in range(0, total, ROUND)]


def _round(port: int, size: int) -> tuple[float, float]:
    """Seconds for the task to send `size` fresh requests, then for smtplib to send
    the same messages, rendered beforehand, in one loop on one connection."""
    from outreach import mail
    from outreach.models import PhotoRequest
    from outreach.services import sending

    ids = _requests(size)
    # A worker's first message loads the URLconf (links are reversed): once, untimed.
    mail.render(PhotoRequest.objects.select_related("order").get(pk=ids[0]))
    started = time.perf_counter()
    while sending.deliver_batch().claimed:
        pass
    ours = time.perf_counter() - started
    unsent = PhotoRequest.objects.filter(pk__in=ids).exclude(state="sent").count()
    assert not unsent, f"{unsent} requests not sent"
    rendered = [
        (request.email, mail.render(request).message().as_bytes(linesep="\r\n"))
        for request in PhotoRequest.objects.filter(pk__in=ids)
        .select_related("order")
        .prefetch_related("links__product")
    ]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for address, message in rendered:
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [address], message)
    return ours, time.perf_counter() - started
