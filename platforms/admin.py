from django.contrib import admin

from platforms.models import ConnectedAccount


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    """Read-only, and without the token fields: tokens are never shown anywhere."""

    list_display = ("__str__", "platform", "status", "access_expires_at", "last_refreshed_at")
    list_filter = ("platform", "status")
    fields = readonly_fields = (
        "platform",
        "external_id",
        "handle",
        "scopes",
        "status",
        "status_reason",
        "access_expires_at",
        "refresh_expires_at",
        "last_refreshed_at",
        "connected_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
