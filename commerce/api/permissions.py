"""Who may read and write the catalog and orders (roles are in core/roles.py)."""

from rest_framework.permissions import SAFE_METHODS

from core.api.permissions import HasRole, IsAnalyst


class IsAdmin(HasRole):
    roles = ()  # HasRole always admits admins


class ReadAnalystWriteAdmin(HasRole):
    """Coordinators and analysts read; only admins change."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return IsAnalyst().has_permission(request, view)
        checker = IsAdmin()
        allowed = checker.has_permission(request, view)
        self.message = checker.message
        return allowed
