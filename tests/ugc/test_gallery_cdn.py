"""CDN purges (ugc/delivery/cdn.py) against a local HTTP server that records them: each
provider's request shape, a revoke, a pin and a product change purging their keys
through a real worker, retries when the CDN fails, and the token never in a log."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery.signals import after_task_publish
from django.core.cache import cache

from commerce.models import Product
from commerce.signals import product_changed
from tests.support.worker import wait_until
from tests.ugc.factories import (
    GalleryFactory,
    GalleryPinFactory,
    ProductFactory,
    PublishableAssetFactory,
)
from ugc.delivery import cdn
from ugc.services import rights
from ugc.tasks import purge_cdn

TOKEN = "cdn-secret-token-4f9a7c"
# A held CDN answers once the test lets it go, or after this long: under the purge's
# own timeout, so a change that waited for the CDN would see its answer come back.
HELD_CDN_SECONDS = cdn.TIMEOUT_SECONDS - 2


class RecordingCdn:
    """A CDN's purge endpoint on a free loopback port: records each request and answers
    the next status of `statuses` (then 200); while `held()`, it answers nothing."""

    def __init__(self, statuses=()):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        self.released = threading.Event()
        self.released.set()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorder.released.wait(HELD_CDN_SECONDS)
                recorder.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = recorder.statuses.pop(0) if recorder.statuses else 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except BrokenPipeError:
                    pass  # a worker stopped at the test's end while it waited

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/purge"
        # A short poll, so close() (shutdown) returns at once rather than after 0.5 s.
        serve = {"poll_interval": 0.05}
        threading.Thread(target=self.server.serve_forever, kwargs=serve, daemon=True).start()

    @contextlib.contextmanager
    def held(self):
        """A slow CDN: nothing is answered (or recorded) until the block ends."""
        self.released.clear()
        try:
            yield
        finally:
            self.released.set()

    def keys(self) -> list[list[str]]:
        return [json.loads(r["body"])["keys"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recording_cdn():
    servers = []

    def start(**options) -> RecordingCdn:
        servers.append(RecordingCdn(**options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def use_cdn(settings, provider: str, url: str) -> None:
    settings.CDN_PURGE_PROVIDER = provider
    settings.CDN_PURGE_URL = url
    settings.CDN_PURGE_TOKEN = TOKEN


# --- each provider's request, sent from this process ------------------------------------


def test_fastly_purges_by_surrogate_key_header(recording_cdn, settings):
    server = recording_cdn()
    use_cdn(settings, "fastly", server.url)
    cdn.purge(["ugc-gallery-7", cdn.ALL_GALLERIES])
    (request,) = server.requests
    assert request["path"] == "/purge"
    assert request["headers"]["Fastly-Key"] == TOKEN
    assert request["headers"]["Surrogate-Key"] == "ugc-gallery-7 ugc-galleries"


def test_cloudflare_purges_by_tags(recording_cdn, settings):
    server = recording_cdn()
    use_cdn(settings, "cloudflare", server.url)
    cdn.purge(["ugc-gallery-7"])
    (request,) = server.requests
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request["body"]) == {"tags": ["ugc-gallery-7"]}


def test_a_webhook_gets_the_keys_as_json(recording_cdn, settings):
    server = recording_cdn()
    use_cdn(settings, "webhook", server.url)
    cdn.purge(["ugc-site-3"])
    assert server.keys() == [["ugc-site-3"]]
    assert server.requests[0]["headers"]["Content-Type"] == "application/json"


def test_a_failing_cdn_raises_without_the_token(recording_cdn, settings):
    server = recording_cdn(statuses=[503])
    use_cdn(settings, "webhook", server.url)
    with pytest.raises(cdn.PurgeFailed) as failed:
        cdn.purge(["ugc-galleries"])
    assert "503" in str(failed.value) and TOKEN not in str(failed.value)
    settings.CDN_PURGE_URL = "http://127.0.0.1:9/nothing-listens-here"
    with pytest.raises(cdn.PurgeFailed) as unreachable:
        cdn.purge(["ugc-galleries"])
    assert TOKEN not in str(unreachable.value)


def test_without_a_provider_nothing_is_queued_or_sent(settings, monkeypatch):
    from ugc import tasks

    settings.CDN_PURGE_PROVIDER = ""
    queued = []
    monkeypatch.setattr(tasks.purge_cdn, "delay", lambda keys: queued.append(keys))
    cdn.purge_later(["ugc-galleries"])
    assert queued == []


@pytest.mark.django_db
def test_responses_name_their_purge_keys(settings, client):
    settings.CDN_PURGE_PROVIDER = "cloudflare"
    settings.CDN_PURGE_URL = "https://api.cloudflare.com/client/v4/zones/z/purge_cache"
    cache.clear()
    gallery = GalleryFactory(slug="homepage")
    response = client.get(
        f"/api/v1/public/galleries/{gallery.slug}", {"key": gallery.site.publishable_key}
    )
    keys = [f"ugc-gallery-{gallery.pk}", f"ugc-site-{gallery.site_id}", "ugc-galleries"]
    assert response["Surrogate-Key"].split() == keys
    assert response["Cache-Tag"].split(",") == keys


# --- through a real worker: what a change purges ----------------------------------------


@contextlib.contextmanager
def queued_tasks(name: str):
    """The ids of the `name` tasks this process sends while the block runs."""
    ids: list[str] = []

    def sent(sender=None, headers=None, **kwargs):
        if sender == name:
            ids.append(headers["id"])

    after_task_publish.connect(sent, weak=False)
    try:
        yield ids
    finally:
        after_task_publish.disconnect(sent)


def received(worker, name: str) -> set[str]:
    return set(re.findall(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] received", worker.log()))


def finished(worker, name: str) -> set[str]:
    return set(re.findall(rf"Task {re.escape(name)}\[([0-9a-f-]+)\] succeeded", worker.log()))


@pytest.mark.worker
def test_revoke_pin_and_product_change_purge_their_keys_through_the_worker(
    recording_cdn, settings, app_on_broker, start_worker
):
    server = recording_cdn()
    gallery = GalleryFactory(slug="homepage")
    shown, to_pin = PublishableAssetFactory(), PublishableAssetFactory()
    GalleryPinFactory(gallery=gallery, asset=shown, position=0)
    product = ProductFactory()
    worker = start_worker(
        CDN_PURGE_PROVIDER="webhook", CDN_PURGE_URL=server.url, CDN_PURGE_TOKEN=TOKEN
    )
    use_cdn(settings, "webhook", server.url)
    queued: list[str] = []  # ids of every purge task the changes queued

    def purged_by(change) -> set[str]:
        """The keys purged for what `change` did, once every purge it queued is done."""
        seen = len(server.requests)
        with queued_tasks(purge_cdn.name) as ids, server.held():
            change()
            # The CDN has not answered yet; the change did not wait for it.
            assert len(server.requests) == seen
        assert ids, "the change queued no purge"
        queued.extend(ids)
        # The CDN answers 200 at once now: one request per queued purge.
        wait_until(lambda: len(server.requests) >= seen + len(ids), timeout=60, what="the purges")
        return {key for keys in server.keys()[seen:] for key in keys}

    assert purged_by(lambda: rights.revoke(shown, note="creator asked")) == {cdn.ALL_GALLERIES}
    pin = purged_by(lambda: GalleryPinFactory(gallery=gallery, asset=to_pin, position=1))
    assert pin == {cdn.gallery_key(gallery.pk)}
    change = purged_by(
        lambda: product_changed.send(sender=Product, product_ids=[product.pk], fields={"title"})
    )
    assert change == {cdn.ALL_GALLERIES}
    # Every purge was one a change queued, each asked the CDN exactly once.
    wait_until(lambda: len(finished(worker, purge_cdn.name)) == len(queued), timeout=30)
    assert received(worker, purge_cdn.name) == finished(worker, purge_cdn.name) == set(queued)
    assert len(server.requests) == len(queued)
    assert all(r["headers"]["Authorization"] == f"Bearer {TOKEN}" for r in server.requests)
    assert TOKEN not in worker.log()


@pytest.mark.worker
def test_a_failing_cdn_is_asked_again_and_the_token_stays_out_of_the_log(
    recording_cdn, settings, app_on_broker, start_worker
):
    server = recording_cdn(statuses=[503, 502])
    worker = start_worker(
        CDN_PURGE_PROVIDER="webhook", CDN_PURGE_URL=server.url, CDN_PURGE_TOKEN=TOKEN
    )
    use_cdn(settings, "webhook", server.url)
    cdn.purge_later([cdn.gallery_key(41)])
    wait_until(lambda: len(server.requests) == 3, timeout=60, what="two retries")
    assert server.keys() == [["ugc-gallery-41"]] * 3
    wait_until(lambda: "succeeded" in worker.log(), timeout=30, what="the task's success")
    assert "Retry in" in worker.log() and TOKEN not in worker.log()
