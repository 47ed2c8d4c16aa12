"""Role permissions for the API (roles are defined in core/roles.py)."""

from rest_framework.permissions import BasePermission

from core.roles import ADMIN, ANALYST, COORDINATOR, has_role


class HasRole(BasePermission):
    roles: tuple[str, ...] = ()
    message = "This needs one of the roles: {roles}."

    def has_permission(self, request, view):
        allowed = any(has_role(request.user, role) for role in (*self.roles, ADMIN))
        if not allowed:
            self.message = HasRole.message.format(roles=", ".join((*self.roles, ADMIN)))
        return allowed


class IsCoordinator(HasRole):
    roles = (COORDINATOR,)


class IsAnalyst(HasRole):
    roles = (ANALYST, COORDINATOR)
