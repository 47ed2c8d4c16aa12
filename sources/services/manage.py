"""Adding, pausing and running sources: what the screen and the API both call."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.effects import enqueue_after_commit
from platforms.models import AccountPlatform, AccountStatus, ConnectedAccount
from sources.models import KIND_PLATFORMS, QUERY_KINDS, Source, SourceKind
from sources.services import budget


class SourceRefused(Exception):
    """The source cannot be added; str() says why, in words."""


# Instagram API with Instagram Login offers the account's own media only: Meta documents
# hashtag search, the tags edge and mentioned_media for Facebook Login alone.
NEEDS_FACEBOOK_LOGIN = {
    SourceKind.INSTAGRAM_HASHTAG: _(
        "hashtag search needs an Instagram account connected with Facebook Login"
    ),
    SourceKind.INSTAGRAM_TAGS: _(
        "the posts an account is tagged in need an Instagram account connected with Facebook Login"
    ),
    SourceKind.INSTAGRAM_MENTIONS: _(
        "collecting @mentions needs an Instagram account connected with Facebook Login"
    ),
}


def jittered(interval: int) -> dt.timedelta:
    """The interval give or take SOURCES_JITTER of it, so sources spread out."""
    spread = interval * settings.SOURCES_JITTER
    return dt.timedelta(seconds=max(1.0, interval + random.uniform(-spread, spread)))  # noqa: S311


def add_source(
    account: ConnectedAccount,
    kind: str,
    query: str = "",
    *,
    interval_seconds: int | None = None,
    product_lines=(),
    auto_moderate: bool = False,
) -> Source:
    """A new source, due now. Hashtags spend the account's 7-day budget here."""
    if kind not in SourceKind.values:
        raise SourceRefused(gettext("unknown kind %(kind)r") % {"kind": kind})
    if account.platform == AccountPlatform.INSTAGRAM_LOGIN and kind in NEEDS_FACEBOOK_LOGIN:
        needs = {"needs": NEEDS_FACEBOOK_LOGIN[kind], "handle": account.handle}
        raise SourceRefused(
            gettext("%(needs)s; @%(handle)s is connected with Instagram Login") % needs
        )
    if account.platform not in KIND_PLATFORMS[SourceKind(kind)]:
        kinds = {"kind": SourceKind(kind).label, "platform": account.get_platform_display()}
        raise SourceRefused(
            gettext("a %(kind)s source needs another kind of account than %(platform)s") % kinds
        )
    if account.status == AccountStatus.DISCONNECTED:
        raise SourceRefused(gettext("the account is disconnected: connect it again first"))
    query = budget.normalise(query) if kind == SourceKind.INSTAGRAM_HASHTAG else query.strip()
    if kind in QUERY_KINDS and not query:
        needs = {"kind": SourceKind(kind).label}
        raise SourceRefused(gettext("a %(kind)s source needs a query") % needs)
    if kind not in QUERY_KINDS:
        query = ""
    with transaction.atomic():
        ConnectedAccount.objects.select_for_update().filter(pk=account.pk).first()
        if Source.objects.filter(account=account, kind=kind, query=query).exists():
            raise SourceRefused(gettext("this account already has that source"))
        if kind == SourceKind.INSTAGRAM_HASHTAG:
            try:
                budget.spend(account, query)
            except budget.BudgetExhausted as exc:
                raise SourceRefused(str(exc)) from None
        source = Source.objects.create(
            account=account,
            kind=kind,
            query=query,
            interval_seconds=interval_seconds or settings.SOURCES_DEFAULT_INTERVAL_SECONDS,
            auto_moderate=auto_moderate,
            next_run_at=timezone.now(),
        )
        source.product_lines.set(product_lines)
    return source


def set_paused(source: Source, paused: bool) -> Source:
    source.paused = paused
    if not paused:
        source.next_run_at = timezone.now()
    source.save(update_fields=["paused", "next_run_at"])
    return source


def run_now(source: Source) -> None:
    """Queue a run at once (one runs at a time: a second waits its turn or is skipped)."""
    from sources.tasks import collect_source

    enqueue_after_commit(collect_source, source.pk, "manual")
