"""The buyer's pages: a link's click, the upload page, unsubscribing.

Thin: read the signed token, call a service, answer a page in words. A forged
link is a 400, an expired one a 410, never a 500.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError
from django.shortcuts import redirect
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from commerce.models import Product
from core.pages import brand_page, default_brand
from outreach import links, selectors, wording
from outreach.forms import UploadForm
from outreach.models import PhotoRequest, RequestLink
from outreach.services import engagement, uploads
from ugc.ingest.uploads import capped_uploads
from ugc.models import Site

logger = logging.getLogger(__name__)

# Products offered in the page's search list (the shopper types to filter them).
PRODUCT_CHOICES = 500


def _page(request, template: str, status: int = 200, *, site: Site | None = None, **values):
    """A buyer's page in its storefront's colours (the settings' without a site)."""
    brand = site.brand() if site is not None else None
    return brand_page(
        request, f"outreach/pages/{template}", status, brand=brand, site=site, **values
    )


def _problem(request, error: links.BadLink, site: Site | None = None):
    words = wording.words(_language(request, site))
    heading = "link_expired_heading" if error.expired else "link_invalid_heading"
    return _page(request, "problem.html", 410 if error.expired else 400, site=site,
                 heading=words[heading], message=words[error.word])  # fmt: skip


def _gone(request):
    words = wording.words(_language(request))
    return _page(request, "problem.html", 404, heading=words["request_gone_heading"],
                 message=words["request_gone"])  # fmt: skip


@require_GET
def click_view(request, token: str):
    """Count the click once, then on to the upload page."""
    try:
        link = links.read_upload_token(token)
    except links.BadLink as error:
        return _problem(request, error)
    found = engagement.record_click(link.request_id, link.product_id)
    if found is None:
        return _gone(request)
    return redirect(links.upload_path(found.request.site_id, token))


def _link(request, site: Site) -> RequestLink | None:
    """The request link named by ?token=, or None without one; BadLink when unusable."""
    token = request.GET.get("token", "")
    if not token:
        return None
    link = links.read_upload_token(token)
    found = (
        RequestLink.objects.select_related("request__order", "product")
        .filter(request_id=link.request_id, product_id=link.product_id)
        .first()
    )
    if found is None:
        raise links.BadLink("This photo request no longer exists.", word="request_gone")
    if (found.request.site_id or 0) != site.pk:
        raise links.BadLink("This link belongs to another site.", word="other_site")
    return found


def _order_name(link: RequestLink) -> str:
    return link.request.order.name or link.request.order.shop_order_id


def _language(request, site: Site | None = None) -> str:
    """The shopper's language: their browser's, else the site's (a link's page may have
    no site yet), else the first the page speaks."""
    locale = site.locale if site is not None else ""
    return wording.shopper_language(request.headers.get("Accept-Language", ""), locale)


def _email_required(site: Site) -> bool:
    """The site asks for an address on every upload, or the whole product does."""
    return site.require_upload_email or settings.UPLOAD_REQUIRE_EMAIL


def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _with_cors(response, request, site: Site):
    """The shop's own origins may read the page (the widget's overlay); no one else."""
    origin = request.headers.get("Origin")
    if origin and origin in (site.allowed_origins or []):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
    response["Vary"] = "Origin, Accept-Language"
    return response


# The body must not be parsed before the capped handler is in place, and the CSRF check
# reads it: so the check runs inside, once the handler is installed (capped_uploads).
@csrf_exempt
@require_http_methods(["GET", "POST"])
@capped_uploads(cap=lambda: settings.UPLOAD_MAX_BYTES)
def upload_view(request, site: str):
    """The storefront upload page: the form, and what came of a sending."""
    found = selectors.page_site(site)
    if found is None:
        words = wording.words(_language(request))
        return _page(request, "problem.html", 404, heading=words["shop_gone_heading"],
                     message=words["shop_gone"])  # fmt: skip
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin and origin != _own_origin(request) and origin not in found.allowed_origins:
            words = wording.words(_language(request, found))
            return _page(request, "problem.html", 403, site=found,
                         heading=words["refused_form"],
                         message=words["foreign_origin"])  # fmt: skip
        response = _upload(request, found)
    else:
        response = _upload_page(request, found)
    return _with_cors(response, request, found)


def _upload_page(request, site: Site, form=None, status: int = 200, **values):
    language = _language(request, site)
    words = wording.words(language)
    try:
        link = _link(request, site)
    except links.BadLink as error:
        return _problem(request, error, site)
    product = link.product if link else None
    if product is None and request.GET.get("product"):
        product = Product.objects.filter(sku=request.GET["product"]).first()
    if form is None:
        form = UploadForm(words=words, require_email=_email_required(site),
                          initial={"product": product.sku if product else ""})  # fmt: skip
    with translation.override(language):
        return _page(
            request, "upload.html", status, site=site,
            form=form, words=words, language=language, link=link, product=product,
            products=Product.objects.order_by("title").values("sku", "title")[:PRODUCT_CHOICES],
            terms_text=wording.terms_text(language),
            heading=words["heading_product"].format(product=product.title)
            if product else words["title"],
            verified=words["verified"].format(order=_order_name(link)) if link else "",
            files_help=words["files_help"].format(
                count=settings.UPLOAD_MAX_FILES, size=settings.UPLOAD_MAX_BYTES // 2**20
            ),
            **values,
        )  # fmt: skip


@csrf_protect
def _upload(request, site: Site):
    language = _language(request, site)
    words = wording.words(language)
    try:
        link = _link(request, site)
        if link is not None:
            uploads.check_link(link)
    except links.BadLink as error:
        return _problem(request, error, site)
    except uploads.LinkUsed:
        return _page(request, "problem.html", 409, site=site, heading=words["refused_form"],
                     message=words["link_used"])  # fmt: skip
    with translation.override(language):
        form = UploadForm(request.POST, words=words, require_email=_email_required(site),
                          fixed_product=link.product if link else None)  # fmt: skip
        files = request.FILES.getlist("files")
        valid = form.is_valid()
        form.check_files(files)
        if form.is_bot:
            return _page(request, "problem.html", 400, site=site, heading=words["refused_form"],
                         message=words["refused_form"])  # fmt: skip
        if not valid or form.errors:
            return _upload_page(request, site, form, 400, choose_again=True)
    data = form.cleaned_data
    address = request.META.get("REMOTE_ADDR", "")
    if not uploads.within_limits(address, data["email"]):
        return _upload_page(request, site, form, 429, limit_message=words["rate_limited"])
    submission = uploads.Submission(
        site_id=site.pk, name=data["name"], caption=data["caption"], email=data["email"],
        product_sku=data["product"].sku if data["product"] else "",
        terms_text=wording.terms_text(language), language=language, address=address, link=link,
    )  # fmt: skip
    try:
        results = uploads.submit(files, submission)
    except uploads.LinkUsed:
        return _page(request, "problem.html", 409, site=site, heading=words["refused_form"],
                     message=words["link_used"])  # fmt: skip
    except DatabaseError:
        # The submission was rolled back and its stored files removed (submit): nothing
        # of it is kept, so the shopper may simply send it again.
        logger.exception("a shopper's upload to site %s could not be saved", site.pk)
        response = _page(request, "problem.html", 503, heading=words["refused_form"],
                         message=words["not_saved"])  # fmt: skip
        response["Retry-After"] = str(settings.DATABASE_RETRY_AFTER_SECONDS)
        return response
    accepted = any(r["status"] == "created" for r in results)
    with translation.override(language):  # each refusal's reason (core/reasons.py)
        return _page(
            request, "upload_done.html", 200 if accepted else 400, site=site,
            words=words, language=language, results=results, accepted=accepted,
        )  # fmt: skip


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, token: str):
    """GET asks (link scanners must not unsubscribe anyone); POST unsubscribes."""
    try:
        request_id = links.read_unsubscribe_token(token)
    except links.BadLink as error:
        return _problem(request, error)
    asked = PhotoRequest.objects.select_related("site").filter(pk=request_id).first()
    site = asked.site if asked else None
    done = request.method == "POST"
    if done:
        engagement.unsubscribe(request_id)
    # The language the request's e-mails were written in, so the page answers in it.
    language = asked.language if asked else ""
    if language not in wording.WORDS:
        language = _language(request, site)
    words = wording.words(language)
    text = words["unsubscribed_text" if done else "stop_text"]
    brand = (site.brand() if site else default_brand()).name
    return _page(request, "unsubscribe.html", site=site, done=done, words=words,
                 text=text.format(brand=brand), language=language)  # fmt: skip
