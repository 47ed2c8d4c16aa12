from django.apps import AppConfig


class SourcesConfig(AppConfig):
    """Where content flows in by itself: sources on connected accounts, collected on schedule."""

    name = "sources"
    verbose_name = "Sources"
