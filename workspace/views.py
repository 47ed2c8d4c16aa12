"""The coordinator's workspace: library, asset, review queue, rights and imports.

Server-rendered pages; htmx swaps the parts that change. Every read goes through
ugc.selectors / ugc.search and every change through ugc.services (via
workspace.actions), exactly as the API does: no logic of their own here.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from commerce.models import ProductLine
from ugc.api.serializers import UploadSerializer
from ugc.ingest.uploads import capped_uploads, ingest_uploads, upload_item
from ugc.models import (
    Asset,
    GrantMethod,
    ImportRun,
    LicensedUse,
    ModerationState,
    Platform,
    RejectionReason,
    Rendition,
)
from workspace import actions, library, pages, tiles
from workspace.access import (
    BadInput,
    can_edit,
    editor_required,
    id_list,
    reader_required,
    validated,
)


def _choices() -> dict:
    """What the action dialogs offer; a few short lists."""
    return {
        "reasons": list(RejectionReason.objects.filter(active=True).order_by("label")),
        "product_lines": list(ProductLine.objects.order_by("name")[:500]),
        "grant_methods": GrantMethod.choices,
        "licensed_uses": LicensedUse.choices,
    }


def _context(request, **extra) -> dict:
    """The page's context; an asset shown to an editor comes with the rights request
    it would send (drafted in the creator's language), to read and edit first."""
    context = {"can_edit": can_edit(request.user), **extra}
    asset = extra.get("asset")
    if asset is not None and context["can_edit"]:
        context["draft"] = pages.request_draft(asset)
    return context


# -- 1. library ----------------------------------------------------------------------------


@require_GET
@reader_required
def library_view(request):
    query = library.parse(request.GET)
    page = library.page(query)
    context = _context(request, page=page, query=query)
    if request.htmx and query.cursor:
        return render(request, "workspace/_tiles.html", context)
    facets = library.facet_groups(
        _facet_base(query, page), whole_library=not (query.narrowed or query.searching)
    )
    context.update(
        facets=facets,
        chips=library.filter_chips(request.GET, facets),
        sorts=library.sort_labels(query),
        arrivals=library.arrivals(),
        **_choices(),
    )
    return render(request, "workspace/library.html", context)


def _facet_base(query, page):
    # While searching, the facets count the hits shown, not the whole filtered set.
    if query.searching:
        return query.filtered.filter(pk__in=[asset.pk for asset in page.assets])
    return query.filtered


@require_POST
@editor_required
def bulk_view(request):
    ids = id_list(request.POST)
    outcome, done = actions.bulk(request.POST.get("action", ""), ids, request.POST, request.user)
    changed = tiles.tile_list(Asset.objects.filter(pk__in=ids).order_by("pk"))
    return render(
        request,
        "workspace/_bulk_result.html",
        _context(request, changed=changed, message=actions.summary(outcome, done), outcome=outcome),
    )


# -- 2. asset --------------------------------------------------------------------------------


def _asset_or_404(pk: int) -> Asset:
    try:
        return pages.asset_detail(pk)
    except Asset.DoesNotExist as exc:
        raise Http404(f"No asset {pk}") from exc


@require_GET
@reader_required
def asset_view(request, pk: int):
    asset = _asset_or_404(pk)
    score = pages.score_parts(asset)
    related = pages.related(asset)
    currency = pages.revenue_currency()
    context = _context(
        request,
        asset=asset,
        others=related.others,
        duplicates=related.duplicates,
        similar=related.similar,
        score=score,
        explanation=pages.score_explanation(asset, score, currency) if score else None,
        kpis=pages.daily_kpis(asset),
        licence=pages.licence_panel(asset),
        currency=currency,
        history=pages.history(asset),
        undoable=actions.undoable(asset),
        **_choices(),
    )
    return render(request, "workspace/asset.html", context)


@require_POST
@editor_required
def asset_moderate_view(request, pk: int):
    asset = _moderate(request, pk)
    state = asset.get_moderation_state_display()
    message = gettext("Asset %(pk)s is now %(state)s") % {"pk": pk, "state": state}
    return _asset_state(request, pk, message)


@require_POST
@editor_required
def asset_undo_view(request, pk: int):
    asset = actions.undo(get_object_or_404(Asset, pk=pk), request.user)
    state = asset.get_moderation_state_display()
    message = gettext("Undone: asset %(pk)s is %(state)s again") % {"pk": pk, "state": state}
    return _asset_state(request, pk, message)


@require_POST
@editor_required
def asset_rights_view(request, pk: int):
    message = _answer_rights(request, pk)
    return _asset_state(request, pk, message)


def _moderate(request, pk: int) -> Asset:
    asset = get_object_or_404(Asset, pk=pk)
    actions.moderate_one(asset, request.POST.get("decision", ""), request.POST, request.user)
    return asset


def _answer_rights(request, pk: int) -> str:
    asset = get_object_or_404(Asset.objects.select_related("creator"), pk=pk)
    return actions.answer_rights(asset, request.POST.get("answer", ""), request.POST, request.user)


def _asset_state(request, pk: int, message: str):
    asset = pages.asset_detail(pk)
    context = _context(
        request, asset=asset, message=message, undoable=actions.undoable(asset), **_choices()
    )
    return render(request, "workspace/_asset_state.html", context)


@require_POST
@editor_required
def review_rights_view(request, pk: int):
    """Rights asked from the review queue: the same asset stays up for its decision."""
    message = _answer_rights(request, pk)
    return _review_stage(request, pages.asset_detail(pk), message)


@require_POST
@editor_required
def hotspot_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    item = actions.place_hotspot(asset, request.POST, request.user)
    if not item.url:
        message = gettext(
            "Placed %(title)s, but it has no storefront URL: the gallery shows it "
            "as information, not as a link to shop. Add its URL on the Products page."
        ) % {"title": item.title}
        return _products(request, pk, message, warn=True)
    return _products(request, pk, gettext("Placed %(title)s") % {"title": item.title})


@require_POST
@editor_required
def untag_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    item = actions.product(request.POST.get("product", ""))
    if not actions.tagging.untag_product(asset, item, actor=request.user):
        message = gettext("%(sku)s is not tagged on asset %(pk)s") % {"sku": item.sku, "pk": pk}
        raise BadInput("product", message)
    return _products(request, pk, gettext("Removed %(sku)s") % {"sku": item.sku})


def _products(request, pk: int, message: str, warn: bool = False):
    context = _context(request, asset=pages.asset_detail(pk), message=message, warn=warn)
    return render(request, "workspace/_products.html", context)


# -- 3. review queue ------------------------------------------------------------------------


@require_GET
@reader_required
def review_view(request):
    context = _review_context(request, pages.next_in_review())
    return render(request, "workspace/review.html", context)


@require_POST
@editor_required
def review_decide_view(request, pk: int):
    asset = _moderate(request, pk)
    approved = asset.moderation_state == ModerationState.APPROVED
    done = gettext("Approved asset %(pk)s") if approved else gettext("Rejected asset %(pk)s")
    return _review_stage(request, pages.next_in_review(after_pk=pk), done % {"pk": pk}, pk)


@require_POST
@editor_required
def review_undo_view(request, pk: int):
    """Undo the decision just made in the queue and bring that asset back on stage."""
    actions.undo(get_object_or_404(Asset, pk=pk), request.user)
    message = gettext("Undone: asset %(pk)s is back") % {"pk": pk}
    return _review_stage(request, pages.asset_detail(pk), message)


@require_POST
@editor_required
def review_tag_view(request, pk: int):
    """Tag the asset on stage with a product or a product line: it stays up for its
    decision."""
    message = actions.tag_one(get_object_or_404(Asset, pk=pk), request.POST, request.user)
    return _review_stage(request, pages.asset_detail(pk), message)


def _review_stage(request, asset, message: str, decided: int | None = None):
    context = _review_context(request, asset, message=message, decided=decided)
    return render(request, "workspace/_review_stage.html", context)


def _review_context(request, asset, **extra) -> dict:
    """The stage: the asset, how many wait, and the product lines worth tagging on it."""
    lines = actions.tagging.suggested_lines(asset) if asset and can_edit(request.user) else []
    waiting = pages.review_queue().count()
    return _context(
        request, asset=asset, waiting=waiting, suggested_lines=lines, **extra, **_choices()
    )


# -- 4. rights -------------------------------------------------------------------------------


@require_POST
@editor_required
def rights_answer_view(request, pk: int):
    message = _answer_rights(request, pk)
    return render(request, "workspace/_message.html", {"message": message})


# -- 7. imports and tasks ----------------------------------------------------------------------


@require_GET
@reader_required
def imports_view(request):
    context = _context(
        request,
        runs=pages.import_runs(),
        failed=pages.failed_assets(),
        backlog=pages.pipeline_backlog(),
        platforms=Platform.choices,
    )
    return render(request, "workspace/imports.html", context)


# The body must not be parsed before the capped handler is in place, and the CSRF
# check reads it: so the check runs inside, once the handler is installed
# (capped_uploads; Django's documented way for custom upload handlers).
@csrf_exempt
@require_POST
@capped_uploads()
def upload_view(request):
    return _upload(request)


# An upload's outcome (ugc.services.ingest's status codes) in the coordinator's words.
UPLOAD_OUTCOMES = {
    "created": _("added"),
    "updated": _("updated"),
    "duplicate": _("already in the library"),
    "failed": _("failed"),
}


@csrf_protect
@editor_required
def _upload(request):
    data = request.POST.copy()
    data.setlist("files", request.FILES.getlist("files"))
    fields = validated(UploadSerializer(data=data))
    files = fields.pop("files")
    results = ingest_uploads(
        files, upload_item(fields), actor=request.user, note="uploaded in the workspace"
    )
    ids = [r["asset_id"] for r in results if r["asset_id"]]
    for result in results:
        result["outcome"] = UPLOAD_OUTCOMES.get(result["status"], result["status"])
    context = _context(request, results=results, ids=ids, progress=pages.processing_progress(ids))
    return render(request, "workspace/_upload_result.html", context)


@require_GET
@reader_required
def progress_view(request):
    ids = id_list(request.GET)
    context = _context(
        request,
        ids=ids,
        progress=pages.processing_progress(ids),
        failed=pages.failed_assets(ids),
    )
    return render(request, "workspace/_progress.html", context)


@require_POST
@editor_required
def retry_view(request):
    ids = id_list(request.POST)
    queued = actions.retry_processing(ids, request.user)
    context = _context(
        request,
        ids=ids,
        progress=pages.processing_progress(ids),
        failed=[],
        message=ngettext(
            "Queued %(count)s asset for processing again",
            "Queued %(count)s assets for processing again",
            queued,
        )
        % {"count": queued},
    )
    return render(request, "workspace/_progress.html", context)


@require_GET
@reader_required
def import_run_view(request, pk: int):
    run = get_object_or_404(ImportRun, pk=pk)
    context = _context(request, run=run, failures=pages.import_failures(run))
    return render(request, "workspace/import_run.html", context)


# -- media -------------------------------------------------------------------------------


def media_view(request, path: str):
    """Renditions from the default storage, for a deployment without a web server or
    CDN in front of MEDIA_URL (the demo, tests). Originals are never reachable here."""
    if not (settings.SERVE_MEDIA or settings.DEBUG):
        raise Http404("media is served by the web server in front")
    if not Rendition.objects.filter(file=path).exists():
        raise Http404("no such rendition")
    storage = Rendition._meta.get_field("file").storage
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    try:
        return FileResponse(storage.open(path), content_type=content_type)
    except FileNotFoundError as exc:  # a rendition row whose file was removed from storage
        raise Http404("no such rendition") from exc
