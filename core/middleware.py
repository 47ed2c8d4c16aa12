"""Input no screen or endpoint can use, refused where it enters the project."""

from __future__ import annotations

from core import errors

NUL = "\x00"
NUL_MESSAGE = "contains a NUL character (\\x00), which no text may hold"


class RefuseNulCharacters:
    """A NUL character in the path, a query parameter or a form field: a 400 naming it.

    PostgreSQL's text cannot hold NUL, so a value carrying one failed in whatever query
    it reached, as a 500 (DataError); and no person types one. Refused once here, every
    field of every screen is covered, including those a form does not validate. Refused,
    not stripped: a value silently changed would be stored or searched as something the
    sender did not send.

    Bodies under /api/ are left to the endpoints: their serializers' text fields refuse
    NUL themselves, an upload endpoint installs its own upload handler before the body is
    parsed (ugc/ingest/uploads.py), and a webhook reads its raw body under its own limit.

    A form body is read once its view is known: reading it parses the files too, so a
    view that takes files through its own upload handlers (`UPLOAD_HANDLERS_ATTRIBUTE`)
    has them installed first. Read earlier, the files would go through Django's default
    handlers, past the view's size cap, and be copied again to be hashed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = _field_with_nul(request.path, request.GET)
        if field is not None:
            return errors.bad_input(request, field, NUL_MESSAGE)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        install = getattr(view_func, UPLOAD_HANDLERS_ATTRIBUTE, None)
        if install is not None:
            install(request)
        field = _field_with_nul("", request.POST)  # empty unless the body is a form
        if field is not None:
            return errors.bad_input(request, field, NUL_MESSAGE)
        return None


# A view's function (request) -> None that sets request.upload_handlers; see
# ugc.ingest.uploads.capped_uploads.
UPLOAD_HANDLERS_ATTRIBUTE = "install_upload_handlers"


def _field_with_nul(path: str, data) -> str | None:
    if NUL in path:
        return "path"
    for name, values in data.lists():
        if NUL in name or any(NUL in value for value in values):
            return name.replace(NUL, "\\x00")
    return None
