"""The landing page: where things are; the site's icon."""

from pathlib import Path

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

FAVICON = Path(__file__).resolve().parent / "static" / "favicon.ico"


def home(request):
    return render(request, "platform/home.html")


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links: served from the
    app's own file, so it works before collectstatic and behind any static host."""
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")
