"""The broker (Redis) stopped and started again while assets are uploaded and events
posted: nothing acknowledged is lost and everything is processed after.

The machine's Redis serves other test runs, so this test runs a private
redis-server on a free port (no persistence: a restart empties it, the worst case)
and stops and starts that one. While it is down:
- collect does not need the broker: batches are stored and acknowledged (202);
- an upload is stored and answered 201 with the asset `received`; its pipeline
  message could not be sent, so readyz says the broker is down (503) and the
  beat task requeue_stalled_assets sends it once the broker is back.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from core.roles import COORDINATOR
from tests.analytics.web import batch, free_port, post_batch, start_web
from tests.conftest import _reset_producer_pools
from tests.fault.servers import readyz, upload
from tests.support.worker import Worker, database_env, wait_until
from tests.ugc.factories import SiteFactory, UserFactory
from tests.ugc.ingest_support import jpeg_bytes
from ugc.models import Asset

pytestmark = pytest.mark.worker


class PrivateRedis:
    def __init__(self, directory):
        self.port, self.directory, self.process = free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory)]  # fmt: skip
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        wait_until(self._answers, timeout=20, what="redis to answer")

    def _answers(self) -> bool:
        import redis

        try:
            return redis.Redis(port=self.port, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the broker restart test")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_on_private_redis(private_redis):
    from config.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = private_redis.url
    _reset_producer_pools(app)
    yield app
    app.conf.broker_url = saved
    _reset_producer_pools(app)


def _jpeg(color) -> bytes:
    return jpeg_bytes(color, size=(64, 48))


def test_a_broker_restart_loses_no_upload_and_no_event(
    transactional_db, tmp_path, private_redis, app_on_private_redis
):
    from ugc.services.pipeline import requeue_stalled

    user = UserFactory()
    user.groups.add(Group.objects.get(name=COORDINATOR))
    token = Token.objects.create(user=user).key
    site = SiteFactory(allowed_origins=[])
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", **database_env(),
           "CELERY_BROKER_URL": private_redis.url, "MEDIA_ROOT": str(tmp_path / "media"),
           "PRIVATE_MEDIA_ROOT": str(tmp_path / "private")}  # fmt: skip
    port = free_port()
    web = start_web(port, env, tmp_path / "web.log", workers=1)
    worker = Worker(private_redis.url, extra_env={k: v for k, v in env.items() if "MEDIA" in k})
    try:
        status, before, _ = upload(port, token, [("before.jpg", _jpeg((200, 30, 30)))])
        assert status == 201, before
        sent = [batch("v_before", 20)]

        private_redis.stop()
        status, during, _ = upload(port, token, [("during.jpg", _jpeg((30, 30, 200)))])
        assert status == 201, (status, during, web.log_tail())
        assert readyz(port) == 503, "readiness says the broker is down"
        sent.append(batch("v_during", 20))
        for events in sent:
            status, body, _ = post_batch(port, site.publishable_key, events)
            assert status == 202 and body["accepted"] == len(events), body

        private_redis.start()  # empty: whatever was queued before is gone as well
        assert readyz(port) == 200
        worker.start(tmp_path)
        # The beat task's service, called as the beat would: everything still `received`.
        requeued = requeue_stalled(older_than=timedelta(0))
        ids = [row["asset_id"] for row in before["results"] + during["results"]]
        assert set(ids) <= set(requeued) | set(
            Asset.objects.exclude(processing_state="received").values_list("pk", flat=True)
        )
        wait_until(
            lambda: Asset.objects.filter(pk__in=ids, processing_state="in_review").count() == 2,
            timeout=120,
            what=f"both assets processed; worker log:\n{worker.log()[-3000:]}",
        )
    finally:
        worker.stop()
        web.stop()
    from analytics.models import Event

    stored = Event.objects.filter(site_id=site.pk).count()
    assert stored == sum(len(events) for events in sent), "count in = count out"
    for asset in Asset.objects.filter(pk__in=ids):
        renditions = list(asset.renditions.values_list("kind", "format", "width"))
        assert renditions and len(renditions) == len(set(renditions)), "no duplicate rendition"
