"""A visitor's right to be forgotten: their events, sessions and visitor rows go.

Receipts of their event ids stay (an id and a time, nothing about the person), so
a beacon retried after the deletion cannot bring the events back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction

from analytics.models import Session, Visitor


@dataclass
class Deleted:
    events: int
    sessions: int
    visitors: int


def delete_visitor(*, visitor_id: str, site_id: int | None = None) -> Deleted:
    """Delete everything stored under this visitor id, on one site or on all of them."""
    from ugc.models import Site

    site_ids = [site_id] if site_id is not None else list(Site.objects.values_list("id", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        # site_id = ANY(...) keeps the (site_id, visitor_id) index usable without --site.
        cursor.execute(
            "DELETE FROM analytics_event WHERE site_id = ANY(%s) AND visitor_id = %s",
            [site_ids, visitor_id],
        )
        events = cursor.rowcount
        visitors = Visitor.objects.filter(site_id__in=site_ids, visitor_id=visitor_id)
        sessions = Session.objects.filter(visitor__in=visitors).delete()[0]
        removed = visitors.delete()[1].get(Visitor._meta.label, 0)
    return Deleted(events=events, sessions=sessions, visitors=removed)
