"""Private servers and plain HTTP calls for the fault tests (see conftest.py)."""

from __future__ import annotations

import http.client
import json
import uuid
from dataclasses import dataclass

import psycopg

from core.database import database_url
from tests.support.procs import run_manage

TEMPLATE = "fault_migrated"


@dataclass
class PrivatePostgres:
    """A pgserver PostgreSQL of this test alone, to stop and start at will."""

    server: object  # pgserver.PostgresServer
    template: str | None = None  # a migrated database, once one was made

    def running(self) -> bool:
        return self.server.get_postmaster_info().is_running()

    def stop(self) -> None:
        import pgserver

        # fast: open sessions are cut, as when the server goes away under them.
        pgserver.pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        import pgserver

        with pgserver.PostgresServer._lock:
            self.server.ensure_postgres_running()

    def create_database(self, name: str) -> str:
        """A new database with every migration applied; its DATABASE_URL.

        Migrating takes minutes on two cores, so it is done once, into a template
        database that each test's database is then copied from.
        """
        if self.template is None:
            env = {"DATABASE_URL": self._create(TEMPLATE),
                   "DJANGO_SETTINGS_MODULE": "config.settings.dev"}  # fmt: skip
            migrated = run_manage("migrate", "--no-input", env=env, timeout=900)
            assert migrated.returncode == 0, migrated.stderr[-3000:]
            self.template = TEMPLATE
        return self._create(name, template=self.template)

    def _create(self, name: str, template: str = "template0") -> str:
        info = self.server.get_postmaster_info()
        db = {"USER": "postgres", "HOST": str(info.socket_dir), "PORT": info.port or 5432}
        with psycopg.connect(host=db["HOST"], port=db["PORT"], user="postgres",
                             dbname="postgres", autocommit=True) as conn:  # fmt: skip
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return database_url(db, name=name)


def upload(port: int, token: str, files: list[tuple[str, bytes]]) -> tuple[int, dict, dict]:
    """POST JPEG files to the asset upload API: (status, JSON body, headers)."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/assets/", body=body, headers={
            "Authorization": f"Token {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})  # fmt: skip
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    finally:
        conn.close()


def readyz(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/readyz")
        return conn.getresponse().status
    finally:
        conn.close()
