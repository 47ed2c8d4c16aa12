from django.apps import AppConfig


class WorkerAppConfig(AppConfig):
    """Tables and tasks that exist only in tests, to watch a real worker work."""

    name = "tests.workerapp"
    label = "workerapp"
