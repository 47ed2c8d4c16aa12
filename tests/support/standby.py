"""A real streaming replica of the embedded PostgreSQL, for tests of replica reads.

The embedded server already runs with `wal_level=replica`, WAL senders and a
`replication` line in pg_hba.conf (initdb's defaults), so a hot standby needs no
restart of it: `pg_basebackup -R` copies the cluster into a temporary directory,
and the bundled binaries start it there on its own port and socket directory,
streaming from the primary. As root, everything runs as pgserver's own user (the
server refuses to run as root), exactly as the embedded server does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg


def _system_user() -> str | None:
    return "pgserver" if os.geteuid() == 0 else None


def _run(program: str, args: list[str], timeout: float) -> None:
    import subprocess

    from pgserver._commands import POSTGRES_BIN_PATH

    subprocess.run(
        [str(Path(POSTGRES_BIN_PATH) / program), *args],
        check=True,
        capture_output=True,
        timeout=timeout,
        user=_system_user(),
    )


@dataclass
class Standby:
    host: str  # the socket directory
    port: int
    directory: Path

    def connect(self, dbname: str) -> psycopg.Connection:
        return psycopg.connect(host=self.host, port=self.port, user="postgres", dbname=dbname)

    def catch_up(self, primary: dict, timeout: float = 15) -> None:
        """Wait until the standby has replayed everything the primary has written."""
        with psycopg.connect(autocommit=True, **primary) as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect(primary["dbname"]) as conn:
            conn.autocommit = True
            while not conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
            ).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the standby did not catch up within {timeout}s")
                time.sleep(0.05)

    def pause_replay(self, paused: bool) -> None:
        with self.connect("postgres") as conn:
            conn.execute(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")

    def stop(self) -> None:
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            _run("pg_ctl", ["-D", str(data), "-m", "fast", "-w", "stop"], timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_standby(primary: dict, port: int, timeout: float = 30) -> Standby:
    """A hot standby of the server `primary` (psycopg keywords: host, port, user, dbname)."""
    directory = Path(tempfile.mkdtemp(prefix="test-standby-"))
    data, sockets = directory / "data", directory / "sockets"
    sockets.mkdir()
    if user := _system_user():
        owner = pwd.getpwnam(user)
        for path in (directory, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    standby = Standby(str(sockets), port, directory)
    try:
        _run(
            "pg_basebackup",
            ["-h", primary["host"], "-p", str(primary["port"]), "-U", primary["user"],
             "-D", str(data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"],
            timeout=timeout,
        )  # fmt: skip
        options = (
            f"-p {port} -k {sockets} -c listen_addresses='' -c hot_standby=on "
            "-c shared_buffers=32MB -c fsync=off"
        )
        log = directory / "postgres.log"
        _run("pg_ctl", ["-D", str(data), "-o", options, "-l", str(log), "-w", "start"], timeout)
    except Exception:
        standby.stop()
        raise
    with standby.connect("postgres") as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0], "not a standby"
    return standby
