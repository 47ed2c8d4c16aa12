"""A PostgreSQL restart while the media pipeline works through an upload: the API
answers 503 with Retry-After while the database is down, the worker recovers by
itself, and every asset is processed once the database is back, each with its whole
set of renditions, none twice, none half-written, no file left over.

On the embedded defaults the broker is a table in the same database, so the restart
takes the broker down with it: the worker loses the task it was running, its retry
and its ack all at once. A private PostgreSQL (tests/fault/conftest.py) serves the
web, the worker and the broker; the shared one is never touched. Every queue's time
limits are shortened, keeping the visibility timeout above them as the settings
require, so a message whose ack was lost comes back within seconds, not the default
hard limit plus five minutes.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from PIL import Image

from config.queues import QUEUES
from tests.analytics.web import batch, free_port, post_batch, start_web
from tests.fault.servers import readyz, upload
from tests.support.media_files import jpeg_bytes, photo
from tests.support.procs import run_python
from tests.support.worker import EMBEDDED, Worker, wait_until
from ugc.services.pipeline import IMAGE_STEPS

pytestmark = pytest.mark.worker

NAME = "media_restart"
PHOTOS = 8
# A task lost with the database comes back after the visibility timeout, which must
# exceed the hard limits; an asset takes under a second here, a few under load.
TIME_LIMITS, VISIBILITY_TIMEOUT = "12:15", "20"
# What the worker's log says once it has met the outage, task and broker alike.
MET_THE_OUTAGE = ("reject requeue=True", "consumer: Cannot connect to")
MAKE_ACCOUNTS = """
import django; django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from core.roles import COORDINATOR
from ugc.models import Site
user = get_user_model().objects.create_user("coordinator", password="not-used-here")
user.groups.add(Group.objects.get(name=COORDINATOR))
site = Site.objects.create(name="Shop", domain="shop.example")
print(Token.objects.create(user=user).key, site.publishable_key)
"""


def _states(url: str) -> dict[int, str]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return dict(conn.execute("SELECT id, processing_state FROM ugc_asset").fetchall())


def _in_renditions_step(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute(
            "SELECT EXISTS (SELECT FROM ugc_asset WHERE processing_state = 'processing'"
            " AND steps_done ? 'validated' AND NOT steps_done ? 'renditions')"
        ).fetchone()[0]


def _photos(count: int, first_seed: int) -> list[tuple[str, bytes]]:
    return [
        (f"photo{seed}.jpg", jpeg_bytes(photo(2400, 1800, seed=seed), quality=90))
        for seed in range(first_seed, first_seed + count)
    ]


def test_assets_in_processing_all_finish_after_a_database_restart(private_postgres, tmp_path):
    url = private_postgres.create_database(NAME)
    media = tmp_path / "media"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": url,
        "DATABASE_RETRY_AFTER_SECONDS": "3",
        "MEDIA_ROOT": str(media),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "CELERY_TIME_LIMITS": ",".join(f"{queue}={TIME_LIMITS}" for queue in QUEUES),
        "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT,
        "MEDIA_AVIF_WIDTHS": "640,1080",
        "MEDIA_AVIF_SPEED": "6",
    }
    # The worker starts while the accounts are made and the web server starts.
    worker = Worker(EMBEDDED, extra_env=env).launch(tmp_path)
    web = None
    events_in = 0
    try:
        made = run_python(MAKE_ACCOUNTS, env=env)
        assert made.returncode == 0, made.stderr[-3000:]
        token, key = made.stdout.split()[-2:]
        port = free_port()
        web = start_web(port, env, tmp_path / "web.log", workers=1)
        worker.wait_ready()

        status, body, _ = upload(port, token, _photos(PHOTOS, first_seed=0))
        assert status == 201, body
        assert len(body["results"]) == PHOTOS
        status, body, _ = post_batch(port, key, batch("v_before"))
        assert status == 202, body
        events_in += body["accepted"]

        # Down while the worker is half-way through the upload, inside an asset's
        # renditions step (its slowest: AVIF is encoded too).
        wait_until(
            lambda: _in_renditions_step(url),
            timeout=180,
            interval=0.05,
            what=f"an asset inside its renditions step; worker log:\n{worker.log()[-3000:]}",
        )
        assert list(_states(url).values()).count("in_review") < PHOTOS, "too late to matter"
        private_postgres.stop()

        status, body, headers = upload(port, token, _photos(1, first_seed=100))
        assert status == 503, (status, body, web.log_tail())
        assert headers["Retry-After"] == "3"
        assert headers["Content-Type"].startswith("application/problem+json")
        status, body, headers = post_batch(port, key, batch("v_during"))
        assert status == 503 and headers["Retry-After"] == "3", (status, body)
        assert readyz(port) == 503
        # The worker meets the outage: its task's writes fail (it is rejected, and the
        # reject itself is lost) and its broker connection cannot be made again.
        wait_until(
            lambda: all(text in worker.log() for text in MET_THE_OUTAGE),
            timeout=60,
            what=f"the worker meeting the outage; worker log:\n{worker.log()[-3000:]}",
        )
        private_postgres.start()

        after = _photos(1, first_seed=200)
        deadline = time.monotonic() + 60
        while (answer := upload(port, token, after))[0] != 201:
            assert answer[0] == 503, answer[:2]  # never a 500 on the way back
            assert time.monotonic() < deadline, web.log_tail()
            time.sleep(0.5)
        status, body, _ = post_batch(port, key, batch("v_after"))
        assert status == 202, body
        events_in += body["accepted"]

        wait_until(
            lambda: set(_states(url).values()) == {"in_review"},
            timeout=240,
            interval=1,
            what=f"every asset processed: {_states(url)}; worker log:\n{worker.log()[-4000:]}",
        )
        assert worker.child.running(), "the worker recovered by itself, without a restart"
        assert web.running()
    finally:
        worker.stop()
        if web is not None:
            web.stop()

    with psycopg.connect(url) as conn:
        _assert_whole_results(conn, media, assets=PHOTOS + 1)
        events_out = conn.execute("SELECT count(*) FROM analytics_event").fetchone()[0]
    assert events_out == events_in == 100, "count in = count out"


def _assert_whole_results(conn: psycopg.Connection, media: Path, assets: int) -> None:
    steps = conn.execute("SELECT id, steps_done FROM ugc_asset").fetchall()
    assert len(steps) == assets
    assert all(set(done) == set(IMAGE_STEPS) for _, done in steps), steps
    finished = conn.execute(
        "SELECT asset_id, count(*) FROM ugc_auditentry"
        " WHERE action = 'processing_state:in_review' GROUP BY asset_id"
    ).fetchall()
    assert sorted(n for _, n in finished) == [1] * assets, "each asset finished once"

    rows = conn.execute(
        "SELECT asset_id, kind, format, width, height, byte_size, file FROM ugc_rendition"
    ).fetchall()
    sizes: dict[int, set] = {}
    for asset_id, kind, fmt, width, height, byte_size, name in rows:
        sizes.setdefault(asset_id, set()).add((kind, fmt, width))
        path = media / name
        assert path.stat().st_size == byte_size, f"{name}: the file is the one recorded"
        with Image.open(path) as im:
            im.load()  # a truncated file fails here
            assert im.size == (width, height), name
    assert len(sizes) == assets and len({frozenset(s) for s in sizes.values()}) == 1, sizes
    on_disk = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}
    assert on_disk == {row[-1] for row in rows}, "no file without its row, no row without its file"
