"""PostgreSQL with pgvector everywhere, and one clear message when it is missing."""

import socket

import pytest
from django.db import connection

from config.database import pgvector_version
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
