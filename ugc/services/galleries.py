"""Every write to galleries and sites: create and edit, pins (add, remove, reorder),
rules, site keys and allowed origins.

Each is a plain function inside one transaction. Saves and deletes of single rows
reach the public cache through the model signals (ugc/delivery/cache.py, connected in
ugc.apps); bulk writes send no signals, so those functions bump the gallery's cache
version themselves, after commit, exactly as the signal receiver would.
Bad input raises django's ValidationError keyed by the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.pages import MIN_CONTRAST, default_brand, hex_colour
from ugc.captions import normalise_tag
from ugc.delivery import cache as gallery_cache
from ugc.models import (
    Asset,
    Gallery,
    GalleryLayout,
    GalleryOrdering,
    GalleryPin,
    GalleryRule,
    Platform,
    Site,
    new_publishable_key,
)
from ugc.territories import country_codes

MAX_GALLERY_SIZE = 500
MAX_PINS_AT_ONCE = 500
MAX_ORIGINS = 50
# scheme://host[:port], nothing after: what a browser sends as Origin.
ORIGIN = re.compile(r"^(https?)://([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$")
HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")
DEFAULT_PORTS = {"http": "80", "https": "443"}


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _one_of(values) -> str:
    return gettext("one of %(names)s") % {"names": ", ".join(values)}


def _bump_after_commit(gallery_id: int) -> None:
    gallery_cache.on_commit(gallery_cache.bump_gallery, gallery_id)


# -- sites ---------------------------------------------------------------------------------


def clean_origin(raw: str) -> str:
    """One allowed origin, as the browser's Origin header will spell it: lower case, no
    default port, no trailing slash. Anything with a path, query or user is refused."""
    text = raw.strip().lower().removesuffix("/")
    match = ORIGIN.match(text)
    if not match or len(text) > 300:
        raise _invalid(
            "allowed_origins",
            gettext(
                "%(given)r is not an origin: scheme://host[:port], "
                "http or https, with no path (e.g. https://shop.example.com)"
            )
            % {"given": raw.strip()[:80]},
        )
    scheme, host, port = match.group(1), match.group(2), match.group(4)
    if port is not None and not 0 < int(port) < 65536:
        out = gettext("%(given)r has a port out of range") % {"given": raw.strip()[:80]}
        raise _invalid("allowed_origins", out)
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def clean_origins(origins) -> list[str]:
    cleaned = list(dict.fromkeys(clean_origin(o) for o in origins if o.strip()))
    if len(cleaned) > MAX_ORIGINS:
        most = gettext("at most %(most)s origins") % {"most": MAX_ORIGINS}
        raise _invalid("allowed_origins", most)
    return cleaned


def _site_fields(name: str, domain: str, locale: str) -> dict:
    name, domain, locale = name.strip(), domain.strip().lower(), locale.strip()
    if not name or len(name) > 200:
        raise _invalid("name", gettext("a site needs a name of 1 to 200 characters"))
    if not HOSTNAME.match(domain) or len(domain) > 255:
        host = gettext("a host name such as shop.example.com (no scheme, no path)")
        raise _invalid("domain", host)
    if len(locale) > 16:
        raise _invalid("locale", gettext("at most 16 characters, e.g. en or de-CH"))
    return {"name": name, "domain": domain, "locale": locale or "en"}


def site_countries(countries) -> list[str]:
    """The countries a site serves, checked as a licence's territory is."""
    try:
        return country_codes(countries)
    except ValidationError as exc:
        raise _invalid("countries", exc.messages[0]) from exc


def _colour(name: str, text: str) -> str:
    if not text.strip():
        return ""
    try:
        return hex_colour(text)
    except ValueError as exc:
        raise _invalid(name, str(exc)) from None


def site_brand(brand_colour: str = "", brand_text_colour: str = "") -> dict:
    """A site's upload page and e-mail colours, each blank (the settings' default) or
    #rrggbb; refused when the text would be unreadable on the brand colour (WCAG's
    4.5:1 for normal text), counting a blank one as the default it stands for."""
    fields = {
        "brand_colour": _colour("brand_colour", brand_colour),
        "brand_text_colour": _colour("brand_text_colour", brand_text_colour),
    }
    brand = default_brand().with_colours(fields["brand_colour"], fields["brand_text_colour"])
    try:
        ratio = brand.contrast()
    except ValueError:
        return fields  # the settings' default is not a hex colour: nothing to measure
    if ratio < MIN_CONTRAST:
        at_fault = "brand_text_colour" if fields["brand_text_colour"] else "brand_colour"
        raise _invalid(
            at_fault,
            gettext(
                "text in %(text)s on %(colour)s has a contrast of %(ratio)s:1, too low to "
                "read (WCAG asks at least %(minimum)s:1); choose a darker or lighter colour"
            )
            % {"text": brand.text_colour, "colour": brand.colour,
               "ratio": f"{ratio:.2f}", "minimum": MIN_CONTRAST},
        )  # fmt: skip
    return fields


@transaction.atomic
def create_site(
    *, name: str, domain: str, allowed_origins=(), locale: str = "en", countries=(),
    brand_colour: str = "", brand_text_colour: str = "", require_upload_email: bool = False,
) -> Site:  # fmt: skip
    """A new storefront with its own publishable key."""
    fields = _site_fields(name, domain, locale)
    return Site.objects.create(
        **fields,
        **site_brand(brand_colour, brand_text_colour),
        require_upload_email=bool(require_upload_email),
        allowed_origins=clean_origins(allowed_origins),
        countries=site_countries(countries),
    )


@transaction.atomic
def update_site(
    site: Site, *, name: str, domain: str, allowed_origins, locale: str, countries=(),
    brand_colour: str = "", brand_text_colour: str = "", require_upload_email: bool = False,
) -> Site:  # fmt: skip
    fields = {**_site_fields(name, domain, locale), **site_brand(brand_colour, brand_text_colour)}
    for attr, value in fields.items():
        setattr(site, attr, value)
    site.require_upload_email = bool(require_upload_email)
    site.allowed_origins = clean_origins(allowed_origins)
    site.countries = site_countries(countries)
    # The signal moves the global version: cached site lookups are re-read, and its
    # galleries, whose assets depend on its countries, are rendered afresh.
    site.save()
    return site


@transaction.atomic
def rotate_site_key(site: Site) -> Site:
    """A new publishable key; pages with the old one stop loading at once."""
    site.publishable_key = new_publishable_key()
    site.save(update_fields=["publishable_key", "updated_at"])
    return site


# -- galleries -------------------------------------------------------------------------------


def _gallery_fields(*, slug, title, layout, size, ordering, product_page) -> dict:
    slug = slug.strip()
    try:
        validate_slug(slug)
    except ValidationError:
        raise _invalid("slug", gettext("letters, digits, hyphens or underscores")) from None
    if len(slug) > 100:
        raise _invalid("slug", gettext("at most %(most)s characters") % {"most": 100})
    if len(title) > 200:
        raise _invalid("title", gettext("at most %(most)s characters") % {"most": 200})
    if layout not in GalleryLayout.values:
        raise _invalid("layout", _one_of(GalleryLayout.values))
    if ordering not in GalleryOrdering.values:
        raise _invalid("ordering", _one_of(GalleryOrdering.values))
    if not isinstance(size, int) or not 1 <= size <= MAX_GALLERY_SIZE:
        most = {"most": MAX_GALLERY_SIZE}
        raise _invalid("size", gettext("a whole number from 1 to %(most)s") % most)
    return {
        "slug": slug,
        "title": title.strip(),
        "layout": layout,
        "size": size,
        "ordering": ordering,
        "product_page": bool(product_page),
    }


def _saved(gallery: Gallery) -> Gallery:
    try:
        with transaction.atomic():
            gallery.save()
    except IntegrityError:
        taken = gettext("this site already has a gallery %(slug)r") % {"slug": gallery.slug}
        raise _invalid("slug", taken) from None
    return gallery


@transaction.atomic
def create_gallery(
    *,
    site: Site,
    slug: str,
    title: str = "",
    layout: str = GalleryLayout.GRID,
    size: int = 24,
    ordering: str = GalleryOrdering.MANUAL,
    product_page: bool = False,
) -> Gallery:
    fields = _gallery_fields(
        slug=slug,
        title=title,
        layout=layout,
        size=size,
        ordering=ordering,
        product_page=product_page,
    )
    return _saved(Gallery(site=site, **fields))


@transaction.atomic
def update_gallery(gallery: Gallery, **changes) -> Gallery:
    """Change a gallery's settings (slug, title, layout, size, ordering, product_page)."""
    current = {
        name: getattr(gallery, name)
        for name in ("slug", "title", "layout", "size", "ordering", "product_page")
    }
    unknown = set(changes) - set(current)
    if unknown:
        raise ValueError(f"not gallery settings: {', '.join(sorted(unknown))}")
    for attr, value in _gallery_fields(**{**current, **changes}).items():
        setattr(gallery, attr, value)
    return _saved(gallery)


# -- pins ------------------------------------------------------------------------------------


@dataclass
class PinOutcome:
    added: list[int] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # {"id", "reason"}


def _locked(gallery: Gallery) -> Gallery:
    """The gallery's row, locked: concurrent pin changes of one gallery take turns, so
    positions and the "already pinned" check stay exact."""
    return Gallery.objects.select_for_update().get(pk=gallery.pk)


@transaction.atomic
def pin_assets(gallery: Gallery, asset_ids) -> PinOutcome:
    """Append assets to the gallery's pins in the order given, skipping (and reporting)
    ones already pinned or that do not exist. A pinned asset that is not publishable yet
    is kept: it shows once it is. Running it twice adds nothing the second time."""
    ids = list(dict.fromkeys(int(i) for i in asset_ids))
    if not ids:
        raise _invalid("ids", gettext("select at least one asset"))
    if len(ids) > MAX_PINS_AT_ONCE:
        most = {"most": MAX_PINS_AT_ONCE}
        raise _invalid("ids", gettext("at most %(most)s assets at once") % most)
    _locked(gallery)
    pinned = dict(GalleryPin.objects.filter(gallery=gallery).values_list("asset_id", "position"))
    existing = set(Asset.objects.filter(pk__in=ids).values_list("pk", flat=True))
    outcome = PinOutcome()
    next_position = max(pinned.values(), default=-1) + 1
    new_pins = []
    for asset_id in ids:
        if asset_id in pinned:
            outcome.skipped.append({"id": asset_id, "reason": gettext("already pinned")})
        elif asset_id not in existing:
            outcome.skipped.append({"id": asset_id, "reason": gettext("no such asset")})
        else:
            new_pins.append(GalleryPin(gallery=gallery, asset_id=asset_id, position=next_position))
            outcome.added.append(asset_id)
            next_position += 1
    if new_pins:
        GalleryPin.objects.bulk_create(new_pins)
        _bump_after_commit(gallery.pk)
    return outcome


@transaction.atomic
def unpin_asset(gallery: Gallery, asset_id: int) -> bool:
    """Remove one pin; False when the asset was not pinned (nothing changes)."""
    _locked(gallery)
    deleted, _ = GalleryPin.objects.filter(gallery=gallery, asset_id=asset_id).delete()
    if deleted:
        _bump_after_commit(gallery.pk)
    return bool(deleted)


@transaction.atomic
def reorder_pins(gallery: Gallery, asset_ids) -> None:
    """Set the pins' order from the full list of pinned asset ids, first to last. The
    list must name every pin exactly once, so an order computed from a stale page is
    refused rather than half applied."""
    ids = [int(i) for i in asset_ids]
    _locked(gallery)
    pins = {pin.asset_id: pin for pin in GalleryPin.objects.filter(gallery=gallery)}
    if len(ids) != len(set(ids)):
        raise _invalid("order", gettext("names an asset twice"))
    if set(ids) != set(pins):
        missing, extra = set(pins) - set(ids), set(ids) - set(pins)
        detail = [gettext("missing %(ids)s") % {"ids": sorted(missing)[:5]}] * bool(missing)
        detail += [gettext("not pinned %(ids)s") % {"ids": sorted(extra)[:5]}] * bool(extra)
        every = gettext("must list every pinned asset once: %(detail)s")
        raise _invalid("order", every % {"detail": "; ".join(detail)})
    changed = []
    for position, asset_id in enumerate(ids):
        pin = pins[asset_id]
        if pin.position != position:
            pin.position = position
            changed.append(pin)
    if changed:
        GalleryPin.objects.bulk_update(changed, ["position"])
        _bump_after_commit(gallery.pk)


# -- rules -------------------------------------------------------------------------------------


@transaction.atomic
def add_rule(
    gallery: Gallery,
    *,
    product_line=None,
    product=None,
    tags=(),
    content_type=None,
    platform: str = "",
    min_score: float | None = None,
) -> GalleryRule:
    """A rule: the gallery also shows publishable assets meeting every condition set."""
    # Spelled as hashtags are stored (ugc.captions), so "#Summer" matches #summer.
    tags = list(dict.fromkeys(normalise_tag(t.strip().lstrip("#")) for t in tags if t.strip()))
    if any(len(t) > 100 for t in tags) or len(tags) > 50:
        raise _invalid("tags", gettext("at most 50 tags of at most 100 characters"))
    if platform and platform not in Platform.values:
        raise _invalid("platform", _one_of(Platform.values))
    if min_score is not None and not 0 <= min_score <= 1:
        raise _invalid("min_score", gettext("a quality score from 0 to 1"))
    conditions = (product_line, product, tags, content_type, platform, min_score is not None)
    if not any(conditions):
        every = gettext("set at least one condition, or it would match every asset")
        raise _invalid("rule", every)
    rule = GalleryRule(
        gallery=gallery,
        product_line=product_line,
        product=product,
        tags=tags,
        content_type=content_type,
        platform=platform,
        min_score=min_score,
    )
    rule.save()  # the signal moves the gallery's version
    return rule


@transaction.atomic
def remove_rule(gallery: Gallery, rule_id: int) -> bool:
    rule = GalleryRule.objects.filter(gallery=gallery, pk=rule_id).first()
    if rule is None:
        return False
    rule.delete()  # the signal moves the gallery's version
    return True
