from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The coordinator's and analyst's screens, at /workspace/. It sits on top of the
    product apps and calls their services and selectors; nothing imports it."""

    name = "workspace"
    verbose_name = "Workspace"
