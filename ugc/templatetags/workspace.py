"""Template helpers of the workspace: which rendition a tile or a preview shows.

They read the renditions already prefetched with the asset (never a query), so
a grid of any size costs the same number of queries.
"""

from __future__ import annotations

from django import template

register = template.Library()

THUMB_WIDTH = 320
PREFERRED_FORMATS = ("webp", "jpeg", "avif")


def _stills(asset) -> list:
    renditions = [r for r in asset.renditions.all() if r.kind == "image"]
    rank = {fmt: i for i, fmt in enumerate(PREFERRED_FORMATS)}
    return sorted(renditions, key=lambda r: (rank.get(r.format, 99), r.width))


@register.filter
def thumb(asset):
    """The smallest still at least THUMB_WIDTH wide (or the largest there is)."""
    stills = _stills(asset)
    for rendition in stills:
        if rendition.width >= THUMB_WIDTH and rendition.format == stills[0].format:
            return rendition
    return stills[-1] if stills else None


@register.filter
def preview(asset):
    """The widest still in the preferred format, for the large preview."""
    stills = _stills(asset)
    best = [r for r in stills if stills and r.format == stills[0].format]
    return best[-1] if best else None


@register.filter
def video(asset):
    videos = [r for r in asset.renditions.all() if r.kind == "video"]
    return max(videos, key=lambda r: r.width) if videos else None


@register.filter
def placeholder_color(asset):
    colors = asset.dominant_colors or []
    return colors[0] if colors else "#d9dce1"


@register.filter
def percent(value):
    return "" if value is None else f"{float(value) * 100:.0f}%"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def with_param(request, name, value=None):
    """This page's query string with one parameter set (or removed when it already
    has that value, so a facet link toggles), and the cursor dropped."""
    query = request.GET.copy()
    query.pop("cursor", None)
    if value is None or query.get(name) == str(value):
        query.pop(name, None)
    else:
        query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def next_page(request, cursor):
    query = request.GET.copy()
    query["cursor"] = cursor
    return f"?{query.urlencode()}"
