from django.apps import AppConfig


class UgcConfig(AppConfig):
    """The UGC library, curation, galleries, media pipeline, search and scoring."""

    name = "ugc"
    verbose_name = "UGC"
