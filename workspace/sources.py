"""The Sources screen: connected accounts, their sources, runs and the hashtag budget.

Connecting is the platform's OAuth round trip: `connect` sends the browser to the
consent page, `connect_callback` takes it back (platforms/services/accounts.py).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from commerce.models import ProductLine
from platforms.models import ConnectedAccount
from platforms.services import accounts
from sources.models import CreatorInvite, Source, SourceKind
from sources.services import budget, invites, manage
from workspace.access import BadInput, can_edit, editor_required, reader_required


class SourceForm(forms.Form):
    account = forms.ModelChoiceField(queryset=ConnectedAccount.objects.all(), label=_("Account"))
    kind = forms.ChoiceField(choices=SourceKind.choices, label=_("Kind"))
    query = forms.CharField(max_length=200, required=False, label=_("Query"))
    interval_minutes = forms.IntegerField(
        min_value=1, max_value=7 * 24 * 60, initial=15, label=_("Interval minutes")
    )
    product_lines = forms.ModelMultipleChoiceField(
        queryset=ProductLine.objects.all(), required=False, label=_("Product lines")
    )
    auto_moderate = forms.BooleanField(required=False, label=_("Auto moderate"))


@require_GET
@reader_required
def sources_view(request):
    return _page(request)


def _page(request, form: SourceForm | None = None):
    """The screen; with a refused form, its errors shown and a 400."""
    rows = []
    for account in ConnectedAccount.objects.order_by("platform", "handle"):
        rows.append(
            {
                "account": account,
                "budget": budget.budget(account) if account.is_instagram else None,
                "sources": [
                    {"source": s, "last_run": s.runs.first(), "failed": _failed(s)}
                    for s in account.sources.prefetch_related("product_lines")
                ],
            }
        )
    context = {
        "can_edit": can_edit(request.user),
        "accounts": rows,
        "form": form or SourceForm(initial={"interval_minutes": 15}),
        "connectable": [(p, p.label) for p in accounts.CONNECTABLE],
        "open_invites": CreatorInvite.objects.filter(used_at__isnull=True)[:20],
    }
    return render(request, "workspace/sources.html", context, status=400 if form else 200)


def _failed(source: Source) -> list:
    return list(source.failed_items.order_by("-last_attempt_at")[:5])


@require_POST
@editor_required
def source_add_view(request):
    form = SourceForm(request.POST)
    if not form.is_valid():
        return _page(request, form)
    data = form.cleaned_data
    try:
        source = manage.add_source(
            data["account"],
            data["kind"],
            data["query"],
            interval_seconds=data["interval_minutes"] * 60,
            product_lines=data["product_lines"],
            auto_moderate=data["auto_moderate"],
        )
    except manage.SourceRefused as exc:
        form.add_error("query", str(exc))
        return _page(request, form)
    manage.run_now(source)
    messages.success(
        request, gettext("Added %(source)s; its first run is queued.") % {"source": source}
    )
    return redirect("workspace:sources")


@require_POST
@editor_required
def source_action_view(request, pk: int, action: str):
    source = get_object_or_404(Source, pk=pk)
    if action == "pause":
        manage.set_paused(source, True)
        messages.info(request, gettext("Paused %(source)s.") % {"source": source})
    elif action == "resume":
        manage.set_paused(source, False)
        messages.info(request, gettext("Resumed %(source)s.") % {"source": source})
    elif action == "run":
        manage.run_now(source)
        messages.info(request, gettext("A run of %(source)s is queued.") % {"source": source})
    else:
        given = {"given": repr(action[:20])}
        raise BadInput("action", gettext("unknown action %(given)s; pause, resume or run") % given)
    return redirect("workspace:sources")


@require_POST
@editor_required
def connect_view(request, platform: str):
    callback = request.build_absolute_uri(reverse("workspace:sources-callback"))
    try:
        return redirect(accounts.start_connection(request.session, platform, callback))
    except accounts.ConnectionFailed as exc:
        messages.error(request, str(exc))
        return redirect("workspace:sources")


@require_GET
@editor_required
def connect_callback_view(request):
    try:
        account = accounts.finish_connection(request.session, request.GET)
    except accounts.ConnectionFailed as exc:
        messages.error(request, gettext("Not connected: %(problem)s") % {"problem": exc})
    else:
        messages.success(request, gettext("Connected %(account)s.") % {"account": account})
    return redirect("workspace:sources")


@require_POST
@editor_required
def invite_view(request):
    """A link for a creator to connect their TikTok account; the coordinator sends it."""
    handle = request.POST.get("handle", "")[:200]
    invite, token = invites.make_invite(request.user, handle)
    link = request.build_absolute_uri(reverse("creators:invite", args=[token]))
    messages.success(
        request,
        f"Send this link to {('@' + invite.handle) if invite.handle else 'the creator'}; "
        f"it works once, for {settings.SOURCES_CREATOR_INVITE_DAYS} days: {link}",
    )
    return redirect("workspace:sources")


@require_POST
@editor_required
def disconnect_view(request, pk: int):
    account = get_object_or_404(ConnectedAccount, pk=pk)
    accounts.disconnect(account)
    gone = gettext("Disconnected %(account)s; its sources stop.") % {"account": account}
    messages.info(request, gone)
    return redirect("workspace:sources")
