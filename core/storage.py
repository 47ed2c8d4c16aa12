"""Where media lives: the local disk of one machine, or an S3-compatible object store
shared by every node.

Two storages, as settings.STORAGES names them:

- "default": renditions, served to anyone. On S3 their names carry a content hash
  (ugc/services/pipeline.py), so they are written with `Cache-Control: public,
  max-age=31536000, immutable` and addressed at MEDIA_CDN_URL (or the bucket itself).
- "private": originals as received. Read by workers only; a URL to one, where a person
  must download it, is presigned and short-lived.

`storages_from_env()` runs while the settings load (no boto3 import there); the storage
classes and the error translation run in the web and worker processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

S3_REQUIRED = ("S3_BUCKET_MEDIA", "S3_BUCKET_ORIGINALS", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
RENDITION_CACHE_CONTROL = "public, max-age=31536000, immutable"
CHUNK = 1024 * 1024
SINGLE_PUT_BYTES = 8 * CHUNK  # s3transfer's multipart threshold


def storages_from_env(env: Mapping[str, str], private_root: Path) -> dict:
    """settings.STORAGES["default"] and ["private"] from the environment.

    MEDIA_STORAGE: unset or "local" (the disk under MEDIA_ROOT and PRIVATE_MEDIA_ROOT),
    "s3" (the S3_* variables), or a dotted path of any Django storage class.
    A half-given S3 configuration is refused here, naming what is missing.
    """
    choice = env.get("MEDIA_STORAGE", "").strip()
    if choice.lower() == "s3":
        return _s3_storages(env)
    named = [name for name in (*S3_REQUIRED, "S3_ENDPOINT_URL") if env.get(name)]
    if named and choice.lower() in ("", "local"):
        raise ImproperlyConfigured(
            f"{', '.join(named)} set but MEDIA_STORAGE is not s3: set MEDIA_STORAGE=s3 to keep "
            "media on the object store, or unset the S3 variables to keep it on local disk."
        )
    local = "django.core.files.storage.FileSystemStorage"
    media = choice if choice and choice.lower() != "local" else local
    private = env.get("PRIVATE_MEDIA_STORAGE", "").strip() or local
    on_disk = {"location": str(private_root), "base_url": None}
    return {
        "default": {"BACKEND": media},
        "private": {"BACKEND": private, "OPTIONS": on_disk if private == local else {}},
    }


def _s3_storages(env: Mapping[str, str]) -> dict:
    missing = [name for name in S3_REQUIRED if not env.get(name, "").strip()]
    if missing:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE=s3 needs {', '.join(missing)}: the media and originals buckets "
            "and the store's access key and secret (S3_ENDPOINT_URL too for a store other "
            "than AWS)."
        )
    endpoint = env.get("S3_ENDPOINT_URL", "").strip() or None
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"S3_ENDPOINT_URL must be an http(s) URL, not {endpoint!r}")
    common = {
        "access_key": env["S3_ACCESS_KEY_ID"].strip(),
        "secret_key": env["S3_SECRET_ACCESS_KEY"].strip(),
        "endpoint_url": endpoint,
        "region_name": env.get("S3_REGION", "").strip() or "us-east-1",
        # Path-style URLs work on every S3-compatible store; AWS takes them too.
        "addressing_style": env.get("S3_ADDRESSING_STYLE", "").strip() or "path",
        "signature_version": "s3v4",
        "file_overwrite": True,
        "timeout_seconds": float(env.get("S3_TIMEOUT_SECONDS", "") or 10),
    }
    media = {
        **common,
        "bucket_name": env["S3_BUCKET_MEDIA"].strip(),
        "querystring_auth": False,
        "object_parameters": {"CacheControl": RENDITION_CACHE_CONTROL},
        "default_acl": env.get("S3_MEDIA_ACL", "").strip() or None,
        **_cdn(env.get("MEDIA_CDN_URL", "").strip()),
    }
    originals = {
        **common,
        "bucket_name": env["S3_BUCKET_ORIGINALS"].strip(),
        "querystring_auth": True,
        "querystring_expire": int(env.get("S3_PRESIGNED_SECONDS", "") or 300),
        "default_acl": None,
        "object_parameters": {"CacheControl": "private, no-store"},
    }
    if media["bucket_name"] == originals["bucket_name"]:
        raise ImproperlyConfigured(
            "S3_BUCKET_MEDIA and S3_BUCKET_ORIGINALS must differ: the media bucket is public, "
            "the originals bucket never is."
        )
    return {
        "default": {"BACKEND": "core.storage.S3MediaStorage", "OPTIONS": media},
        "private": {"BACKEND": "core.storage.S3MediaStorage", "OPTIONS": originals},
    }


def _cdn(url: str) -> dict:
    """django-storages' custom_domain (host and path) and protocol from a base URL."""
    if not url:
        return {}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"MEDIA_CDN_URL must be an http(s) URL, not {url!r}")
    return {
        "custom_domain": parts.netloc + parts.path.rstrip("/"),
        "url_protocol": f"{parts.scheme}:",
    }


def _s3_storage_class():
    from botocore.config import Config
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name

    class S3MediaStorage(S3Storage):
        """S3Storage with bounded timeouts and retries, so a slow or dead store costs a
        task seconds, not its whole time limit."""

        def __init__(self, *, timeout_seconds: float = 10, **options):
            options.setdefault(
                "client_config",
                Config(
                    connect_timeout=min(5.0, timeout_seconds),
                    read_timeout=timeout_seconds,
                    retries={"max_attempts": 3, "mode": "standard"},
                    signature_version=options.get("signature_version") or "s3v4",
                    s3={"addressing_style": options.get("addressing_style") or "path"},
                ),
            )
            # Read in 8 MB of memory at most; larger objects spill to a temporary file.
            options.setdefault("max_memory_size", 8 * CHUNK)
            super().__init__(**options)

        def object_key(self, name: str) -> str:
            return self._normalize_name(clean_name(name))

        def _save(self, name, content):
            # A small file (a rendition) goes up in one PUT, without s3transfer's threads.
            # A large one already on disk (an upload, ingestion's hashed copy) goes up by
            # its path: s3transfer then reads each part from the file as it sends it,
            # where from a stream it holds up to ten 8 MB parts in memory at once.
            path = getattr(content, "temporary_file_path", None)
            small = content.size <= SINGLE_PUT_BYTES
            if self.gzip or (path is None and not small):
                return super()._save(name, content)
            cleaned = clean_name(name)
            key = self._normalize_name(cleaned)
            params = self._get_write_parameters(key, content)
            if small:
                content.seek(0)
                self.bucket.Object(key).put(Body=content.read(), **params)
            else:
                self.bucket.Object(key).upload_file(
                    path(), ExtraArgs=params, Config=self.transfer_config
                )
            return cleaned

    return S3MediaStorage


def __getattr__(name: str):
    # Settings name the class by dotted path; boto3 is imported only when it is used.
    if name == "S3MediaStorage":
        cls = _s3_storage_class()
        globals()[name] = cls
        return cls
    raise AttributeError(name)


def safe_extension(filename: str) -> str:
    """The file name's extension as a storage key may carry it: a dot and up to 9 ASCII
    letters or digits, lower case; "" for anything else (the name itself never goes
    into a key: it is data, and hostile names hold slashes, dots, controls, URLs)."""
    suffix = os.path.splitext(filename.replace("\\", "/").rsplit("/", 1)[-1])[1].lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,9}", suffix) else ""


# -- errors ------------------------------------------------------------------------------


class StoreUnavailable(ConnectionError):
    """The object store did not answer, timed out or failed (5xx): worth a retry.

    A ConnectionError, so tasks retry it as they retry a database that is down."""


class StoreRefused(Exception):
    """The object store refused the request for good (access denied, no such bucket):
    a configuration to fix, not a moment to wait out. str() says which."""


@contextlib.contextmanager
def store_errors(action: str) -> Iterator[None]:
    """Turn the object store's errors into StoreUnavailable or StoreRefused."""
    try:
        yield
    except (StoreUnavailable, StoreRefused):
        raise
    except Exception as exc:
        translated = translate(exc, action)
        if translated is None:
            raise
        raise translated from exc


def translate(exc: BaseException, action: str) -> Exception | None:
    """The StoreUnavailable or StoreRefused that exc means, or None if not a store error."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return None
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or code in ("SlowDown", "RequestTimeout", "ServiceUnavailable"):
            return StoreUnavailable(f"the object store failed to {action} ({status} {code})")
        if code in ("NoSuchBucket",):
            return StoreRefused(
                f"the object store has no such bucket: could not {action} "
                f"(check S3_BUCKET_MEDIA and S3_BUCKET_ORIGINALS)"
            )
        if status in (401, 403) or code in ("AccessDenied", "SignatureDoesNotMatch"):
            return StoreRefused(
                f"the object store refused to {action} ({status} {code}): check "
                "S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY and the bucket's permissions"
            )
        return None
    if isinstance(exc, BotoCoreError):
        if type(exc).__name__ in ("NoCredentialsError", "PartialCredentialsError"):
            return StoreRefused(f"no credentials for the object store: could not {action}")
        return StoreUnavailable(f"the object store did not answer: could not {action} ({exc})")
    return None


def is_missing(exc: BaseException) -> bool:
    """Whether exc says the object is not there (as opposed to the store failing)."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return str(error.get("Code")) in ("404", "NoSuchKey", "NotFound")
    return False


# -- reading an object as a local file ---------------------------------------------------


@contextlib.contextmanager
def local_copy(storage, name: str, *, suffix: str = "") -> Iterator[Path]:
    """A local path to the stored file `name`, for readers that need one (the video
    demuxer, decoders): the file itself on local disk, else a streamed temporary copy
    under FILE_UPLOAD_TEMP_DIR (or the system's), deleted on exit."""
    try:
        path = storage.path(name)
    except (NotImplementedError, AttributeError):
        path = None
    if path is not None:
        if not os.path.exists(path):
            raise FileNotFoundError(name)
        yield Path(path)
        return
    from django.conf import settings

    with tempfile.NamedTemporaryFile(
        prefix="ugc-media-", suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR
    ) as tmp:
        key = getattr(storage, "object_key", None)
        if key is not None:
            # One GET streamed to disk: s3transfer's download asks for the size first
            # (a HEAD) and starts threads, which costs more than it saves on a nearby store.
            with store_errors(f"read {name}"):
                body = storage.bucket.Object(key(name)).get()["Body"]
                for chunk in body.iter_chunks(CHUNK):
                    tmp.write(chunk)
        else:
            with storage.open(name, "rb") as source:
                shutil.copyfileobj(source, tmp, CHUNK)
        tmp.flush()
        yield Path(tmp.name)
