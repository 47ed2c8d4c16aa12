from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """Cross-cutting pieces with no business logic: the pgvector extension,
    roles, health checks and the `demo` command."""

    name = "config"
    label = "platform"
    verbose_name = "Platform"

    def ready(self):
        from config import checks, roles

        checks.require_vector_extension()
        roles.connect_signals()
