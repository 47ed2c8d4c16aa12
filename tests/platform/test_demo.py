"""`manage.py demo` brings the product up on the embedded defaults with a seeded brand
(catalog, library through the real pipeline, curation, shoppers, rollups,
attribution); Ctrl-C stops it at any moment, within STOP_SECONDS and with nothing
left running, the embedded PostgreSQL included; a seeding step cut short is redone
by the next run, which ends with the complete demo; a run after that adds nothing.
Ctrl-C is sent as a terminal sends it: SIGINT to the whole process group of the
command (uv and the demo under it). The demo runs `--quick`: fewer photos and days,
every step.

One data directory for every run: fresh for the first (migrating), then each run
finds what the ones before it left."""

import contextlib
import os
import signal
import time

import psutil

from tests.platform.demo_support import (
    STOP_SECONDS,
    DemoRun,
    check_first_run,
    check_seeded,
    counts,
    processes_using,
    wait_for_output,
)


def running(procs: list[psutil.Process]) -> list[str]:
    alive = []
    for proc in procs:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{proc.pid}: {' '.join(proc.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return alive


def postmaster(pgdata) -> list[psutil.Process]:
    """The embedded server's postmaster (its workers go with it), if it runs."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        return [psutil.Process(pid)]
    except (FileNotFoundError, IndexError, ValueError, psutil.NoSuchProcess):
        return []


def interrupt(run: DemoRun, tmp_path, *, held: tuple[psutil.Process, ...] = ()) -> str:
    """Ctrl-C: SIGINT to the demo's process group; everything it started must be gone
    within STOP_SECONDS. Its output. `held` are processes the test suspended: they go
    on right after the Ctrl-C, which they then receive."""
    group = psutil.Process(run.process.pid)
    procs = [group, *group.children(recursive=True), *postmaster(run.pgdata)]
    started = time.monotonic()
    os.killpg(run.process.pid, signal.SIGINT)
    for proc in held:
        proc.resume()
    while (left := running(procs)) and time.monotonic() - started < STOP_SECONDS:
        time.sleep(0.2)
    took = time.monotonic() - started
    output = run.out.read_text()
    assert not left, f"left running {took:.1f} s after Ctrl-C: {left}\n{output}"
    code = run.process.wait(timeout=5)
    # uv itself answers 130 when the Ctrl-C reaches it before its own signal handler is
    # in place (seen at the first moment, seconds after start); the demo under it still
    # shut down cleanly, which is what it says and what a person sees.
    assert code == 0 or (code == 130 and "[demo] shutdown: done" in output), output
    assert not processes_using(tmp_path), "nothing runs from the demo's data directory"
    return output


def stop_at(tmp_path, name: str, moment: str, *, via_uv: bool = False) -> str:
    run = DemoRun(tmp_path, name, via_uv=via_uv)
    try:
        wait_for_output(run.out, moment, run.process, timeout=300)
        return interrupt(run, tmp_path)
    finally:
        run.kill()


def web_server(run: DemoRun) -> psutil.Process:
    children = psutil.Process(run.process.pid).children(recursive=True)
    return next(proc for proc in children if "runserver" in proc.cmdline())


def stop_in_shoppers(tmp_path) -> str:
    """Ctrl-C in the middle of the shoppers step, whatever the machine's speed: the web
    server is suspended once the catalog is in (library and curation do not use it),
    so the step waits on its first HTTP batch until the Ctrl-C."""
    run = DemoRun(tmp_path, "shoppers")
    try:
        wait_for_output(run.out, "[demo] catalog:", run.process, timeout=300)
        web = web_server(run)
        web.suspend()
        try:
            wait_for_output(run.out, "[demo] curation:", run.process, timeout=300)
            time.sleep(0.5)  # into the step, as far as it can go without the web server
            return interrupt(run, tmp_path, held=(web,))
        finally:
            with contextlib.suppress(psutil.NoSuchProcess):
                web.resume()  # when the wait above failed
    finally:
        run.kill()


def test_ctrl_c_stops_everything_at_any_moment_and_the_next_run_completes(tmp_path):
    # Migrating a fresh database (the embedded server just made, then restarted).
    output = stop_at(tmp_path, "migrating", "[demo] database:", via_uv=True)
    assert "SIGINT received" in output
    stop_at(tmp_path, "worker", "[demo] worker: starting")
    # Seeding: the library half processed (the worker holds some of its messages),
    # then the shoppers half sent (curation is the step before).
    stop_at(tmp_path, "library", "[demo] library: processing")
    output = stop_in_shoppers(tmp_path)
    assert "[demo] shoppers:" not in output, "the shoppers step was cut short"

    last = DemoRun(tmp_path, "last", via_uv=True)
    try:
        output = last.ready()
        assert "[demo] shoppers:" in output
        seen = check_first_run(last, output)
        check_seeded(seen)
        # After Ready, when the worker is busiest (beat's first rescoring and rollups):
        # a stop must not wait for its tasks; they are requeued.
        interrupt(last, tmp_path)
    finally:
        last.kill()

    again = DemoRun(tmp_path, "again")
    try:
        again.ready()
        assert counts(again.pgdata) == seen, "a run after a complete one adds nothing"
        took = again.stop(signal.SIGTERM)
        assert took < STOP_SECONDS, f"SIGTERM took {took:.1f} s"
    finally:
        again.kill()
    assert not processes_using(tmp_path), "nothing runs from the demo's data directory"
