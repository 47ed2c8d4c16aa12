"""Running `manage.py demo --quick` in a child process on a test's private data, and
what its data must hold once seeded (tests/platform/test_demo.py)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import psycopg
import pytest

from tests.support.procs import ROOT

# What the demo's data must hold after "ready" (the --quick scale: 40 photos, 7 days).
COUNTS = {
    "products": "SELECT count(*) FROM commerce_product WHERE sku LIKE 'DM-%'",
    "lines": "SELECT count(*) FROM commerce_productline WHERE parent_id IS NOT NULL",
    "processed": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND processing_state = 'in_review'",
    "approved": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND moderation_state = 'approved'",
    "rejected": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND moderation_state = 'rejected'",
    "in_review": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND moderation_state = 'pending'",
    "rights_requested": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND rights_state = 'requested'",
    "granted": "SELECT count(*) FROM ugc_asset WHERE platform_id LIKE 'demo-library-%'"
    " AND rights_state = 'granted'",
    "import_runs": "SELECT count(*) FROM ugc_importrun WHERE kind = 'demo'",
    "events": "SELECT count(*) FROM analytics_event",
    "old_events": "SELECT count(*) FROM analytics_event"
    " WHERE client_time < now() - interval '6 days' AND NOT time_clamped",
    "clicks": "SELECT count(*) FROM analytics_event WHERE type = 'asset_click'",
    "orders": "SELECT count(*) FROM commerce_order WHERE visitor_id LIKE 'v_%'",
    "rollup_days": "SELECT count(DISTINCT day) FROM analytics_dailysessionstats",
    "attribution_done": "SELECT count(*) FROM analytics_attributionrun WHERE status = 'done'",
    "scored": "SELECT count(*) FROM ugc_assetscore s JOIN ugc_asset a ON a.id = s.asset_id"
    " WHERE a.platform_id LIKE 'demo-library-%'",
}
# The worker's cold shutdown, the web server's and the storefront's, and the embedded
# PostgreSQL's, on a loaded machine.
STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.status, response.read().decode()


def processes_using(path) -> list[str]:
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(path) in cmdline:
            found.append(f"{proc.info['pid']}: {cmdline}")
    return found


def wait_for_output(path, text: str, process, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = path.read_text(errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            pytest.fail(f"demo exited ({process.returncode}):\n{output}")
        time.sleep(0.3)
    pytest.fail(f"demo did not print {text!r} in {timeout}s:\n{path.read_text()}")


def counts(pgdata) -> dict[str, int]:
    with psycopg.connect(host=str(pgdata), user="postgres", dbname="postgres") as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


def printed(output: str, label: str) -> str:
    """The URL the demo printed after `label`."""
    line = next(line for line in output.splitlines() if line.strip().startswith(label + " "))
    return line.split()[len(label.split())]


class DemoRun:
    """One `manage.py demo --quick` in a child process on the test's private data."""

    def __init__(self, tmp_path, name: str, *, via_uv: bool = False):
        self.pgdata, self.data = tmp_path / "pg", tmp_path / "data"
        self.port, self.out = free_port(), tmp_path / f"{name}.out"
        env = {
            key: value
            for key, value in os.environ.items()
            if key
            not in {
                "DATABASE_URL",
                "CELERY_BROKER_URL",
                "REDIS_URL",
                "DJANGO_SETTINGS_MODULE",
                "EMBEDDED_PG_DATABASE",  # the demo's own server, with its default database
            }
        }
        env.update(EMBEDDED_PG_DATA=str(self.pgdata), DATA_DIR=str(self.data), PYTHONUNBUFFERED="1")
        argv = ["manage.py", "demo", "--quick", "--port", str(self.port)]
        argv += ["--storefront-port", str(free_port()), "--sandbox-port", str(free_port())]
        argv += ["--mail-port", str(free_port())]
        # Through uv as a person types it, or with this interpreter (faster to start).
        launcher = ["uv", "run", "--frozen"] if via_uv else [sys.executable]
        with self.out.open("wb") as sink:
            # In a session of its own, as a terminal's foreground job: its process group
            # is what Ctrl-C reaches.
            self.process = subprocess.Popen(
                [*launcher, *argv],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self) -> str:
        return wait_for_output(self.out, "Ctrl-C stops everything", self.process, timeout=300)

    def stop(self, stop_signal) -> float:
        """Stop the demo as a person would; how long it took, in seconds."""
        started = time.monotonic()
        self.process.send_signal(stop_signal)
        assert self.process.wait(timeout=90) == 0, self.out.read_text()
        return time.monotonic() - started

    def kill(self) -> None:
        """Whatever a failed test left: the demo's process group (uv and the demo)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def check_first_run(run: DemoRun, output: str) -> dict[str, int]:
    base = f"http://127.0.0.1:{run.port}"
    assert f"{base}/api/docs/" in output and "login coordinator" in output
    assert f"{base}/workspace/" in output
    status, page = get(f"{base}/")
    assert status == 200 and "UGC platform" in page
    status, body = get(f"{base}/readyz")
    assert status == 200 and json.loads(body)["status"] == "ready"
    status, body = get(printed(output, "gallery API"))
    assert status == 200 and json.loads(body)["items"], "the home gallery serves photos"
    status, page = get(printed(output, "storefront"))
    assert status == 200
    status, page = get(printed(output, "product page"))
    assert status == 200
    assert processes_using(run.pgdata), "the embedded PostgreSQL runs from the demo's data dir"
    assert processes_using(run.data / "celerybeat-schedule"), "a real worker runs"
    return counts(run.pgdata)


def check_seeded(seen: dict[str, int]) -> None:
    assert seen["products"] == 200 and seen["lines"] == 8
    assert seen["processed"] == 40 and seen["import_runs"] == 1
    assert seen["approved"] > seen["rejected"] > 0 and seen["in_review"] > 0
    assert seen["granted"] > seen["rights_requested"] > 0
    assert seen["events"] > 1000 and seen["old_events"] > 0, "backfilled days keep their time"
    assert 0 < seen["clicks"] < seen["events"] // 10
    assert seen["orders"] > 0
    assert seen["rollup_days"] >= 7 and seen["attribution_done"] == 8
    assert seen["scored"] == 40
