from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Events, sessions, journeys, attribution, KPIs and experiments."""

    name = "analytics"
