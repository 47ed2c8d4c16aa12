"""The creator's pages: a TikTok creator the brand invited connects their account.

Public (no workspace login): the signed invitation is the creator's only key. A
changed link is a 400, an expired one a 410, a used one a 409, each in words.
The round trip and its checks live in sources/services/invites.py.
"""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pages import brand_page
from platforms.services.accounts import ConnectionFailed
from sources.services import invites


def _page(request, template: str, status: int = 200, **values):
    return brand_page(request, f"workspace/creators/{template}", status, **values)


def _refused(request, error: Exception, status: int):
    return _page(request, "problem.html", status, heading="This link cannot be used", message=error)


@require_GET
def invite_view(request, token: str):
    """What the brand will collect, and the Connect button."""
    try:
        invite = invites.read_invite(token)
    except invites.BadInvite as error:
        return _refused(request, error, error.status)
    return _page(request, "invite.html", invite=invite, token=token)


@require_POST
@csrf_protect
def connect_view(request, token: str):
    try:
        invite = invites.read_invite(token)
    except invites.BadInvite as error:
        return _refused(request, error, error.status)
    callback = request.build_absolute_uri(reverse("creators:callback"))
    return redirect(invites.start(request.session, invite, callback))


@require_GET
def callback_view(request):
    try:
        account, revoke_token = invites.finish(request.session, request.GET)
    except invites.BadInvite as error:
        return _refused(request, error, error.status)
    except ConnectionFailed as error:
        return _refused(request, f"Not connected: {error}.", 400)
    return _page(request, "connected.html", account=account, revoke_token=revoke_token)


@require_http_methods(["GET", "POST"])
@csrf_protect
def disconnect_view(request, token: str):
    """GET asks to confirm; POST disconnects the account and pauses its sources."""
    try:
        account = invites.read_revoke(token)
    except invites.BadInvite as error:
        return _refused(request, error, error.status)
    if request.method == "POST":
        invites.revoke(account)
        return _page(request, "disconnected.html", account=account)
    return _page(request, "disconnect.html", account=account, token=token)
