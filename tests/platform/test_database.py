"""PostgreSQL with pgvector everywhere, and one clear message when it is missing."""

import socket

import pytest
from django.db import connection

from core.database import pgvector_version
from tests.support.procs import run_manage

# PostgreSQL 15 from Debian runs on this machine (and in CI) without pgvector.
PLAIN_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def plain_postgres_running() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def test_tests_run_on_postgresql_with_pgvector(db):
    assert connection.vendor == "postgresql"
    assert connection.settings_dict["NAME"].startswith("test_")
    version = pgvector_version(connection)
    assert version is not None and version >= (0, 5, 0)


def test_the_first_migration_created_the_vector_extension(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector")
        assert cursor.fetchone()[0] == pytest.approx(1.0)


@pytest.mark.skipif(
    not plain_postgres_running(),
    reason="needs a PostgreSQL without pgvector on 127.0.0.1:5432 (this machine's PostgreSQL 15)",
)
def test_a_server_without_pgvector_gives_one_clear_message():
    result = run_manage("check", env={"DATABASE_URL": PLAIN_POSTGRES})
    assert result.returncode == 2
    assert "has no `vector` extension (pgvector)" in result.stderr
    assert "postgresql-15-pgvector" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_does_not_stop_start_up():
    """Web processes must come up and report the outage on /readyz."""
    result = run_manage("check", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"})
    assert result.returncode == 0, result.stderr
    assert "unreachable at start-up" in result.stderr


def test_a_non_postgresql_database_url_is_refused():
    result = run_manage("check", env={"DATABASE_URL": "mysql://root@127.0.0.1:3306/test"})
    assert result.returncode != 0
    assert "must point at PostgreSQL" in result.stderr


def test_a_fresh_embedded_server_starts_with_the_projects_settings(tmp_path):
    """initdb's 128 MB of shared buffers cannot hold a library's vectors; the embedded
    server is restarted once after initdb with server_settings(), and keeps them."""
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "for name in ('shared_buffers', 'work_mem', 'random_page_cost'):\n"
        "    c.execute('SELECT current_setting(%s)', [name]); print(name, c.fetchone()[0])\n"
    )
    env = {
        "EMBEDDED_PG_DATA": str(tmp_path / "pg"),
        "EMBEDDED_PG_SHARED_BUFFERS": "192MB",
        "DATABASE_URL": "",  # this test is about the embedded server
        "EMBEDDED_PG_DATABASE": "postgres",
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
    }
    for _ in range(2):  # first start: initdb + restart; second: starts the stopped server
        done = run_manage("shell", "-c", code, env=env)
        out = done.stdout
        assert done.returncode == 0, done.stderr[-2000:]
        assert "shared_buffers 192MB" in out, out
        assert "work_mem 32MB" in out, out
        assert "random_page_cost 1.1" in out, out
