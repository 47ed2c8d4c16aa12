"""Real Celery worker processes for integration tests.

A worker runs as its own process group (so SIGKILL reaches its pool children
too) with the test settings, pointed at the test database and at the broker
under test. Nothing here is mocked: tasks travel through the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.database import database_url
from config.queues import QUEUES

ROOT = Path(__file__).resolve().parents[2]
EMBEDDED = "pgqueue://localhost"


def redis_url() -> str | None:
    """The Redis broker to test against, when the environment names one."""
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        url = os.environ.get(name, "")
        if url.startswith("redis://"):
            return url
    return None


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
    name: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:8]}")
    process: subprocess.Popen | None = None
    log_path: Path | None = None

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
        self.log_path = tmp_path / f"{self.name}.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                ",".join(QUEUES),
                "-n",
                f"{self.name}@%h",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for_log("ready.", timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited ({self.process.returncode}):\n{self.log()}")
            time.sleep(0.2)
        raise TimeoutError(f"worker did not log {text!r} in {timeout}s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool children alike."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        # Cold shutdown: tests wait for their tasks' effects before they stop.
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


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
