"""A real gunicorn serving the project, or the collector (manage.py collector) under
uvicorn, and a client that posts collect batches to it.

Used by the fault tests (tests/fault/test_collect_*.py) and the collector's parity
tests: nothing in between is mocked, the server is a separate process group that a
test can SIGKILL.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import uuid
from pathlib import Path

from core.processes import Child, python, wait_for_http

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_web(
    port: int, env: dict[str, str], log: Path, workers: int = 2, threads: int = 1
) -> Child:
    """gunicorn: sync workers, or with threads > 1 gthread ones (as production runs it,
    where a worker's concurrent collect batches are written together)."""
    worker_class = "gthread" if threads > 1 else "sync"
    argv = python(
        "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
        "--log-level", "warning", "--timeout", "60",
    )  # fmt: skip
    return _serve("web", argv, port, env, log)


def start_collector(port: int, env: dict[str, str], log: Path, workers: int = 1) -> Child:
    """The collector, as `manage.py collector` runs it in production."""
    argv = python("manage.py", "collector", "--port", str(port), "--workers", str(workers))
    return _serve("collector", argv, port, env, log)


def _serve(name: str, argv: list[str], port: int, env: dict[str, str], log: Path) -> Child:
    full_env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    full_env.pop("REDIS_URL", None)
    child = Child(name, argv, log).start(full_env, ROOT)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", child, timeout=90)
    return child


def batch(visitor: str, size: int = 50) -> list[dict]:
    return [
        {
            "event_id": str(uuid.uuid4()),
            "type": "asset_impression",
            "client_time": "2026-01-01T00:00:00Z",  # clamped to the window; still stored
            "visitor_id": visitor,
            "session_id": f"s_{visitor}",
            "page_url": "https://shop.example/p/x",
            "asset_id": 1 + index,
            "position": index,
        }
        for index in range(size)
    ]


def post_batch(port: int, key: str, events: list[dict], timeout: float = 30):
    """(status, JSON body or None, headers); raises OSError when the server is gone.
    Header names are matched in any case (uvicorn sends them in lower case)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps({"events": events}).encode()
        conn.request("POST", f"/api/v1/collect?key={key}", body=body,
                     headers={"Content-Type": "text/plain;charset=UTF-8"})  # fmt: skip
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        return response.status, parsed, response.headers  # names in any case
    finally:
        conn.close()
