"""Child processes of `manage.py demo`: start them, watch them, stop them cleanly.

Each child runs in its own session so that Ctrl-C reaches only the demo, which
then stops all the children at once. The worker gets a cold shutdown (SIGQUIT): its
tasks are acknowledged late, so one cut short goes back to the queue and runs again
at the next start, where a warm shutdown waited 9-35 s for a running rescoring or
attribution task (and Celery does not turn a warm shutdown under way into a cold
one). That signal goes to the worker's main process alone, which stops its pool: sent
to the whole group, it killed a pool child holding the pool's queue lock now and then
(2 stops in 6 here), and the main process then waited for that lock until the demo
killed it. Each child also gets SIGTERM from the kernel if the demo itself dies, so no
worker outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stop(KeyboardInterrupt):
    """Raised in the main thread on the first SIGINT or SIGTERM: a KeyboardInterrupt, so
    that no `except Exception` on the way (seeding, HTTP, the database) swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class StopSignals:
    """SIGINT and SIGTERM stop the main thread wherever it is (migrating, waiting for a
    child, seeding), once: later ones are ignored so that they cannot cut the shutdown
    short. Within `held()` a signal waits until the block ends, so that a child being
    started is always known and stopped.

    A Stop raised while Python runs a finalizer or a `__del__` is printed and ignored
    there (seen: a Ctrl-C during `migrate` landed in a weakref finalizer and the demo
    seeded on). So the stop is also kept: `check()`, called between steps, raises it
    again until `handled()` says the shutdown has begun."""

    def __init__(self):
        self.received: int | None = None
        self._holding = self._pending = self._handled = False

    def install(self) -> StopSignals:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum, _frame) -> None:
        if self.received is not None:
            return
        self.received = signum
        self._pending = self._holding
        if not self._holding:
            raise Stop(signum)

    def check(self) -> None:
        """Raise the Stop of a signal received whose first Stop never arrived."""
        if self.received is not None and not self._handled and not self._holding:
            raise Stop(self.received)

    def handled(self) -> None:
        """The Stop arrived: the shutdown runs, and check() raises no more."""
        self._handled = True

    @contextlib.contextmanager
    def held(self):
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        if self._pending:
            self._pending = False
            raise Stop(self.received)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    # Not Linux (no libc.so.6): the demo's own shutdown path still stops children.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    stop_signal: int = signal.SIGTERM
    signal_group: bool = True  # the stop signal to the whole process group, or the child alone
    process: subprocess.Popen | None = None
    _stop_sent_at: float | None = None

    def start(self, env: dict[str, str], cwd: Path) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own argv)
            self.argv,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 30) -> None:
        self.send_stop()
        self.wait_stopped(timeout)

    def send_stop(self) -> None:
        """Ask the child to stop, without waiting (see stop_all)."""
        if self.running():
            send = os.killpg if self.signal_group else os.kill
            send(self.process.pid, self.stop_signal)
            self._stop_sent_at = time.monotonic()

    def wait_stopped(self, timeout: float = 30) -> None:
        """Wait for a child asked to stop; killed when it takes longer than timeout."""
        if self._stop_sent_at is None:
            return
        try:
            self.process.wait(timeout=max(0.0, self._stop_sent_at + timeout - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.kill()
        self._stop_sent_at = None
        # Whatever it forked and left behind (a pool child) goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group: the process and any children it forked."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def stop_all(children: list[Child], timeout: float = 30) -> None:
    """Stop children together: the slowest one's stop is the whole stop's time."""
    for child in children:
        child.send_stop()
    for child in children:
        child.wait_stopped(timeout)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def celery_worker(*options: str) -> list[str]:
    """A Celery worker on every queue. Gossip and mingle need a broadcast exchange,
    which the embedded broker has not."""
    from django.conf import settings

    return python(
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        ",".join(settings.CELERY_TASK_QUEUES),
        "--without-gossip",
        "--without-mingle",
        *options,
    )


def wait_for_log(child: Child, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in child.log_tail(200):
            return
        if not child.running():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        time.sleep(0.2)
    raise TimeoutError(f"{child.name} not ready after {timeout:.0f}s:\n{child.log_tail()}")


def wait_for_http(url: str, child: Child, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback URL)
                if response.status == 200:
                    return
        except OSError:
            pass
        if not child.running():
            raise RuntimeError(f"{child.name} exited early:\n{child.log_tail()}")
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:.0f}s:\n{child.log_tail()}")
