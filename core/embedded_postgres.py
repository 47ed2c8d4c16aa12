"""The embedded PostgreSQL (with pgvector) that runs when DATABASE_URL is unset.

pgserver starts one server per data directory and keeps a list of the pids that
use it; the last one to exit stops it. Every process of the project (web,
workers, management commands, tests) calls `ensure_running()` and so shares the
same server. pgserver never forgets a pid that died without running its exit
hooks (SIGKILL, os._exit in a forked child), which would keep the server up
forever, so we drop dead pids from its list before we join and before we leave.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
from pathlib import Path

PID_LIST = ".handle_pids.json"


def default_shared_buffers() -> str:
    """A quarter of the machine's memory, at most 4 GB (PostgreSQL's usual advice). A
    1M-asset library's vectors and HNSW index take about 2.4 GB; a search that must read
    them page by page from the OS cache pays a system call per page, which made a 1%-filtered
    semantic search read 10,000 rows at ~10 us each instead of from shared memory."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return "1GB"
    megabytes = max(128, min(4096, memory // 4 // 2**20))
    return f"{megabytes}MB"


def server_settings() -> dict[str, str]:
    """What the embedded server runs with, beyond initdb's defaults (which are sized for
    a 1990s machine: 128 MB of buffers cannot hold a large library's vectors and their
    HNSW index, and 64 MB of maintenance memory makes index builds spill to disk)."""
    return {
        "shared_buffers": os.environ.get("EMBEDDED_PG_SHARED_BUFFERS") or default_shared_buffers(),
        "maintenance_work_mem": os.environ.get("EMBEDDED_PG_MAINTENANCE_WORK_MEM", "1GB"),
        "work_mem": "32MB",
        "random_page_cost": "1.1",  # local SSD: random reads cost about what sequential do
        "effective_io_concurrency": "64",
    }


def data_dir(base_dir: Path) -> Path:
    default = Path(os.environ.get("DATA_DIR") or base_dir / ".data") / "pg"
    return Path(os.environ.get("EMBEDDED_PG_DATA") or default).resolve()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_pids(pgdata: Path) -> None:
    _quiet_runtime_dir()
    from pgserver.postgres_server import PostgresServer

    pid_list = pgdata / PID_LIST
    with PostgresServer._lock:
        if not pid_list.exists():
            return
        try:
            pids = json.loads(pid_list.read_text())
        except ValueError:
            # Left empty by a process killed mid-write: pgserver cannot parse it and
            # every later start fails, so it is rewritten (as no pid known) here.
            pids = None
        alive = [pid for pid in pids or [] if _pid_alive(pid)]
        if alive != pids:
            pid_list.write_text(json.dumps(alive))


def _quiet_runtime_dir() -> None:
    # platformdirs warns on every import when XDG_RUNTIME_DIR is unset and then
    # uses this very directory; naming it keeps the lock path and silences it.
    runtime = os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")  # noqa: S108
    Path(runtime).mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # not ours: platformdirs warns, uses it
        os.chmod(runtime, 0o700)


def ensure_running(base_dir: Path) -> dict:
    """Start (or join) the embedded server; return connection parameters.

    The returned dict has `host` (the unix socket directory), `user`, `port`
    and `dbname`, ready for Django's DATABASES or psycopg.
    """
    _quiet_runtime_dir()
    import pgserver

    pgdata = data_dir(base_dir)
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_pids(pgdata)
    fresh = not (pgdata / "PG_VERSION").exists()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    # atexit runs last-registered first: prune before pgserver counts who is left.
    atexit.register(_forget_dead_pids, pgdata)
    _apply_settings(server, restart=fresh)
    info = server.get_postmaster_info()
    return {
        "host": str(info.socket_dir),
        "port": int(info.port or 5432),
        "user": "postgres",
        "dbname": "postgres",
    }


def _apply_settings(server, *, restart: bool) -> None:
    """Bring the server's settings file to server_settings(). Most take effect on a
    reload; a new shared_buffers needs a restart, done only right after initdb (nobody
    else can be connected yet), otherwise it waits for the server's next start."""
    import psycopg
    from psycopg import sql

    info = server.get_postmaster_info()
    wanted = server_settings()
    dsn = {"host": str(info.socket_dir), "port": int(info.port or 5432), "user": "postgres"}
    with psycopg.connect(dbname="postgres", autocommit=True, **dsn) as conn:
        written = dict(
            conn.execute(
                "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE %s",
                ["%postgresql.auto.conf"],
            ).fetchall()
        )
        changes = {name: value for name, value in wanted.items() if written.get(name) != value}
        for name, value in changes.items():
            # Names come from our own table; values are quoted as literals.
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        if changes:
            conn.execute("SELECT pg_reload_conf()")
    if restart and "shared_buffers" in changes:
        from pgserver._commands import pg_ctl
        from pgserver.utils import PostmasterInfo

        pg_ctl(["-w", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        # pgserver stops the server at its last user's exit only if the postmaster it
        # recorded still runs: without this it would find the pre-restart one gone and
        # leave the new one running forever.
        server._postmaster_info = PostmasterInfo.read_from_pgdata(server.pgdata)
