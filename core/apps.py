from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The plumbing every product app shares, with no business logic: the API's
    problems, permissions and pagination, roles, health checks, the embedded
    PostgreSQL and broker, progress bars and COPY helpers.

    Its label stays "platform", the label its migration and the roles' permissions
    were made under."""

    name = "core"
    label = "platform"
    verbose_name = "Platform"

    def ready(self):
        from core import checks, roles

        checks.require_vector_extension()
        roles.connect_signals()
