"""Instagram's hashtag budget: 30 unique hashtags per account in a rolling 7 days.

The ledger (HashtagSearch) records when each hashtag was first searched; a row
older than 7 days no longer counts, and searching that hashtag again restarts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext

from platforms.models import ConnectedAccount
from sources.models import HashtagSearch

LIMIT = 30
WINDOW = dt.timedelta(days=7)


class BudgetExhausted(Exception):
    """A 31st hashtag; str() says when the next slot frees."""


@dataclass
class Budget:
    used: int
    limit: int
    next_free_at: dt.datetime | None  # None: a slot is free now

    def as_dict(self) -> dict:
        return {"used": self.used, "limit": self.limit, "next_free_at": self.next_free_at}


def normalise(hashtag: str) -> str:
    return hashtag.strip().lstrip("#").lower()


def _counting(account: ConnectedAccount, now: dt.datetime):
    return HashtagSearch.objects.filter(account=account, first_searched_at__gt=now - WINDOW)


def budget(account: ConnectedAccount, now: dt.datetime | None = None) -> Budget:
    now = now or timezone.now()
    counting = _counting(account, now)
    used = counting.count()
    oldest = counting.order_by("first_searched_at").values_list("first_searched_at", flat=True)
    next_free = oldest.first() + WINDOW if used >= LIMIT else None
    return Budget(used, LIMIT, next_free)


def spend(account: ConnectedAccount, hashtag: str, now: dt.datetime | None = None) -> bool:
    """Count a search of `hashtag` (free when searched in the last 7 days); True when
    it took a new slot. Raises BudgetExhausted for a 31st. Call inside a transaction
    that locked the account row, so two additions cannot both take the last slot."""
    now = now or timezone.now()
    name = normalise(hashtag)
    if _counting(account, now).filter(hashtag=name).exists():
        return False
    current = budget(account, now)
    if current.used >= LIMIT:
        when = timezone.localtime(current.next_free_at).strftime("%Y-%m-%d %H:%M %Z")
        raise BudgetExhausted(
            gettext(
                "#%(name)s would be the 31st hashtag this Instagram account searched in 7 "
                "days (the platform allows 30); the next slot frees at %(when)s"
            )
            % {"name": name, "when": when}
        )
    HashtagSearch.objects.update_or_create(
        account=account, hashtag=name, defaults={"first_searched_at": now}
    )
    return True
