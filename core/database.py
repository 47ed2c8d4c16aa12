"""Where the database is, and the one clear message when it lacks pgvector.

With DATABASE_URL set we use that server; without it, the embedded PostgreSQL
from pgserver (see embedded_postgres.py). Either way the engine is PostgreSQL
and the `vector` extension must be available.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

from core import embedded_postgres

VECTOR_MISSING = """\
The database server has no `vector` extension (pgvector), which this project needs.

  server: {where}

Install pgvector on that server (for example `apt-get install postgresql-{major}-pgvector`,
or use the `pgvector/pgvector:pg17` Docker image), then run `CREATE EXTENSION vector;`
as a superuser, or unset DATABASE_URL to use the embedded PostgreSQL that ships with it.
"""


def database_settings(base_dir: Path, *, conn_max_age: int = 60) -> dict:
    """Django's DATABASES['default'] for this process."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        if config["ENGINE"] != "django.db.backends.postgresql":
            sys.exit(
                f"DATABASE_URL must point at PostgreSQL (with pgvector), not {config['ENGINE']}."
            )
        config["OPTIONS"] = {"connect_timeout": 5, **config.get("OPTIONS", {})}
        return config
    params = embedded_postgres.ensure_running(base_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("EMBEDDED_PG_DATABASE", params["dbname"]),
        "USER": params["user"],
        "PASSWORD": "",
        "HOST": params["host"],
        "PORT": params["port"],
        "CONN_MAX_AGE": conn_max_age,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }


def replica_settings(url: str, *, conn_max_age: int = 60) -> dict:
    """DATABASES['replica'] from DATABASE_REPLICA_URL. Tests mirror it to the primary's
    test database (the replica follows the primary; it has no test database of its own)."""
    config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"DATABASE_REPLICA_URL must point at PostgreSQL, not {config['ENGINE']}.")
    config["OPTIONS"] = {"connect_timeout": 5, **config.get("OPTIONS", {})}
    config["TEST"] = {"MIRROR": "default"}
    return config


def libpq_dsn(db: dict, *, name: str | None = None) -> str:
    """A libpq connection string for a DATABASES entry (for the broker and tools)."""
    from psycopg.conninfo import make_conninfo

    parts = {
        "dbname": name or db["NAME"],
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
    }
    return make_conninfo(**{k: v for k, v in parts.items() if v})


def database_url(db: dict, *, name: str | None = None) -> str:
    """A DATABASE_URL for a DATABASES entry; a socket directory is percent-encoded."""
    from urllib.parse import quote

    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = quote(db.get("HOST") or "localhost", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{host}{port}/{quote(name or db['NAME'], safe='')}"


def describe(db: dict) -> str:
    """Where the database is, without its password."""
    return f"{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{db.get('NAME')}"


def vector_problem(connection) -> str | None:
    """None when pgvector is available on the server, else the message to show."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone():
            return None
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
    return VECTOR_MISSING.format(where=describe(connection.settings_dict), major=major)


def pgvector_version(connection) -> tuple[int, ...] | None:
    """The installed pgvector version, e.g. (0, 6, 2); None if not installed.

    Features differ by version (iterative index scans for filtered vector
    search arrived in 0.8), so code that depends on them asks here.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        row = cursor.fetchone()
    if not row:
        return None
    return tuple(int(part) for part in row[0].split(".") if part.isdigit())
