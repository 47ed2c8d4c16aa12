from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _partitions_after_migrate(sender, using="default", **kwargs):
    # Every migrate also makes the event partitions ahead, so a deployment whose beat
    # is not running yet still has this month's and the next ones'.
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    recorder = MigrationRecorder(connection)
    if not recorder.has_table() or not recorder.migration_qs.filter(app="analytics").exists():
        return  # the analytics tables are not there yet (a partial migrate)
    from analytics.services.partitions import ensure_event_partitions

    ensure_event_partitions(connection=connection)


class AnalyticsConfig(AppConfig):
    """Events, sessions, journeys, attribution, KPIs and experiments."""

    name = "analytics"

    def ready(self):
        post_migrate.connect(_partitions_after_migrate, sender=self)
        # The public gallery API (ugc) asks analytics which variant a visitor sees.
        from analytics.services.experiments import gallery_resolver
        from ugc.delivery import variants as gallery_variants

        gallery_variants.register(gallery_resolver())
