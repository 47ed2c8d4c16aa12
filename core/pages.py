"""Pages and e-mails people outside the workspace see (shoppers, creators), in the
brand's name and colours: the settings' (BRAND_NAME, BRAND_COLOUR, BRAND_TEXT_COLOUR),
or a storefront's own colours where it has some (ugc's Site.brand() builds that Brand
from this one)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django.conf import settings
from django.shortcuts import render

# WCAG 2.x, success criterion 1.4.3: normal text needs 4.5:1 against its background.
MIN_CONTRAST = 4.5
HEX_COLOUR = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str  # the header's and buttons' background
    text_colour: str  # the text on it

    def values(self) -> dict[str, str]:
        """What the templates read."""
        return {"brand": self.name, "colour": self.colour, "text_colour": self.text_colour}

    def contrast(self) -> float:
        return contrast_ratio(self.text_colour, self.colour)

    def with_colours(self, colour: str = "", text_colour: str = "") -> Brand:
        """This brand with the colours given; a blank one keeps this brand's."""
        return replace(
            self, colour=colour or self.colour, text_colour=text_colour or self.text_colour
        )


def default_brand() -> Brand:
    return Brand(settings.BRAND_NAME, settings.BRAND_COLOUR, settings.BRAND_TEXT_COLOUR)


def brand_page(request, template: str, status: int = 200, *, brand: Brand | None = None, **values):
    values.update((brand or default_brand()).values())
    return render(request, template, values, status=status)


def hex_colour(text: str) -> str:
    """A colour as #rrggbb in lower case, from #rgb or #rrggbb; ValueError otherwise."""
    colour = text.strip().lower()
    if not HEX_COLOUR.match(colour):
        raise ValueError(
            f"{text.strip()[:20]!r} is not a colour: write it as #rrggbb, e.g. #1f4e79"
        )
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.x) of a #rrggbb colour."""
    channels = []
    for at in (1, 3, 5):
        c = int(colour[at : at + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG's contrast ratio, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted(
        (_luminance(hex_colour(foreground)), _luminance(hex_colour(background))), reverse=True
    )
    return (light + 0.05) / (dark + 0.05)
