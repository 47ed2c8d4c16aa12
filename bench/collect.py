"""Collect: events per second stored through POST /api/v1/collect against COPY.

Measured: the collector (`manage.py collector`: uvicorn processes of one thread,
analytics/api/collector.py), production's collect server, DEBUG off, on a free
loopback port; or with BENCH_COLLECT_SERVER=gunicorn, the same endpoint as the web
process serves it (the Django view, gthread workers). The load is
`wrk` (a C load generator, so the clients cost the shared two cores little)
posting batches of 50 realistic events as sendBeacon does (text/plain JSON):
a landing page view with UTM tags, a gallery view, impressions, clicks, a
lightbox, product clicks, an add to cart. Every request carries new event ids
(made by the Lua script), and a visitor's session spans four batches. The figure
is events durably stored per second, counted in the table afterwards.

Ceiling: COPY of the same number of rows of the same shape into the same
partitioned table (same indexes) in the same run, committed and deleted afterwards;
timed twice before and twice after the HTTP run (best of four), so a shift in the
shared machine's load does not favour either side.

Beside the rates, CPU per event: the server's worker processes', and (embedded server) the
database backends' of the server's connections, with COPY's backend CPU per row:
where an event's cost goes, which the shared machine's load inflates less than
wall-clock rates.

Goals: at least 0.3 of COPY's rate, i.e. ratio (COPY rate / ours)
<= 3.33, and at least 20,000 events/s. Everything the run wrote is deleted.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench.registry import Result, benchmark
from core.database import libpq_dsn

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50
SECONDS = int(os.environ.get("BENCH_COLLECT_SECONDS", "10"))
# gunicorn's shape for the Django view, chosen by measurement (2 cores, load 5-10 from
# other work, 8 s runs):
#   sync 4 workers     5,734 events/s  0.13 of COPY  54 us web CPU/event
#   sync 3 workers    12,479 events/s  0.15 of COPY  41 us
#   sync 8 workers       908 events/s  0.02 of COPY  (8 processes thrash two cores)
#   gthread 4 x 4      8,256 events/s  0.19 of COPY  67 us
#   gthread 2 x 8     11,813 events/s  0.18 of COPY  42 us
# and later, quieter (load 4-5; COPY's best of four then 124,000-141,000 rows/s):
#   gthread 2 x 4     19,616 events/s  0.15 of COPY  35 us
#   gthread 3 x 4     20,734 events/s  0.17 of COPY  39 us
#   gthread 2 x 8     19,013 events/s  0.14 of COPY  33 us (least CPU per event)
# gthread keeps connections alive (a sync worker pays a TCP connect and close per
# batch) and its threads overlap one batch's database wait with another's parsing;
# two processes leave the second core to PostgreSQL.
WORKERS = int(os.environ.get("BENCH_COLLECT_WORKERS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_COLLECT_CONNECTIONS", "16"))
WORKER_CLASS = os.environ.get("BENCH_COLLECT_WORKER_CLASS", "gthread")
THREADS = int(os.environ.get("BENCH_COLLECT_THREADS", "8"))  # per worker
# The collector: 0.30-0.39 of COPY against gunicorn's 0.22-0.25 in alternating runs
# on vacuumed tables (2026-11-22).
SERVER = os.environ.get("BENCH_COLLECT_SERVER", "collector")  # or "gunicorn"
COPY_ROWS = 50_000
ORIGIN = "https://bench-shop.example"
TARGET_SHARE_OF_COPY = 0.3
TARGET_EVENTS_PER_SECOND = 20_000

LUA = r"""
local pieces, kinds, counter, threads = {}, {}, 0, 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function init(args)
  tag = tonumber(args[2]) + id
  local file = io.open(args[1]); local text = file:read("*a"); file:close()
  local pos = 1
  while true do
    local s, e, kind = string.find(text, "@@(%u)", pos)
    if not s then pieces[#pieces + 1] = string.sub(text, pos); break end
    pieces[#pieces + 1] = string.sub(text, pos, s - 1); kinds[#kinds + 1] = kind; pos = e + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
  wrk.headers["Origin"] = "__ORIGIN__"
end
function request()
  counter = counter + 1
  local out, n, visit = {}, 0, math.floor(counter / 4)
  for i = 1, #kinds do
    out[#out + 1] = pieces[i]
    local kind = kinds[i]
    if kind == "E" then
      n = n + 1
      out[#out + 1] = string.format("%08x-%04x-4000-8000-%012x", tag, n, counter)
    elseif kind == "V" then
      out[#out + 1] = string.format("v_%x_%x", tag, visit)
    else
      out[#out + 1] = string.format("s_%x_%x", tag, visit)
    end
  end
  out[#out + 1] = pieces[#pieces]
  return wrk.format(nil, nil, nil, table.concat(out))
end
"""


def _batch_template(now_ms: int) -> list[dict]:
    """50 events of one visit, with @@E/@@V/@@S where the script puts ids."""
    page = "https://bench-shop.example/p/sun-hat"
    landing = f"{page}?utm_source=instagram&utm_medium=social&utm_campaign=spring_drop"
    kinds = (
        [("page_view", {"page_url": landing, "referrer": "https://l.instagram.com/"})]
        + [("gallery_view", {"gallery": "homepage"})]
        + [("asset_impression", {"asset_id": 1000 + i, "gallery": "homepage", "position": i})
           for i in range(36)]
        + [("asset_click", {"asset_id": 1003, "gallery": "homepage", "position": 3})] * 4
        + [("lightbox_open", {"asset_id": 1003, "gallery": "homepage"})] * 3
        + [("product_click", {"product_sku": "SKU-HAT-1", "asset_id": 1003})] * 3
        + [("add_to_cart", {"product_sku": "SKU-HAT-1", "value": "39.90", "currency": "EUR"})]
        + [("page_view", {"page_url": f"{page}/cart"})]
    )  # fmt: skip
    assert len(kinds) == BATCH
    return [
        {
            "event_id": "@@E",
            "type": kind,
            "client_time": now_ms - (BATCH - index) * 1500,
            "visitor_id": "@@V",
            "session_id": "@@S",
            "page_url": page,
            "referrer": "",
            **fields,
        }
        for index, (kind, fields) in enumerate(kinds)
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_command(port: int) -> list[str]:
    """The collector, as production runs it; or gunicorn serving the Django view."""
    if SERVER == "collector":
        return [sys.executable, "manage.py", "collector", "--port", str(port),
                "--workers", str(WORKERS)]  # fmt: skip
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
        f"127.0.0.1:{port}", "--workers", str(WORKERS), "--worker-class", WORKER_CLASS,
        "--threads", str(THREADS),
        "--log-level", "warning", "--env", "DJANGO_SETTINGS_MODULE=config.settings.dev",
        "--timeout", "120",  # a loaded machine can take more than the default 30 s to boot
    ]  # fmt: skip


def _start_server(port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "DEBUG": "false",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING"}  # fmt: skip
    command = _server_command(port)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"),
                              stderr=subprocess.STDOUT)  # fmt: skip
    from core.processes import Child, wait_for_http

    child = Child(SERVER, command, log)
    child.process = server
    wait_for_http(f"http://127.0.0.1:{port}/healthz", child, timeout=180)
    return server


def _server_text() -> str:
    if SERVER == "collector":
        return f"the collector, {WORKERS} uvicorn processes of one thread"
    return f"{WORKERS} {WORKER_CLASS} workers x {THREADS} threads"


def _wrk(url: str, script: Path, template: Path, tag: int, seconds: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), url, "--", str(template), str(tag)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests = int(re.search(r"(\d+) requests in", output)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"requests": requests, "non_2xx": int(bad[1]) if bad else 0,
            "socket_errors": errors[1] if errors else "", "output": output}  # fmt: skip


def _web_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU the server's workers have used so far: a cost that the machine's other load
    does not inflate, unlike wall-clock throughput."""
    import psutil

    main = psutil.Process(server.pid)
    total = 0.0
    for process in [main, *main.children(recursive=True)]:  # one process serves alone
        times = process.cpu_times()
        total += times.user + times.system
    return total


def _database_backends() -> list[int]:
    """This database's client backends now (the server's connections, kept open)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _database_cpu_seconds(pids: list[int]) -> float | None:
    """CPU these backends have used so far, when the server runs on this machine (the
    embedded one): with the web CPU, the cost of an event on each side. None for a
    server elsewhere, or when one of them has gone (the figure would be short)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            if not process.name().startswith("postgres"):
                return None
            times = process.cpu_times()
        except psutil.Error:
            return None
        total += times.user + times.system
    return total if pids else None


def _database_cpu_note(
    before: float | None, after: float | None, stored: int, copy_cpu: float | None
) -> str:
    if before is None or after is None:
        return ""
    note = f"database CPU {(after - before) / stored * 1e6:.0f} us per event"
    if copy_cpu is not None:
        note += f" (COPY's {copy_cpu / COPY_ROWS * 1e6:.1f} us per row)"
    return note + "; "


def _stored(site_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM analytics_event WHERE site_id = %s", [site_id])
        return cursor.fetchone()[0]


def _copy_rows(rows: int, site_id: int) -> bytes:
    """The same events as the HTTP side stores, as COPY text rows."""
    now = datetime.now(UTC)
    template = _batch_template(int(now.timestamp() * 1000))
    out = io.StringIO()
    for number in range(rows):
        e = template[number % BATCH]
        visit = number // (BATCH * 4)
        client_time = datetime.fromtimestamp(e["client_time"] / 1000, UTC).isoformat()
        fields = [
            str(uuid.uuid4()), now.isoformat(), str(site_id), "0" * 32, e["type"], client_time,
            "f", f"v_copy_{visit}", f"s_copy_{visit}", e["page_url"], e["referrer"],
            str(e.get("asset_id", "\\N")), e.get("gallery", "\\N"), e.get("product_sku", "\\N"),
            str(e.get("position", "\\N")), e.get("value", "\\N"), e.get("currency", "\\N"),
            "\\N", "\\N",
        ]  # fmt: skip
        out.write("\t".join(fields) + "\n")
    return out.getvalue().encode()


COPY_SQL = (
    "COPY analytics_event (event_id, received_at, site_id, ip_hash, type, client_time, "
    "time_clamped, visitor_id, session_id, page_url, referrer, asset_id, gallery, product_sku, "
    "position, value, currency, experiment, variant) FROM STDIN"
)


def _timed_copy(data: bytes) -> tuple[float, float | None]:
    """Seconds to COPY and commit the rows (durably stored, as the endpoint's are;
    new event ids each time, deleted with the bench site afterwards), and the CPU
    seconds its backend used for it (None for a server elsewhere)."""
    with psycopg.connect(libpq_dsn(settings.DATABASES["default"])) as conn:
        backend = [conn.info.backend_pid]
        cpu_before = _database_cpu_seconds(backend)
        started = time.perf_counter()
        with conn.cursor().copy(COPY_SQL) as copy:
            copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - started
        cpu_after = _database_cpu_seconds(backend)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return elapsed, cpu


def _clean_up(site) -> None:
    connection.close_if_unusable_or_obsolete()  # the server may have gone away meanwhile
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM analytics_eventreceipt r USING analytics_event e "
            "WHERE e.event_id = r.event_id AND e.site_id = %s",
            [site.id],
        )
        cursor.execute("DELETE FROM analytics_event WHERE site_id = %s", [site.id])
    site.delete()  # visitors, sessions and bot counts go with it
    _vacuum()


def _vacuum() -> None:
    """Give back the space of deleted rows. A run deletes about half a million rows;
    without this the next run's COPY and ours both write into bloated tables and
    indexes, and COPY slows more than we do (its whole cost is that work): over ten
    runs COPY fell from 171,000 to 95,000 rows/s and our share rose from 0.17 to
    0.36 with no change of code. Vacuumed, every run starts from the same tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM analytics_event, analytics_eventreceipt, analytics_session, analytics_visitor"
        )


def _commits() -> int:
    """Transactions committed in this database so far (statistics are read afresh)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        )
        return cursor.fetchone()[0]


@benchmark
def collect_events() -> Result:
    from ugc.models import Site

    if not shutil.which("wrk"):
        raise RuntimeError("bench collect needs wrk (apt-get install wrk)")
    call_command("migrate", "analytics", verbosity=0)
    _vacuum()  # whatever deleted rows earlier work left
    site = Site.objects.create(name="bench collect", domain="bench-shop.example",
                               allowed_origins=[ORIGIN])  # fmt: skip
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api/v1/collect?key={site.publishable_key}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            script, template = tmp / "collect.lua", tmp / "batch.json"
            script.write_text(LUA.replace("__ORIGIN__", ORIGIN))
            batch = {"events": _batch_template(int(time.time() * 1000))}
            template.write_text(json.dumps(batch, separators=(",", ":")))
            server = _start_server(port, tmp / "server.log")
            try:
                tag = secrets.randbelow(2**20) * 16
                _wrk(url, script, template, tag, 3)  # warm-up: imports, connections, caches
                copies = [_timed_copy(_copy_rows(COPY_ROWS, site.id)) for _ in range(2)]
                before, cpu_before = _stored(site.id), _web_cpu_seconds(server)
                backends = _database_backends()
                db_before = _database_cpu_seconds(backends)
                commits_before = _commits()
                started = time.perf_counter()
                run = _wrk(url, script, template, tag + 8, SECONDS)
                elapsed = time.perf_counter() - started
                web_cpu = _web_cpu_seconds(server) - cpu_before
                db_after = _database_cpu_seconds(backends)
                stored = _stored(site.id) - before
                commits = _commits() - commits_before
            finally:
                server.terminate()
                server.wait(timeout=30)
        assert run["non_2xx"] == 0, run["output"]
        # wrk counts answered requests; a few in flight when it stopped may be stored too.
        assert stored >= run["requests"] * BATCH, (stored, run["requests"])
        copies += [_timed_copy(_copy_rows(COPY_ROWS, site.id)) for _ in range(2)]
    finally:
        _clean_up(site)
    ours = stored / elapsed
    best_copy = min(copies, key=lambda copy: copy[0])  # the fastest, with its backend CPU
    copy_rate = COPY_ROWS / best_copy[0]
    return Result(
        f"collect events ({SERVER}, batches of 50)",
        measured_s=stored / ours,
        ceiling_s=stored / copy_rate,
        target_ratio=1 / TARGET_SHARE_OF_COPY,
        note=(
            f"{ours:,.0f} events/s stored via HTTP ({_server_text()}, {CONNECTIONS} "
            f"connections), COPY {copy_rate:,.0f} rows/s; "
            "share of COPY "
            f"{ours / copy_rate:.2f} (goal >= {TARGET_SHARE_OF_COPY}), goal "
            f">= {TARGET_EVENTS_PER_SECOND:,} events/s; web CPU {web_cpu / stored * 1e6:.0f} us "
            f"per event ({stored / web_cpu:,.0f} events per CPU-second); "
            f"{_database_cpu_note(db_before, db_after, stored, best_copy[1])}"
            f"{run['requests'] / max(commits, 1):.1f} batches per commit (group commit); "
            f"load average {os.getloadavg()[0]:.1f}"
        ),
        goals_met=ours >= TARGET_EVENTS_PER_SECOND,
    )
