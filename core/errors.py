"""Error answers outside the API: a plain page in the workspace's style, never a traceback.

Under /api/ every error is a problem details body (core/api/problems.py). Elsewhere
Django calls the handlers below (named in config/urls.py) when DEBUG is off, which is
the default everywhere; a developer who wants Django's debug page sets DEBUG=1.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template import loader

from core.api import problems

TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    500: "Something went wrong",
}
MESSAGES = {
    400: "The request could not be understood.",
    403: "You cannot see this page.",
    404: "There is nothing at this address.",
    500: "The server failed to handle this request; it has been logged.",
}


def error_page(request, status: int, message: str = "") -> HttpResponse:
    """The HTML page of an error; its message is escaped like any template value."""
    context = {"status": status, "title": TITLES[status], "message": message or MESSAGES[status]}
    # No request context: the page must render even when what failed was the session,
    # the user or a context processor.
    body = loader.get_template("error.html").render(context)
    return HttpResponse(body, status=status)


def bad_input(request, field: str, message: str) -> HttpResponse:
    """A 400 naming the parameter at fault: a problem body under /api/, else the page."""
    if _is_api(request):
        return problems.invalid_field(request, field, message)
    return error_page(request, 400, f"{field}: {message}")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def handler400(request, exception=None):
    if _is_api(request):
        return problems.problem_response(request, 400, MESSAGES[400])
    return error_page(request, 400)


def handler403(request, exception=None):
    if _is_api(request):
        return problems.problem_response(request, 403, MESSAGES[403])
    # Our own refusals say which role is needed (workspace/access.py).
    return error_page(request, 403, str(exception or ""))


def handler404(request, exception=None):
    if _is_api(request):
        return problems.api_not_found(request, exception)
    return error_page(request, 404)


def handler500(request):
    if _is_api(request):
        return problems.api_server_error(request)
    return error_page(request, 500)
