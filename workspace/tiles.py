"""What a thumbnail in a grid shows, worked out once per asset in Python.

A library page is 48 tiles. Through template filters (which rendition, the
placeholder colour, truncation, state labels) and a URL reversal per tile, rendering
them cost more than reading their rows; the template now only prints these fields.
The rows are read with just the columns a tile shows: an asset row also carries its
search vector, measures and metadata, which a grid never needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from ugc.models import Asset, ModerationState, ProcessingState, RightsState
from ugc.selectors import tile_assets
from workspace.templatetags.workspace import placeholder_color, thumb

# Two lines of a tile: enough for the product names a caption usually mentions.
CAPTION_CHARS = 120
ALT_CHARS = 90


@dataclass(frozen=True)
class Image:
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Tile:
    pk: int
    href: str
    colour: str
    image: Image | None
    alt: str
    video: bool
    processing_label: str
    moderation_state: str
    moderation_label: str
    rights_state: str
    rights_label: str
    caption_line: str  # "@handle · caption", shortened


def tile_list(assets: QuerySet[Asset]) -> list[Tile]:
    href = url_pattern("workspace:asset")
    return [tile(asset, href) for asset in tile_assets(assets)]


def tiles_by_id(ids: list[int]) -> dict[int, Tile]:
    return {t.pk: t for t in tile_list(Asset.objects.filter(pk__in=ids))}


def image(asset: Asset) -> Image | None:
    rendition = thumb(asset)
    if rendition is None:
        return None
    return Image(rendition.file.url, rendition.width, rendition.height)


def url_pattern(name: str) -> str:
    """A URL taking one id, with {} in its place: one reversal per list, not per row."""
    return reverse(name, args=[_ID_MARK]).replace(str(_ID_MARK), "{}")


_ID_MARK = 987654321


def shorten(text: str, limit: int) -> str:
    """As the truncatechars filter: at most `limit` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tile(asset: Asset, href: str) -> Tile:
    caption = shorten(asset.caption, CAPTION_CHARS)
    handle = asset.creator.handle if asset.creator else ""
    return Tile(
        pk=asset.pk,
        href=href.format(asset.pk),
        colour=placeholder_color(asset),
        image=image(asset),
        alt=shorten(asset.alt_text or asset.caption, ALT_CHARS),
        video=asset.media_type == "video",
        processing_label=_label(ProcessingState, asset.processing_state),
        moderation_state=asset.moderation_state,
        moderation_label=_label(ModerationState, asset.moderation_state),
        rights_state=asset.rights_state,
        rights_label=_label(RightsState, asset.rights_state),
        caption_line=f"@{handle} · {caption}" if handle else caption,
    )


def _label(choices, value: str) -> str:
    # As get_FOO_display(): a value outside the choices shows as itself.
    return dict(choices.choices).get(value, value)
