"""Roles are Django groups; their permissions follow the apps' models.

- coordinator: curates. Every permission on `ugc` models; view on `commerce`.
- analyst: reads analytics. View on `analytics`, `ugc` and `commerce`.
- admin: every permission of the project's apps and of users and groups.

Permissions are re-synced after every migrate, so a model added by a later
issue is covered without a data migration of its own.
"""

from __future__ import annotations

COORDINATOR = "coordinator"
ANALYST = "analyst"
ADMIN = "admin"
ROLES = (COORDINATOR, ANALYST, ADMIN)

PROJECT_APPS = ("commerce", "ugc", "analytics")


def _grants() -> dict[str, list[tuple[str, str | None]]]:
    """Role -> [(app label, action or None for every action)]."""
    return {
        COORDINATOR: [("ugc", None), ("commerce", "view")],
        ANALYST: [("analytics", "view"), ("ugc", "view"), ("commerce", "view")],
        ADMIN: [*[(app, None) for app in PROJECT_APPS], ("auth", None), ("authtoken", None)],
    }


def sync_roles(**kwargs) -> None:
    from django.contrib.auth.models import Group, Permission

    for role, grants in _grants().items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = Permission.objects.none()
        for app_label, action in grants:
            perms = Permission.objects.filter(content_type__app_label=app_label)
            if action:
                perms = perms.filter(codename__startswith=f"{action}_")
            wanted = wanted | perms
        group.permissions.set(wanted)


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        sync_roles, sender=apps.get_app_config("platform"), dispatch_uid="platform.sync_roles"
    )


def has_role(user, role: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return user.is_superuser or user.groups.filter(name=role).exists()
