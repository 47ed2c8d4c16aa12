"""The products screen: find a product by name or SKU and set its storefront URL
and title; and the product picker the hotspot editor and the tag dialog ask as the
coordinator types (the asset's suggestions first, then the search's hits)."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from commerce import selectors as catalog
from commerce.models import Product
from commerce.services.catalog import write_product
from ugc.models import Asset
from ugc.services.tagging import suggested_products
from workspace.access import (
    BadInput,
    can_edit,
    editor_required,
    int_param,
    reader_required,
)

LIST_SIZE = 50
QUERY_MAX = 200


class ProductForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Storefront URL"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("The product's page on the shop; without it, photos show it unlinked."),
    )

    class Meta:
        model = Product
        fields = ["title", "url"]


def _query(data) -> str:
    # The picker's field is the form's "product" field; the list's is "q".
    text = data.get("q") or data.get("product") or ""
    return text.replace("\x00", "").strip()[:QUERY_MAX]


def picker_options(query: str, asset: Asset | None, limit: int) -> list[dict]:
    """What the picker offers: suggestions for the asset that match what was typed,
    then products whose name or SKU holds it; no product twice."""
    options: dict[int, dict] = {}
    words = catalog.fold(query).split()
    for product, why in suggested_products(asset, limit=limit) if asset else []:
        text = catalog.fold(f"{product.title} {product.sku}")
        if all(word in text for word in words):
            options[product.pk] = _option(product, why)
    for product in catalog.search_products(query, limit=limit) if words else []:
        options.setdefault(product.pk, _option(product, ""))
    return list(options.values())[:limit]


def _option(product: Product, suggested_because: str) -> dict:
    return {
        "sku": product.sku,
        "title": product.title,
        "price": None if product.price is None else str(product.price),
        "currency": product.currency,
        "url": product.url,
        "shoppable": bool(product.url),
        "suggested": suggested_because,
    }


@require_GET
@reader_required
def product_search_view(request):
    """GET ?q=words[&asset=id][&for=field id][&format=json]: up to 10 options, as the
    list htmx swaps in under the field, or as JSON."""
    asset = None
    if request.GET.get("asset"):
        asset = get_object_or_404(Asset, pk=int_param(request.GET, "asset"))
    options = picker_options(_query(request.GET), asset, catalog.PRODUCT_SEARCH_LIMIT)
    if request.GET.get("format") == "json" or "json" in request.headers.get("Accept", ""):
        return JsonResponse({"results": options})
    target = (request.GET.get("for") or "hotspot-product")[:40]
    if not target.replace("-", "").isalnum():
        raise BadInput("for", gettext("the id of the field the options fill"))
    context = {"options": options, "target": target, "query": _query(request.GET)}
    return render(request, "workspace/_product_options.html", context)


@require_GET
@reader_required
def products_view(request):
    query = _query(request.GET)
    missing = request.GET.get("missing") == "url"
    if query:
        found = catalog.search_products(query, limit=LIST_SIZE)
        products = [p for p in found if not (missing and p.url)]
    else:
        listed = Product.objects.filter(url="") if missing else Product.objects.all()
        products = list(listed.order_by("title", "sku")[:LIST_SIZE])
    context = {
        "can_edit": can_edit(request.user),
        "products": products,
        "query": query,
        "missing": missing,
        "without_url": Product.objects.filter(url="").count(),
        "total": Product.objects.count(),
    }
    template = "workspace/_product_rows.html" if request.htmx else "workspace/products.html"
    return render(request, template, context)


@require_POST
@editor_required
def product_edit_view(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST, instance=Product.objects.get(pk=pk))
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise BadInput(field, " ".join(errors))
    product = write_product(product=product, data=form.cleaned_data)
    context = {
        "can_edit": True,
        "product": product,
        "message": gettext("Saved %(sku)s") % {"sku": product.sku},
    }
    return render(request, "workspace/_product_row.html", context)
