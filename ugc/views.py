"""The coordinator's workspace: library, asset, review queue, rights and imports.

Server-rendered pages; htmx swaps the parts that change. Every read goes through
ugc.selectors / ugc.search and every change through ugc.services (via
ugc.workspace.actions), exactly as the API does: no logic of their own here.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html_join
from django.views.decorators.http import require_GET, require_POST

from commerce.models import ProductLine
from ugc.ingest.items import AssetInput
from ugc.models import (
    Asset,
    GrantMethod,
    ImportRun,
    ModerationState,
    Platform,
    RejectionReason,
    Rendition,
    RightsState,
)
from ugc.services import ingest as ingest_service
from ugc.workspace import actions, library, pages, tiles
from ugc.workspace.access import (
    BadInput,
    can_edit,
    editor_required,
    id_list,
    reader_required,
)


def _choices() -> dict:
    """What the action dialogs offer; a few short lists."""
    return {
        "reasons": list(RejectionReason.objects.filter(active=True).order_by("label")),
        "product_lines": list(ProductLine.objects.order_by("name")[:500]),
        "grant_methods": GrantMethod.choices,
    }


def _context(request, **extra) -> dict:
    return {"can_edit": can_edit(request.user), **extra}


# -- 1. library ----------------------------------------------------------------------------


@require_GET
@reader_required
def library_view(request):
    query = library.parse(request.GET)
    page = library.page(query)
    context = _context(request, page=page, query=query)
    if request.htmx and query.cursor:
        return render(request, "workspace/_tiles.html", context)
    context.update(
        facets=library.facet_groups(
            _facet_base(query, page), whole_library=not (query.narrowed or query.searching)
        ),
        sorts=library.SORT_LABELS,
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
    outcome, verb = actions.bulk(request.POST.get("action", ""), ids, request.POST, request.user)
    changed = tiles.tile_list(Asset.objects.filter(pk__in=ids).order_by("pk"))
    return render(
        request,
        "workspace/_bulk_result.html",
        _context(request, changed=changed, message=outcome.summary(verb), outcome=outcome),
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
    context = _context(
        request,
        asset=asset,
        others=related.others,
        duplicates=related.duplicates,
        similar=related.similar,
        score=score,
        score_parts=[(part, getattr(score, part)) for part in pages.SCORE_PARTS] if score else [],
        kpis=pages.daily_kpis(asset),
        **_choices(),
    )
    return render(request, "workspace/asset.html", context)


@require_POST
@editor_required
def asset_moderate_view(request, pk: int):
    asset = _moderate(request, pk)
    return _asset_state(request, pk, f"Asset {pk} is now {asset.moderation_state}")


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
    context = _context(request, asset=pages.asset_detail(pk), message=message, **_choices())
    return render(request, "workspace/_asset_state.html", context)


@require_POST
@editor_required
def hotspot_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    actions.place_hotspot(asset, request.POST, request.user)
    return _products(request, pk, "Product placed")


@require_POST
@editor_required
def untag_view(request, pk: int):
    asset = get_object_or_404(Asset, pk=pk)
    item = actions.product(request.POST.get("product", ""))
    if not actions.tagging.untag_product(asset, item, actor=request.user):
        raise BadInput("product", f"{item.sku} is not tagged on asset {pk}")
    return _products(request, pk, f"Removed {item.sku}")


def _products(request, pk: int, message: str):
    context = _context(request, asset=pages.asset_detail(pk), message=message)
    return render(request, "workspace/_products.html", context)


# -- 3. review queue ------------------------------------------------------------------------


@require_GET
@reader_required
def review_view(request):
    context = _context(
        request,
        asset=pages.next_in_review(),
        waiting=pages.review_queue().count(),
        **_choices(),
    )
    return render(request, "workspace/review.html", context)


@require_POST
@editor_required
def review_decide_view(request, pk: int):
    asset = _moderate(request, pk)
    verb = "Approved" if asset.moderation_state == ModerationState.APPROVED else "Rejected"
    context = _context(
        request,
        asset=pages.next_in_review(after_pk=pk),
        waiting=pages.review_queue().count(),
        message=f"{verb} asset {pk}",
        **_choices(),
    )
    return render(request, "workspace/_review_stage.html", context)


# -- 4. rights -------------------------------------------------------------------------------

RIGHTS_TABS = (
    RightsState.REQUESTED,
    RightsState.GRANTED,
    RightsState.DECLINED,
    RightsState.EXPIRED,
    RightsState.REVOKED,
)


@require_GET
@reader_required
def rights_view(request):
    state = request.GET.get("state") or RightsState.REQUESTED
    if state not in RIGHTS_TABS:
        raise BadInput("state", f"one of {', '.join(RIGHTS_TABS)}")
    counts = pages.rights_counts()
    context = _context(
        request,
        state=state,
        tabs=[(tab, RightsState(tab).label, counts.get(tab, 0)) for tab in RIGHTS_TABS],
        requests=pages.rights_requests(state),
        expiring=pages.expiring_soon(),
        # The same options in every row's form: escaped once, not once per row.
        grant_options=format_html_join("", '<option value="{}">{}</option>', GrantMethod.choices),
    )
    context["answering"] = context["can_edit"] and state == RightsState.REQUESTED
    return render(request, "workspace/rights.html", context)


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


@require_POST
@editor_required
def upload_view(request):
    files = request.FILES.getlist("files")
    if not files:
        raise BadInput("files", "choose at least one photo or video")
    platform = request.POST.get("platform") or "upload"
    if platform not in Platform.values:
        raise BadInput("platform", f"unknown platform {platform[:40]!r}")
    item = AssetInput(platform=platform, caption=request.POST.get("caption", "")[:5000])
    results = [_ingest_upload(request, item, upload) for upload in files]
    ids = [r["asset_id"] for r in results if r["asset_id"]]
    context = _context(request, results=results, ids=ids, progress=pages.processing_progress(ids))
    return render(request, "workspace/_upload_result.html", context)


def _ingest_upload(request, item, upload) -> dict:
    if upload.size > settings.UGC_MAX_UPLOAD_BYTES:
        reason = f"file is over the {settings.UGC_MAX_UPLOAD_BYTES:,}-byte limit"
        return {"filename": upload.name, "status": "failed", "asset_id": None, "reason": reason}
    outcome = ingest_service.ingest(
        item,
        file=upload,
        filename=upload.name,
        content_type=getattr(upload, "content_type", "") or "",
        actor=request.user,
        note="uploaded in the workspace",
    )
    return {"filename": upload.name, **outcome.as_dict()}


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
        message=f"Queued {queued} asset{'s' if queued != 1 else ''} for processing again",
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
    return FileResponse(storage.open(path), content_type=content_type)
