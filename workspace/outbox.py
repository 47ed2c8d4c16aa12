"""The outbox: photo requests by state, each e-mail as the buyer sees it (the address
masked), and the size of the suppression list."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from outreach import mail, selectors
from outreach.models import RequestState
from workspace.access import BadInput, one_of, reader_required

PREVIEWED = 20


@require_GET
@reader_required
def outbox_view(request):
    state = request.GET.get("state") or RequestState.SENT
    if state not in RequestState.values:
        raise BadInput("state", one_of(RequestState.values))
    box = selectors.outbox(state, limit=PREVIEWED)
    rows = []
    for photo_request in box.requests:
        masked = selectors.mask(photo_request.email)
        message = mail.render(photo_request, to=masked or "(erased)")
        rows.append(
            {
                "request": photo_request,
                "to": masked or gettext("address erased"),
                "subject": message.subject,
                "html": message.alternatives[0][0],
                "products": [link.product.title for link in photo_request.links.all()],
            }
        )
    return render(
        request,
        "workspace/outbox.html",
        {
            "state": state,
            "tabs": [(value, label, box.counts[value]) for value, label in RequestState.choices],
            "rows": rows,
            "suppressed": box.suppressed_addresses,
        },
    )
