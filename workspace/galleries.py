"""The workspace's Galleries screen: sites with their keys and allowed origins,
galleries with pins (drag-and-drop order), rules, the embed snippet and a live
preview drawn by the real widget; and "add to gallery" from the library.

Reads are bounded (no query per pin or per gallery); every change is one call into
ugc.services.galleries, whose ValidationError becomes a problem naming the field.

The preview is the storefront widget on the workspace's own page, reading the public
API with the site's key. The fetch is same-origin and a GET, for which browsers send
no Origin header (Fetch standard: Origin goes with CORS-tainted requests and unsafe
methods), so the API's allowed-origins rule, which only judges a request that names
its origin, has nothing to refuse, and no workspace origin is added to any site.
The page says data-ugc-consent="false", so the widget records no impressions or
clicks from coordinators looking at a preview.
"""

from __future__ import annotations

import functools

from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from commerce.models import Product, ProductLine
from core.pages import default_brand
from ugc import selectors
from ugc.delivery.render import LOADER_PATH
from ugc.models import (
    ContentCategory,
    Gallery,
    GalleryLayout,
    GalleryOrdering,
    GalleryPin,
    ModerationState,
    Platform,
    ProcessingState,
    ProductTag,
    Rendition,
    RightsState,
    Site,
)
from ugc.services import galleries as gallery_service
from ugc.services.bulk import BulkResult
from workspace.access import BadInput, can_edit, editor_required, id_list, reader_required
from workspace.actions import BULK_DONE, summary, typed_codes

MAX_GALLERIES_LISTED = 500


def problems_named(view):
    """A service's ValidationError as the workspace's 400 naming the field."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ValidationError as exc:
            name, messages = next(iter(exc.message_dict.items()))
            raise BadInput(name, " ".join(messages)) from exc

    return wrapper


def change(view):
    """A POST by a coordinator (or admin), bad input answered as a problem."""
    return require_POST(editor_required(problems_named(view)))


def _redirect(request, url: str) -> HttpResponse:
    """After a create or a settings change: htmx follows HX-Redirect (a 303 would be
    followed inside its XHR and swapped in); a plain form post follows the 303."""
    if request.htmx:
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
    else:
        response = HttpResponse(status=303)
        response["Location"] = url
    return response


# -- reads -------------------------------------------------------------------------------------


def listed_galleries(galleries=None):
    """Galleries as the list shows them, with their pin and rule counts."""
    galleries = Gallery.objects.all() if galleries is None else galleries
    return galleries.annotate(
        pin_count=Count("pins", distinct=True), rule_count=Count("rules", distinct=True)
    ).order_by("slug")


def sites_with_galleries() -> list[Site]:
    listed = listed_galleries()[:MAX_GALLERIES_LISTED]
    return list(
        Site.objects.order_by("name", "pk").prefetch_related(
            Prefetch("galleries", queryset=listed, to_attr="listed")
        )
    )


def gallery_or_404(pk: int) -> Gallery:
    try:
        return Gallery.objects.select_related("site").get(pk=pk)
    except Gallery.DoesNotExist as exc:
        raise Http404(f"No gallery {pk}") from exc


def _waiting_reason(asset, site: Site, now) -> str:
    """Why a pinned asset is not shown yet, in the coordinator's words."""
    if asset.processing_state != ProcessingState.IN_REVIEW:
        state = asset.get_processing_state_display().lower()
        return gettext("still %(state)s") % {"state": state}
    if asset.moderation_state != ModerationState.APPROVED:
        state = asset.get_moderation_state_display().lower()
        return gettext("not approved (%(state)s)") % {"state": state}
    if asset.rights_state != RightsState.GRANTED:
        state = asset.get_rights_state_display().lower()
        return gettext("rights %(state)s") % {"state": state}
    if asset.rights_expires_at and asset.rights_expires_at <= now:
        return gettext("rights expired")
    if not selectors.is_publishable(asset, now, site=site):
        return _outside_territory(asset, site)
    return gettext("not publishable")


def _outside_territory(asset, site: Site) -> str:
    licensed = ", ".join(asset.licensed_territory)
    if not site.countries:
        return gettext("licensed for %(licensed)s only; this site names no countries") % {
            "licensed": licensed
        }
    return gettext("licensed for %(licensed)s only; this site serves %(countries)s") % {
        "licensed": licensed,
        "countries": ", ".join(site.countries),
    }


def pins_of(gallery: Gallery) -> list[GalleryPin]:
    """The gallery's pins in order, each with its asset and thumbnails and whether the
    storefront shows it (the one selector decides), in three queries whatever the count."""
    pins = list(
        GalleryPin.objects.filter(gallery=gallery)
        .select_related("asset__creator")
        .prefetch_related(
            Prefetch(
                "asset__renditions",
                queryset=Rendition.objects.order_by("kind", "format", "width"),
            )
        )
        .order_by("position", "pk")
    )
    now = timezone.now()
    ids = [pin.asset_id for pin in pins]
    shown = selectors.publishable_assets(now, site=gallery.site).filter(pk__in=ids)
    shown = set(shown.values_list("pk", flat=True))
    unlinked = _products_without_link(ids)
    for pin in pins:
        pin.shown = pin.asset_id in shown
        pin.waiting = "" if pin.shown else _waiting_reason(pin.asset, gallery.site, now)
        pin.unlinked = unlinked.get(pin.asset_id, 0)
    return pins


def _products_without_link(asset_ids: list[int]) -> dict[int, int]:
    """Asset id -> how many of its tagged products have no storefront URL (the widget
    shows those as information: a shopper cannot click through to them)."""
    rows = (
        ProductTag.objects.filter(
            asset_id__in=asset_ids, accepted=True, dismissed=False, product__url=""
        )
        .values("asset_id")
        .annotate(n=Count("id"))
    )
    return {row["asset_id"]: row["n"] for row in rows}


def rules_of(gallery: Gallery) -> list:
    return list(gallery.rules.select_related("product_line", "product", "content_type"))


def embed_snippet(request, gallery: Gallery) -> str:
    """What a storefront pastes: the same HTML as the public embed endpoint gives."""
    loader = request.build_absolute_uri(LOADER_PATH)
    return (
        f'<div data-ugc-gallery="{escape(gallery.slug)}" '
        f'data-ugc-key="{escape(gallery.site.publishable_key)}"></div>'
        f'<script src="{escape(loader)}" async></script>'
    )


def _rule_choices() -> dict:
    return {
        "product_lines": list(ProductLine.objects.order_by("name")[:500]),
        "content_types": list(ContentCategory.objects.order_by("name")[:200]),
        "platforms": Platform.choices,
    }


def _context(request, **extra) -> dict:
    return {"can_edit": can_edit(request.user), "brand_defaults": default_brand(), **extra}


# -- pages ---------------------------------------------------------------------------------------


@require_GET
@reader_required
def galleries_view(request):
    context = _context(
        request,
        sites=sites_with_galleries(),
        layouts=GalleryLayout.choices,
        orderings=GalleryOrdering.choices,
    )
    return render(request, "workspace/galleries.html", context)


@require_GET
@reader_required
def gallery_view(request, pk: int):
    gallery = gallery_or_404(pk)
    context = _context(
        request,
        gallery=gallery,
        pins=pins_of(gallery),
        rules=rules_of(gallery),
        snippet=embed_snippet(request, gallery),
        layouts=GalleryLayout.choices,
        orderings=GalleryOrdering.choices,
        **_rule_choices(),
    )
    return render(request, "workspace/gallery.html", context)


@require_GET
@reader_required
def gallery_options_view(request):
    """The library's "add to gallery" choices, loaded when the library page opens."""
    options = Gallery.objects.select_related("site").order_by("site__name", "slug")
    return render(
        request,
        "workspace/_gallery_options.html",
        {"galleries": options[:MAX_GALLERIES_LISTED]},
    )


# -- changes: sites ------------------------------------------------------------------------------


def _site_input(data) -> dict:
    return {
        "name": data.get("name", ""),
        "domain": data.get("domain", ""),
        "allowed_origins": data.get("allowed_origins", "").split(),
        "locale": data.get("locale", "en"),
        "countries": typed_codes(data.get("countries", "")),
        "brand_colour": data.get("brand_colour", ""),
        "brand_text_colour": data.get("brand_text_colour", ""),
        "require_upload_email": data.get("require_upload_email") in ("on", "true", "1"),
    }


@change
def site_create_view(request):
    gallery_service.create_site(**_site_input(request.POST))
    return _redirect(request, reverse("workspace:galleries"))


def _site_or_404(pk: int) -> Site:
    site = Site.objects.filter(pk=pk).first()
    if site is None:
        raise Http404(f"No site {pk}")
    return site


def _site_panel(request, site: Site, message: str):
    site.listed = list(listed_galleries(site.galleries.all())[:MAX_GALLERIES_LISTED])
    context = _context(request, site=site, message=message)
    return render(request, "workspace/_site.html", context)


@change
def site_edit_view(request, pk: int):
    site = _site_or_404(pk)
    gallery_service.update_site(site, **_site_input(request.POST))
    return _site_panel(request, site, gettext("Saved %(name)s") % {"name": site.name})


@change
def site_rotate_key_view(request, pk: int):
    site = gallery_service.rotate_site_key(_site_or_404(pk))
    message = gettext("New key made: pages with the old key stop loading")
    return _site_panel(request, site, message)


# -- changes: galleries -----------------------------------------------------------------------


def _gallery_input(data) -> dict:
    size = data.get("size", "").strip()
    try:
        size = int(size) if size else 24
    except ValueError as exc:
        given = {"given": repr(size[:20])}
        raise BadInput("size", gettext("must be a whole number, not %(given)s") % given) from exc
    return {
        "slug": data.get("slug", ""),
        "title": data.get("title", ""),
        "layout": data.get("layout", GalleryLayout.GRID),
        "size": size,
        "ordering": data.get("ordering", GalleryOrdering.MANUAL),
        "product_page": data.get("product_page") in ("on", "true", "1"),
    }


@change
def gallery_create_view(request):
    site_id = (request.POST.get("site") or "").strip()
    site = Site.objects.filter(pk=int(site_id)).first() if site_id.isdigit() else None
    if site is None:
        raise BadInput("site", gettext("choose the site the gallery is for"))
    gallery = gallery_service.create_gallery(site=site, **_gallery_input(request.POST))
    return _redirect(request, reverse("workspace:gallery", args=[gallery.pk]))


@change
def gallery_settings_view(request, pk: int):
    gallery = gallery_or_404(pk)
    gallery_service.update_gallery(gallery, **_gallery_input(request.POST))
    return _redirect(request, reverse("workspace:gallery", args=[gallery.pk]))


def _pins_panel(request, gallery: Gallery, message: str, warn: bool = False):
    context = _context(request, gallery=gallery, pins=pins_of(gallery), message=message, warn=warn)
    return render(request, "workspace/_pins.html", context)


@change
def gallery_pins_view(request, pk: int):
    """Append assets (the library's "add to gallery", or ids typed on the gallery page)."""
    gallery = gallery_or_404(pk)
    result = gallery_service.pin_assets(gallery, id_list(request.POST))
    outcome = BulkResult(done=result.added, skipped=result.skipped)
    done = summary(outcome, BULK_DONE["pin"])
    where = {"summary": done, "gallery": gallery.title or gallery.slug}
    message = gettext("%(summary)s in %(gallery)s") % where
    if request.headers.get("HX-Target") == "pins-panel":
        return _pins_panel(request, gallery, message, warn=bool(result.skipped))
    context = {"message": message, "outcome": outcome}
    return render(request, "workspace/_bulk_result.html", context)


@change
def gallery_unpin_view(request, pk: int, asset_id: int):
    gallery = gallery_or_404(pk)
    if not gallery_service.unpin_asset(gallery, asset_id):
        raise BadInput("asset", gettext("asset %(pk)s is not pinned here") % {"pk": asset_id})
    return _pins_panel(request, gallery, gettext("Unpinned asset %(pk)s") % {"pk": asset_id})


@change
def gallery_order_view(request, pk: int):
    """The whole order at once, first to last, as the drag-and-drop list sends it."""
    gallery = gallery_or_404(pk)
    gallery_service.reorder_pins(gallery, id_list(request.POST, "order"))
    return _pins_panel(request, gallery, gettext("Order saved"))


def _optional_float(data, name: str) -> float | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        message = gettext("must be a number from 0 to 1, not %(given)s") % {"given": repr(raw[:20])}
        raise BadInput(name, message) from exc


def _rule_input(data) -> dict:
    line_slug = (data.get("product_line") or "").strip()
    line = ProductLine.objects.filter(slug=line_slug).first() if line_slug else None
    if line_slug and line is None:
        given = {"given": repr(line_slug[:60])}
        raise BadInput("product_line", gettext("no product line %(given)s") % given)
    sku = (data.get("product") or "").strip()
    product = Product.objects.filter(sku=sku).first() if sku else None
    if sku and product is None:
        given = {"given": repr(sku[:60])}
        raise BadInput("product", gettext("no product with SKU %(given)s") % given)
    type_slug = (data.get("content_type") or "").strip()
    content_type = ContentCategory.objects.filter(slug=type_slug).first() if type_slug else None
    if type_slug and content_type is None:
        given = {"given": repr(type_slug[:60])}
        raise BadInput("content_type", gettext("no content type %(given)s") % given)
    return {
        "product_line": line,
        "product": product,
        "tags": data.get("tags", "").replace(",", " ").split(),
        "content_type": content_type,
        "platform": (data.get("platform") or "").strip(),
        "min_score": _optional_float(data, "min_score"),
    }


def _rules_panel(request, gallery: Gallery, message: str):
    context = _context(
        request, gallery=gallery, rules=rules_of(gallery), message=message, **_rule_choices()
    )
    return render(request, "workspace/_rules.html", context)


@change
def gallery_rule_add_view(request, pk: int):
    gallery = gallery_or_404(pk)
    gallery_service.add_rule(gallery, **_rule_input(request.POST))
    return _rules_panel(request, gallery, gettext("Rule added"))


@change
def gallery_rule_remove_view(request, pk: int, rule_id: int):
    gallery = gallery_or_404(pk)
    if not gallery_service.remove_rule(gallery, rule_id):
        raise BadInput("rule", gettext("this gallery has no rule %(pk)s") % {"pk": rule_id})
    return _rules_panel(request, gallery, gettext("Rule removed"))
