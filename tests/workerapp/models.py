from django.db import models


class TaskAttempt(models.Model):
    """One row each time a task body starts: shows how often it ran."""

    key = models.CharField(max_length=100, db_index=True)
    worker_pid = models.IntegerField()
    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.key} by {self.worker_pid}"


class TaskEffect(models.Model):
    """The task's effect; unique per key, so a rerun cannot duplicate it."""

    key = models.CharField(max_length=100, unique=True)
    value = models.IntegerField()
    written_by_pid = models.IntegerField()

    def __str__(self):
        return f"{self.key}={self.value}"
