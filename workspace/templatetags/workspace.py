"""Template helpers of the workspace: which rendition a tile or a preview shows.

They read the renditions already prefetched with the asset (never a query), so
a grid of any size costs the same number of queries.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.html import json_script
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

register = template.Library()

THUMB_WIDTH = 320
PREFERRED_FORMATS = ("webp", "jpeg", "avif")
# Babel's pattern for English amounts: the figure, then the ISO code.
ENGLISH_MONEY = "#,##0.00 \xa4\xa4"


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


@register.filter
def not_shoppable(pins) -> int:
    """How many pins show a product without a storefront URL (see galleries.pins_of)."""
    return sum(1 for pin in pins if getattr(pin, "unlinked", 0))


# What the workspace's script says, in the page's language (frontend/src/workspace.js
# reads it by key from the JSON that script_strings writes; {name} marks a value).
SCRIPT_STRINGS = {
    "selected": _("{count} selected"),
    "select_first": _("Select assets first (click, or X on the focused one)."),
    "select_first_short": _("Select assets first."),
    "choose_gallery": _("Choose a gallery (make one on the Galleries page)."),
    "choose_reason": _("Choose a reason to reject with (1–9, or from the list)."),  # noqa: RUF001
    "hotspot_at": _("At {x}, {y}"),
    "not_shoppable": _(
        "{title} has no storefront URL: the gallery will show it as information, "
        "not as a link to shop."
    ),
    "copied": _("Message copied"),
    "impressions": _("Impressions"),
    "clicks": _("Clicks"),
    "request_failed": _("Request failed ({status})"),
}


@register.simple_tag
def script_strings():
    words = {key: str(text) for key, text in SCRIPT_STRINGS.items()}
    return json_script(words, "workspace-strings")


@register.filter
def money(amount, currency):
    """An amount in its currency as the page's language writes it: "1 234,50 €" in
    French; English keeps the team's "1,234.50 EUR"."""
    if amount is None or amount == "":
        return ""
    if not currency:
        return number_format(amount, 2, use_l10n=True, force_grouping=True)
    language = get_language() or settings.LANGUAGE_CODE
    pattern = ENGLISH_MONEY if language.startswith("en") else None
    return format_currency(
        Decimal(str(amount)), currency, format=pattern, locale=to_locale(language)
    )


@register.filter
def attribution_model(name: str) -> str:
    """An attribution model's label ("Last touch") for its code ("last_touch")."""
    # Imported here: the dashboard imports the tiles, which load these helpers.
    from workspace.dashboard import MODEL_LABELS

    return MODEL_LABELS.get(name, name)
