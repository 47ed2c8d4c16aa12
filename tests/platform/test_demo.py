"""`manage.py demo` brings the product up on the embedded defaults and leaves
nothing running after Ctrl-C or SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from tests.support.procs import ROOT


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


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_demo_serves_the_product_and_stops_cleanly(tmp_path, stop_signal):
    # Its own embedded server and data directory, so the run is fresh and its
    # processes can be told apart from this test run's.
    pgdata, data = tmp_path / "pg", tmp_path / "data"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(EMBEDDED_PG_DATA=str(pgdata), DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    port = free_port()
    out = tmp_path / "demo.out"
    with out.open("wb") as sink:
        demo = subprocess.Popen(
            [sys.executable, "manage.py", "demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        output = wait_for_output(out, "Ctrl-C stops everything", demo, timeout=240)
        base = f"http://127.0.0.1:{port}"
        assert f"{base}/api/docs/" in output and "login coordinator" in output

        status, page = get(f"{base}/")
        assert status == 200 and "UGC platform" in page
        status, body = get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["status"] == "ready"
        assert processes_using(pgdata), "the embedded PostgreSQL runs from the demo's data dir"
        assert processes_using(data / "celerybeat-schedule"), "a real worker runs"

        demo.send_signal(stop_signal)
        assert demo.wait(timeout=90) == 0, out.read_text()
    finally:
        if demo.poll() is None:
            demo.kill()

    deadline = time.monotonic() + 20
    while (left := processes_using(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, f"left running after the demo stopped: {left}"
