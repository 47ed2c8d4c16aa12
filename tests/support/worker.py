"""Real Celery worker processes for integration tests.

A worker runs as its own process group (so SIGKILL reaches its pool children
too) with the test settings, pointed at the test database and at the broker
under test. Nothing here is mocked: tasks travel through the broker.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from core.database import database_url
from core.processes import Child, celery_worker, wait_for_log

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = "pgqueue://localhost"


def database_env() -> dict[str, str]:
    """Environment that points a child process at this test run's database."""
    db = connection.settings_dict
    if os.environ.get("DATABASE_URL"):
        return {"DATABASE_URL": database_url(db)}
    return {"EMBEDDED_PG_DATABASE": db["NAME"]}


@dataclass
class Worker:
    broker_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    # Pool processes: one unless a test has a batch to get through (each takes a task).
    concurrency: int = 1
    name: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    child: Child | None = None

    @property
    def process(self) -> subprocess.Popen | None:
        return self.child.process if self.child else None

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_BROKER_URL": self.broker_url,
            "PYTHONUNBUFFERED": "1",
            **database_env(),
            **self.extra_env,
        }
        env.pop("REDIS_URL", None)
        return env

    def start(self, tmp_path: Path, timeout: float = 60) -> Worker:
        return self.launch(tmp_path).wait_ready(timeout)

    def launch(self, tmp_path: Path) -> Worker:
        """Start the process without waiting for it (a test may start other processes
        meanwhile: a worker takes seconds to import the project); then wait_ready()."""
        argv = celery_worker(
            "-n",
            f"{self.name}@%h",
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        )
        self.child = Child(self.name, argv, tmp_path / f"{self.name}.log")
        self.child.start(self.env(), ROOT)
        return self

    def wait_ready(self, timeout: float = 60) -> Worker:
        wait_for_log(self.child, "ready.", timeout)
        return self

    def log(self) -> str:
        return self.child.log_path.read_text(errors="replace") if self.child else ""

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool children alike."""
        self.child.kill()

    def stop(self) -> None:
        """Stop at once with SIGKILL: tests wait for their tasks' effects before they stop
        a worker, and its tasks are acknowledged late. A cold shutdown (SIGQUIT) spent
        3-6 s in Celery's and billiard's polling sleeps, and gave what the worker had
        prefetched back to the queue, where the embedded broker's table (shared by the
        tests of a run) let a later test's worker take it; killed, a message the worker
        took stays hidden for the visibility timeout."""
        if self.child and self.child.process:
            with contextlib.suppress(ProcessLookupError):  # already killed by the test
                self.child.kill()


def broker_connection(broker_url: str, extra_transport_options: dict | None = None):
    """A producer connection to the broker under test, from this process."""
    from config.celery import app

    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    options.update(extra_transport_options or {})
    return app.connection_for_write(broker_url, transport_options=options)


def wait_until(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not met within {timeout}s")
