"""Which gallery a visitor sees when the storefront's gallery slot is in an experiment.

Experiments live in `analytics`, which may import `ugc` but not the reverse, so
analytics registers a resolver here when it starts (AnalyticsConfig.ready). Without
one, or when no experiment runs on the slot, every visitor sees the gallery asked for.

Whether a slot has a running experiment is remembered per process for
RUNNING_SECONDS, so that the hot gallery path costs no query: an experiment
starts or stops within that many seconds of its time (or at once, through forget()).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

RUNNING_SECONDS = 10.0


@dataclass(frozen=True)
class GalleryVariant:
    experiment: str  # the experiment's key, as events report it
    variant: str  # the variant's name
    gallery_id: int | None  # the gallery to show; None: a holdout shown nothing


@dataclass(frozen=True)
class Resolver:
    running: Callable[[int, str], bool]  # (site id, slot slug) -> is an experiment running?
    variant: Callable[[int, str, str], GalleryVariant | None]  # (site, slot, visitor)


_resolver: Resolver | None = None
_running: dict[tuple[int, str], tuple[float, bool]] = {}


def register(resolver: Resolver) -> None:
    global _resolver
    _resolver = resolver
    forget()


def forget() -> None:
    """Drop what this process remembers (an experiment was created, moved or stopped)."""
    _running.clear()


def experiment_running(site_id: int, slug: str) -> bool:
    if _resolver is None:
        return False
    now = time.monotonic()
    seen = _running.get((site_id, slug))
    if seen is None or now - seen[0] > RUNNING_SECONDS:
        if len(_running) > 10_000:
            _running.clear()
        seen = (now, bool(_resolver.running(site_id, slug)))
        _running[(site_id, slug)] = seen
    return seen[1]


def variant_for(site_id: int, slug: str, visitor_id: str) -> GalleryVariant | None:
    """The visitor's variant of the slot's running experiment, or None."""
    if not visitor_id or not experiment_running(site_id, slug):
        return None
    return _resolver.variant(site_id, slug, visitor_id)
