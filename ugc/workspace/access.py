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

from config.api.problems import PROBLEM_CONTENT_TYPE, problem
from config.roles import ADMIN, ANALYST, COORDINATOR

READERS = (ANALYST, COORDINATOR, ADMIN)
EDITORS = (COORDINATOR, ADMIN)


class BadInput(Exception):
    """A request the workspace cannot act on; `field` names the part at fault."""

    def __init__(self, field: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def problem_response(request, exc: BadInput) -> JsonResponse:
    body = problem(
        exc.status,
        f"{exc.field}: {exc.message}",
        instance=request.path,
        errors=[{"field": exc.field, "message": exc.message, "code": "invalid"}],
    )
    return JsonResponse(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)


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
                raise PermissionDenied(f"This needs one of the roles: {', '.join(roles)}.")
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
            raise BadInput(name, "is required")
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadInput(name, f"must be a whole number, not {raw[:40]!r}") from exc
    if not low <= value <= high:
        raise BadInput(name, f"must be between {low} and {high}")
    return value


def id_list(data, name: str = "ids", *, most: int = 500) -> list[int]:
    """Asset ids from repeated fields or one comma-separated field."""
    raw = [part for value in data.getlist(name) for part in value.split(",") if part.strip()]
    if not raw:
        raise BadInput(name, "select at least one asset")
    if len(raw) > most:
        raise BadInput(name, f"at most {most} assets at once")
    try:
        ids = [int(part) for part in raw]
    except ValueError as exc:
        raise BadInput(name, "asset ids are whole numbers") from exc
    if min(ids) < 1:
        raise BadInput(name, "asset ids are positive")
    return list(dict.fromkeys(ids))
