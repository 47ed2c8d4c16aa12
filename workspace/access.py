"""Who may use the workspace, and how bad input is answered.

Reading needs a role that sees the library (analyst, coordinator, admin);
every change needs the coordinator (or admin) role, as in the API.
Bad input is answered with an RFC 9457 problem body naming the field, which
the page's script shows in its status line.
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.api.problems import invalid_field
from core.roles import ADMIN, ANALYST, COORDINATOR

READERS = (ANALYST, COORDINATOR, ADMIN)
EDITORS = (COORDINATOR, ADMIN)


class BadInput(Exception):
    """A request the workspace cannot act on; `field` names the part at fault."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def one_of(names) -> str:
    """The words for a choice outside the allowed ones: what the allowed ones are."""
    return gettext("one of %(names)s") % {"names": ", ".join(names)}


def problem_response(request, exc: BadInput) -> JsonResponse:
    return invalid_field(request, exc.field, exc.message, exc.status)


def _has_any(user, roles: tuple[str, ...]) -> bool:
    """has_role() for several roles in one query, its answer kept on the user for the
    rest of the request (a page asks it for the guard and again for its actions)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_workspace_roles"):
        user._workspace_roles = set(user.groups.values_list("name", flat=True))
    return not user._workspace_roles.isdisjoint(roles)


def can_edit(user) -> bool:
    return _has_any(user, EDITORS)


def _guarded(roles: tuple[str, ...]):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not _has_any(request.user, roles):
                needed = {"roles": ", ".join(roles)}
                raise PermissionDenied(gettext("This needs one of the roles: %(roles)s.") % needed)
            try:
                return view(request, *args, **kwargs)
            except BadInput as exc:
                return problem_response(request, exc)

        return wrapper

    return decorator


reader_required = _guarded(READERS)
editor_required = _guarded(EDITORS)


def int_param(data, name: str, *, default: int | None = None, low: int = 1, high: int = 10**12):
    raw = (data.get(name) or "").strip()
    if not raw:
        if default is None:
            raise BadInput(name, gettext("is required"))
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        message = gettext("must be a whole number, not %(given)s") % {"given": repr(raw[:40])}
        raise BadInput(name, message) from exc
    if not low <= value <= high:
        bounds = {"low": low, "high": high}
        raise BadInput(name, gettext("must be between %(low)s and %(high)s") % bounds)
    return value


# A selection's problems, in words for each kind of thing selected.
ID_LIST_PROBLEMS = {
    "asset": {
        "none": _("select at least one asset"),
        "too_many": _("at most %(most)s assets at once"),
        "not_numbers": _("asset ids are whole numbers"),
        "not_positive": _("asset ids are positive"),
    },
    "request": {
        "none": _("select at least one request"),
        "too_many": _("at most %(most)s requests at once"),
        "not_numbers": _("request ids are whole numbers"),
        "not_positive": _("request ids are positive"),
    },
}


def id_list(data, name: str = "ids", *, most: int = 500, noun: str = "asset") -> list[int]:
    """Ids (of assets, or of `noun`s) from repeated fields or one comma-separated field."""
    raw = [part for value in data.getlist(name) for part in value.split(",") if part.strip()]
    words = ID_LIST_PROBLEMS[noun]
    if not raw:
        raise BadInput(name, str(words["none"]))
    if len(raw) > most:
        raise BadInput(name, words["too_many"] % {"most": most})
    try:
        ids = [int(part) for part in raw]
    except ValueError as exc:
        raise BadInput(name, str(words["not_numbers"])) from exc
    if min(ids) < 1:
        raise BadInput(name, str(words["not_positive"]))
    return list(dict.fromkeys(ids))


def validated(serializer, names: dict[str, str] | None = None) -> dict:
    """The serializer's validated data (the API's own validation, so each rule is
    written once), or BadInput naming the first field at fault (by the form's name for
    it, from `names`) in its words."""
    if serializer.is_valid():
        return dict(serializer.validated_data)
    field, problems = next(iter(serializer.errors.items()))
    while isinstance(problems, dict):  # a nested or list field: its first part
        problems = next(iter(problems.values()))
    message = problems[0] if isinstance(problems, list) and problems else problems
    field = (names or {}).get(field, field)
    raise BadInput("input" if field == "non_field_errors" else field, str(message))
