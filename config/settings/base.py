"""Settings shared by every environment; everything that varies comes from the environment.

dev.py, test.py and production.py import this module and change only what
differs. See README.md for the environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.queues import QUEUES
from core.database import database_settings, libpq_dsn, replica_settings
from core.storage import storages_from_env
from platforms.hosts import platform_urls

# onnxruntime (the brand-safety model, and any library that loads one) starts
# Microsoft's telemetry on import unless told not to: nothing of ours leaves the machine.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


# A key for development only; production.py refuses to start with it.
INSECURE_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY") or INSECURE_DEV_SECRET_KEY
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "commerce",
    "ugc",
    "analytics",
    "platforms",
    "outreach",
    "sources",
    # On top of every product app; nothing imports them.
    "workspace",
    "demo",
    # Last: its post_migrate hook grants roles the permissions of the apps above.
    "core.apps.CoreConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # POST /api/v1/collect answered here, past the rest (analytics/api/collect.py).
    "analytics.api.collect.CollectFastPath",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The workspace's language: the switcher's cookie, else Accept-Language (URLs unchanged).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL character anywhere in a query or form: 400 before any view reads it.
    "core.middleware.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: the workspace answers htmx requests with a page fragment.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # First, before the apps' own: the login page overrides contrib's.
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# -- database: PostgreSQL with pgvector, always (core/database.py) ----------
DATABASES = {"default": database_settings(BASE_DIR, conn_max_age=env_int("CONN_MAX_AGE", 60))}
# A streaming replica of the primary for reads that may lag (core/replica.py): the
# dashboard and the KPI API. Unset: everything reads the primary.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = replica_settings(
        os.environ["DATABASE_REPLICA_URL"].strip(), conn_max_age=env_int("CONN_MAX_AGE", 60)
    )
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The workspace's own login page (core/templates/registration/login.html).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:library"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# The workspace's languages; the catalogues live in locale/ (docs/development.md).
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates in the workspace use DATE_FORMAT / DATETIME_FORMAT of these modules: English
# keeps its ISO dates, French reads "7 déc. 2026".
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# -- files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
# Static names with a 12-hex content hash (Django's manifest names, the widget's
# ugc-gallery.<hash>.js) are cached forever; the rest for whitenoise's 60 s.
WHITENOISE_IMMUTABLE_FILE_TEST = r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$"
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Serve renditions from Django itself (the demo does, DEBUG or not): for a deployment with
# no web server or CDN in front of MEDIA_URL. Originals are never served.
SERVE_MEDIA = env_bool("SERVE_MEDIA", False)
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
# MEDIA_STORAGE: local disk (one machine), "s3" (an S3-compatible store shared by every
# node: the S3_* variables and MEDIA_CDN_URL), or any Django storage by dotted path.
STORAGES = {
    **storages_from_env(os.environ, PRIVATE_MEDIA_ROOT),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads past this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# -- ingestion (ugc/services/ingest.py, ugc/ingest/fetch.py) ----------------------------
# The largest original accepted from an upload, an import or a download.
UGC_MAX_UPLOAD_BYTES = env_int("UGC_MAX_UPLOAD_BYTES", 500 * 1024 * 1024)
UGC_FETCH_CONNECT_TIMEOUT = float(os.environ.get("UGC_FETCH_CONNECT_TIMEOUT", "5"))
UGC_FETCH_READ_TIMEOUT = float(os.environ.get("UGC_FETCH_READ_TIMEOUT", "20"))
UGC_FETCH_TOTAL_TIMEOUT = float(os.environ.get("UGC_FETCH_TOTAL_TIMEOUT", "300"))
UGC_FETCH_MAX_REDIRECTS = env_int("UGC_FETCH_MAX_REDIRECTS", 5)
# Downloads a batch (an import page, a collected page) runs at once, ahead of its
# rows; each holds at most UGC_MAX_UPLOAD_BYTES of temporary disk. 1: one by one.
UGC_FETCH_CONCURRENCY = max(1, env_int("UGC_FETCH_CONCURRENCY", 4))
# Empty: the fetcher's list of image and video types.
UGC_FETCH_CONTENT_TYPES = env_list("UGC_FETCH_CONTENT_TYPES")
# Host names exempt from the SSRF address check. For tests serving from 127.0.0.1
# only: never set it in a real deployment.
UGC_FETCH_ALLOWED_HOSTS: list[str] = []

# -- media pipeline (ugc/services/pipeline.py, ugc/media/) ---------------------------
# Stills over this many pixels are refused before decoding (decompression bombs).
MEDIA_MAX_IMAGE_PIXELS = env_int("MEDIA_MAX_IMAGE_PIXELS", 60_000_000)
MEDIA_MAX_IMAGE_BYTES = env_int("MEDIA_MAX_IMAGE_BYTES", 50 * 1024 * 1024)
MEDIA_MAX_VIDEO_BYTES = env_int("MEDIA_MAX_VIDEO_BYTES", 500 * 1024 * 1024)
MEDIA_MAX_VIDEO_SECONDS = env_int("MEDIA_MAX_VIDEO_SECONDS", 180)
MEDIA_MAX_VIDEO_PIXELS = env_int("MEDIA_MAX_VIDEO_PIXELS", 3840 * 2160)
MEDIA_RENDITION_WIDTHS = [int(w) for w in env_list("MEDIA_RENDITION_WIDTHS", "320,640,1080")]
MEDIA_RENDITION_FORMATS = env_list("MEDIA_RENDITION_FORMATS", "webp,jpeg")
# AVIF costs more than every other step together (bench/media.py prints how much), so
# it is off unless widths are named here, e.g. "320,640,1080" (needs Pillow with AVIF).
MEDIA_AVIF_WIDTHS = [int(w) for w in env_list("MEDIA_AVIF_WIDTHS", "")]
# An asset still `received` this long after its last change had its pipeline message
# lost (the broker was down when it arrived): the beat task sends it again.
MEDIA_REQUEUE_AFTER_SECONDS = env_int("MEDIA_REQUEUE_AFTER_SECONDS", 300)
MEDIA_JPEG_QUALITY = env_int("MEDIA_JPEG_QUALITY", 82)
MEDIA_WEBP_QUALITY = env_int("MEDIA_WEBP_QUALITY", 80)
MEDIA_WEBP_METHOD = env_int("MEDIA_WEBP_METHOD", 0)  # 0 fastest .. 6 smallest (bench/media.py)
MEDIA_AVIF_QUALITY = env_int("MEDIA_AVIF_QUALITY", 60)
MEDIA_AVIF_SPEED = env_int("MEDIA_AVIF_SPEED", 10)
# pHash bits (of 64) two stills may differ by and still count as the same photo.
MEDIA_NEAR_DUPLICATE_DISTANCE = env_int("MEDIA_NEAR_DUPLICATE_DISTANCE", 6)
# Brand safety (ugc/media/safety.py): the on-device detector run on every processed
# still or video poster. "open_nsfw" (default), "nudenet" (needs `uv sync --extra
# nudenet`; AGPL-3.0) or "" for none. An explicit label scoring at or above
# REJECT_AT rejects the asset as inappropriate; from REVIEW_AT it is flagged for review.
BRAND_SAFETY_MODEL = os.environ.get("BRAND_SAFETY_MODEL", "open_nsfw")
BRAND_SAFETY_REJECT_AT = float(os.environ.get("BRAND_SAFETY_REJECT_AT") or 0.6)
BRAND_SAFETY_REVIEW_AT = float(os.environ.get("BRAND_SAFETY_REVIEW_AT") or 0.35)
BRAND_SAFETY_LABELS = env_list(
    "BRAND_SAFETY_LABELS",
    "NSFW,FEMALE_BREAST_EXPOSED,FEMALE_GENITALIA_EXPOSED,MALE_GENITALIA_EXPOSED,"
    "ANUS_EXPOSED,BUTTOCKS_EXPOSED",
)

# -- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns "no credentials" into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.problems.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The public gallery API (ugc/delivery/): per publishable key and per client address.
    "DEFAULT_THROTTLE_RATES": {
        "public_key": os.environ.get("PUBLIC_RATE_PER_KEY", "600/min"),
        "public_ip": os.environ.get("PUBLIC_RATE_PER_IP", "120/min"),
    },
    # Proxies in front that append to X-Forwarded-For; 0 trusts only REMOTE_ADDR, so a
    # client cannot pick its own address for the per-address throttle.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

# Django's cache: public gallery responses, their versions, and throttle counters.
# Local memory (per process) unless CACHE_URL names a Redis, as in production.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "ugc"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "ugc-default",
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }
# How long a rendered public gallery (and its site and gallery lookups) may be served
# from the cache. Invalidation moves version tokens in the cache; a local-memory cache
# is one per process, so another process only sees a change when its copy expires:
# hence seconds there, minutes with a shared Redis.
GALLERY_CACHE_SECONDS = env_int("GALLERY_CACHE_SECONDS", 300 if CACHE_URL else 5)
# With a Redis cache, each web process holds a lease on its remembered gallery answers
# and is told of every change (ugc/delivery/leases.py): a hot answer then needs no round
# trip, and a change returns once every process has read it or lost its lease. This
# is the lease: the longest a change may wait for a process that stopped answering.
GALLERY_LEASE_SECONDS = float(os.environ.get("GALLERY_LEASE_SECONDS", "2"))
if not 0.2 <= GALLERY_LEASE_SECONDS <= 60:
    raise ImproperlyConfigured("GALLERY_LEASE_SECONDS must be from 0.2 to 60.")
# Without a lease (another cache, or none yet): how long a process may answer a
# gallery from its own memory before asking the cache again whether it changed
# (throttle counts are added up at that check). 0: ask on every request (one round
# trip), so a takedown applies at the next one.
GALLERY_HOT_SECONDS = env_int("GALLERY_HOT_SECONDS", 0)
# Purging gallery responses from a CDN when they change (ugc/delivery/cdn.py): "fastly",
# "cloudflare", "webhook" or "" (off). The token comes from the environment only.
CDN_PURGE_PROVIDER = os.environ.get("CDN_PURGE_PROVIDER", "").strip().lower()
CDN_PURGE_URL = os.environ.get("CDN_PURGE_URL", "")
CDN_PURGE_TOKEN = os.environ.get("CDN_PURGE_TOKEN", "")
if CDN_PURGE_PROVIDER and (
    CDN_PURGE_PROVIDER not in ("fastly", "cloudflare", "webhook")
    or not CDN_PURGE_URL.startswith(("https://", "http://"))
):
    raise ImproperlyConfigured(
        "CDN_PURGE_PROVIDER must be fastly, cloudflare or webhook, with CDN_PURGE_URL an "
        "http(s) URL."
    )

SPECTACULAR_SETTINGS = {
    "TITLE": "UGC platform API",
    "DESCRIPTION": (
        "Library, curation, galleries and performance of user-generated content. "
        "Every error is an RFC 9457 problem details object (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per vocabulary, whatever the field that uses it is called.
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "ugc.models.Platform",
        "RightsStateEnum": "ugc.models.RightsState",
        "GrantMethodEnum": "ugc.models.GrantMethod",
        "ModerationStateEnum": "ugc.models.ModerationState",
        "ProcessingStateEnum": "ugc.models.ProcessingState",
    },
}

# -- commerce (commerce/) ---------------------------------------------------------------
# Key of the HMAC that pseudonymises customers (emails are never stored). Changing
# it splits every customer in two; production.py refuses the development key.
# Fernet keys, newest first, for tokens, app secrets and e-mail addresses at rest
# (core/crypto.py). Unset: a development key; production refuses to start without.
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS")
INSECURE_DEV_CUSTOMER_HASH_KEY = "dev-only-customer-hash-key-never-use-in-production"
CUSTOMER_HASH_KEY = os.environ.get("CUSTOMER_HASH_KEY") or INSECURE_DEV_CUSTOMER_HASH_KEY
# Order webhooks larger than this are refused with 413 before their body is read.
COMMERCE_WEBHOOK_MAX_BYTES = env_int("COMMERCE_WEBHOOK_MAX_BYTES", 1024 * 1024)
# Currency of imported prices when the file names none (Shopify's product export).
COMMERCE_DEFAULT_CURRENCY = os.environ.get("COMMERCE_DEFAULT_CURRENCY", "USD").strip().upper()

# -- analytics collection (analytics/api/collect.py, analytics/services/) ---------------
# Whole monthly event partitions older than this are dropped (0 keeps everything).
ANALYTICS_EVENT_RETENTION_DAYS = env_int("ANALYTICS_EVENT_RETENTION_DAYS", 730)
# Months of event partitions made ahead by the beat task.
ANALYTICS_PARTITIONS_AHEAD = env_int("ANALYTICS_PARTITIONS_AHEAD", 3)
# Key of the daily-rotated salt for hashing client addresses (raw addresses are never
# stored); production should set its own.
ANALYTICS_IP_SALT_KEY = os.environ.get("ANALYTICS_IP_SALT_KEY") or "dev-only-ip-salt-key"
# Client times further than this before or after the server's are clamped and flagged.
ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS = env_int("ANALYTICS_CLIENT_TIME_MAX_AGE_DAYS", 7)
ANALYTICS_CLIENT_TIME_MAX_AHEAD_SECONDS = env_int("ANALYTICS_CLIENT_TIME_MAX_AHEAD_SECONDS", 3600)
# Crawler User-Agent substrings beyond the built-in list (analytics/useragents.py).
ANALYTICS_BOT_USER_AGENTS = env_list("ANALYTICS_BOT_USER_AGENTS")
# Headless Chromium is a person's browser in our own tests; a bot only when this says so.
ANALYTICS_HEADLESS_IS_BOT = env_bool("ANALYTICS_HEADLESS_IS_BOT", False)
ANALYTICS_COLLECT_MAX_BYTES = env_int("ANALYTICS_COLLECT_MAX_BYTES", 2 * 1024 * 1024)
# The collector (manage.py collector) keeps each key's site this long in its memory, so
# a key or origin change reaches it within this time (0: asked for every batch).
ANALYTICS_COLLECTOR_SITE_SECONDS = env_int("ANALYTICS_COLLECTOR_SITE_SECONDS", 5)
# Events without a session_id start a new session after this much inactivity.
ANALYTICS_SESSION_TIMEOUT_MINUTES = env_int("ANALYTICS_SESSION_TIMEOUT_MINUTES", 30)
# KPIs: a buyer "interacted with UGC" when they clicked a gallery item this many days
# before ordering; the beat rolls today's KPIs up this often (seconds).
ANALYTICS_UGC_LOOKBACK_DAYS = env_int("ANALYTICS_UGC_LOOKBACK_DAYS", 7)
ANALYTICS_ROLLUP_EVERY_SECONDS = env_int("ANALYTICS_ROLLUP_EVERY_SECONDS", 300)
# Retry-After of the 503 answered while the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = env_int("DATABASE_RETRY_AFTER_SECONDS", 5)

# -- rights (ugc/services/rights.py) ---------------------------------------------
BRAND_NAME = os.environ.get("BRAND_NAME", "Acme")
# The hashtag a creator replies with to grant the brand the right to use a post.
RIGHTS_APPROVAL_HASHTAG = os.environ.get("RIGHTS_APPROVAL_HASHTAG", "#YesAcme")
RIGHTS_TERMS_URL = os.environ.get("RIGHTS_TERMS_URL", "https://example.com/ugc-terms")
# The brand's Instagram handle (without "@"): a post that @mentions it can be answered
# from the product through the mentions endpoint.
BRAND_INSTAGRAM_HANDLE = os.environ.get("BRAND_INSTAGRAM_HANDLE", "acme").lstrip("@").lower()
# The send queue (ugc/services/rights_queue.py): one request per account every this many
# seconds, give or take RIGHTS_SEND_JITTER of it; a platform's rate-limit or spam block
# without a stated wait pauses the account this long.
RIGHTS_SEND_INTERVAL_SECONDS = env_int("RIGHTS_SEND_INTERVAL_SECONDS", 180)
RIGHTS_SEND_JITTER = float(os.environ.get("RIGHTS_SEND_JITTER", "0.3"))
RIGHTS_PAUSE_SECONDS = env_int("RIGHTS_PAUSE_SECONDS", 3600)
# One reminder after this many days without an answer; unanswered requests expire after
# RIGHTS_REQUEST_EXPIRES_DAYS (replies are polled until then).
RIGHTS_REMIND_AFTER_DAYS = env_int("RIGHTS_REMIND_AFTER_DAYS", 5)
RIGHTS_REQUEST_EXPIRES_DAYS = env_int("RIGHTS_REQUEST_EXPIRES_DAYS", 30)
# Polling the threads of sent requests for replies: every RIGHTS_POLL_EVERY_SECONDS the
# beat reads at most RIGHTS_POLL_BATCH threads, each at most every
# RIGHTS_POLL_INTERVAL_SECONDS (120 Graph calls an hour at most, under its 200).
RIGHTS_POLL_EVERY_SECONDS = env_int("RIGHTS_POLL_EVERY_SECONDS", 600)
RIGHTS_POLL_BATCH = env_int("RIGHTS_POLL_BATCH", 20)
RIGHTS_POLL_INTERVAL_SECONDS = env_int("RIGHTS_POLL_INTERVAL_SECONDS", 3600)

# -- e-mail (Django's SMTP backend) and photo requests (outreach/) -----------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "photos@example.com")
# Photo requests always go over this backend: Django's test runner swaps EMAIL_BACKEND
# for an in-memory one, and the tests mean to talk to a real SMTP server.
OUTREACH_EMAIL_BACKEND = os.environ.get(
    "OUTREACH_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
# Where the links in the e-mails point (this server, as buyers reach it).
OUTREACH_BASE_URL = os.environ.get("OUTREACH_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Without an orders/fulfilled webhook, a request goes this many days after the order.
OUTREACH_FALLBACK_DAYS = env_int("OUTREACH_FALLBACK_DAYS", 14)
# The request window: links work this long after sending; then the address is erased.
OUTREACH_WINDOW_DAYS = env_int("OUTREACH_WINDOW_DAYS", 30)
# A request left "sending" this long is taken to have lost its worker and is sent again
# with the same Message-ID; must exceed the default queue's hard time limit.
OUTREACH_SENDING_TIMEOUT_SECONDS = env_int("OUTREACH_SENDING_TIMEOUT_SECONDS", 600)
# The beat sweep: due requests queued, stalled ones re-sent, ended windows erased.
OUTREACH_SWEEP_EVERY_SECONDS = env_int("OUTREACH_SWEEP_EVERY_SECONDS", 300)
OUTREACH_LANGUAGES = env_list("OUTREACH_LANGUAGES", "en,fr,de,es,it")
# The brand in the e-mails: its name is BRAND_NAME; its colours these.
BRAND_COLOUR = os.environ.get("BRAND_COLOUR", "#1f4e79")
BRAND_TEXT_COLOUR = os.environ.get("BRAND_TEXT_COLOUR", "#ffffff")
# The storefront upload page (/upload/<site>/): caps, limits and the terms it shows.
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 5)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024)  # per file
UPLOAD_REQUIRE_EMAIL = env_bool("UPLOAD_REQUIRE_EMAIL", False)
# Uploads per hour from one network address, and to one e-mail address.
UPLOAD_LIMIT_PER_ADDRESS = env_int("UPLOAD_LIMIT_PER_ADDRESS", 20)
UPLOAD_LIMIT_PER_EMAIL = env_int("UPLOAD_LIMIT_PER_EMAIL", 10)
# What the shopper grants by ticking the box; empty text: the built-in terms, translated.
UPLOAD_TERMS_USES = env_list("UPLOAD_TERMS_USES", "website,email")
UPLOAD_TERMS_TEXT = os.environ.get("UPLOAD_TERMS_TEXT", "")

# -- search (ugc/search/) -------------------------------------------------------
# The text-embedding backend: multilingual (default), static or clip; vectors are stored
# with the model's name. EMBEDDING_MODEL_PATH is the static or clip backend's model.
EMBEDDING_BACKEND = os.environ.get("EMBEDDING_BACKEND", "multilingual")
EMBEDDING_MODEL_PATH = Path(
    os.environ.get("EMBEDDING_MODEL_PATH")
    or BASE_DIR / "ugc" / "search" / "models" / "minilm-l6-static"
)
# The open_clip architecture when EMBEDDING_BACKEND=clip (extra `clip`); its weights are
# EMBEDDING_MODEL_PATH: a local checkpoint file, or a pretrained tag fetched from the hub.
EMBEDDING_CLIP_MODEL = os.environ.get("EMBEDDING_CLIP_MODEL", "ViT-B-32")
# While `manage.py reembed` moves the library to a new model, the old one's path:
# searches stay on it until the new model's vectors cover the library.
EMBEDDING_PREVIOUS_MODEL_PATH = os.environ.get("EMBEDDING_PREVIOUS_MODEL_PATH") or None

# -- Celery (config/celery.py) ----------------------------------------------------
# Each queue's (soft, hard) time limits; CELERY_TIME_LIMITS="media=60:90,default=5:8" overrides.
CELERY_QUEUE_TIME_LIMITS = dict(QUEUES)
for item in env_list("CELERY_TIME_LIMITS"):
    queue, _, limits = item.partition("=")
    soft, _, hard = limits.partition(":")
    CELERY_QUEUE_TIME_LIMITS[queue.strip()] = (int(soft), int(hard))
LONGEST_HARD_TIME_LIMIT = max(hard for _, hard in CELERY_QUEUE_TIME_LIMITS.values())
# A message read but not acked comes back after this; it must outlast any task,
# or a slow task would run twice at once.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", LONGEST_HARD_TIME_LIMIT + 300)
if CELERY_VISIBILITY_TIMEOUT <= LONGEST_HARD_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({CELERY_VISIBILITY_TIMEOUT}s) must exceed the longest "
        f"hard time limit ({LONGEST_HARD_TIME_LIMIT}s)"
    )

# Unset: the embedded broker, a table in the project's PostgreSQL (core/broker.py).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "pgqueue://localhost"
EMBEDDED_BROKER = CELERY_BROKER_URL.startswith("pgqueue://")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        # Sweep for messages of dead workers often enough that one comes back
        # within about a tenth of the visibility timeout after it expires.
        unacked_restore_interval=max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 10)),
        unacked_restore_throttle=1,
        # Lets several deployments (or test runs) share one Redis.
        global_keyprefix=os.environ.get("CELERY_BROKER_KEYPREFIX", ""),
    )
if EMBEDDED_BROKER:
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        dsn=os.environ.get("CELERY_BROKER_DSN") or libpq_dsn(DATABASES["default"]),
        polling_interval=0.25,
    )
    # Remote control and gossip need a fanout exchange across processes,
    # which a table-backed broker does not give; workers run without them.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {name: {"routing_key": name} for name in QUEUES}
CELERY_TASK_ROUTES = ("config.celery.route_task",)
CELERY_TASK_ANNOTATIONS = ("config.celery.QueueTimeLimits",)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_PREFETCH_MULTIPLIER", 1)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_IGNORE_RESULT = True  # tasks write their results to the database
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "expire-rights": {"task": "ugc.tasks.expire_rights", "schedule": 3600.0},
    "send-rights-requests": {"task": "ugc.tasks.send_rights_requests", "schedule": 60.0},
    "poll-rights-replies": {
        "task": "ugc.tasks.poll_rights_replies",
        "schedule": float(RIGHTS_POLL_EVERY_SECONDS),
    },
    "requeue-stalled-assets": {"task": "ugc.tasks.requeue_stalled_assets", "schedule": 300.0},
}
CELERY_BEAT_SCHEDULE.update(
    {
        "create-event-partitions": {
            "task": "analytics.tasks.create_event_partitions",
            "schedule": 6 * 3600.0,
        },
        "drop-expired-event-partitions": {
            "task": "analytics.tasks.drop_expired_event_partitions",
            "schedule": 24 * 3600.0,
        },
        # Days with new events or changed orders, plus yesterday and today so far.
        "requeue-stale-attribution-runs": {
            "task": "analytics.tasks.requeue_stale_runs",
            "schedule": 300.0,
        },
        "rollup-kpis": {
            "task": "analytics.tasks.rollup_pending",
            "schedule": float(ANALYTICS_ROLLUP_EVERY_SECONDS),
        },
    }
)

# -- scoring (ugc/scoring/, ugc/services/scoring.py) ------------------------------------
# Weights of the score's parts, "quality=0.25,performance=0.4,..."; parts not named keep
# their default, and the weights are normalised to sum to 1 over the parts an asset has
# data for. Near-duplicates are spread when a gallery is ordered, not scored here.
SCORING_WEIGHTS = {
    "quality": 0.25,
    "relevance": 0.15,
    "performance": 0.45,
    "social": 0.10,
    "freshness": 0.05,
}
for item in env_list("SCORING_WEIGHTS"):
    part, _, weight = item.partition("=")
    if part.strip() not in SCORING_WEIGHTS:
        raise ImproperlyConfigured(f"SCORING_WEIGHTS: unknown part {part.strip()!r}")
    try:
        SCORING_WEIGHTS[part.strip()] = float(weight)
    except ValueError as exc:
        raise ImproperlyConfigured(f"SCORING_WEIGHTS: {item!r} is not part=number") from exc
SCORING_FRESHNESS_HALF_LIFE_DAYS = float(os.environ.get("SCORING_FRESHNESS_HALF_LIFE_DAYS", "30"))
# Share of a recommended gallery's places given to exploration (a gallery may set its own).
SCORING_EXPLORATION_SHARE = float(os.environ.get("SCORING_EXPLORATION_SHARE", "0.2"))
# A recommended gallery keeps one order this long, so caches hold and shoppers see no
# reshuffle on each view; the seed makes the orders reproducible.
SCORING_ORDER_PERIOD_SECONDS = env_int("SCORING_ORDER_PERIOD_SECONDS", 900)
SCORING_SEED = env_int("SCORING_SEED", 0)
SCORING_INCREMENTAL_EVERY_SECONDS = env_int("SCORING_INCREMENTAL_EVERY_SECONDS", 300)
# Incremental runs look back this far before the last run, to see rows committed late.
SCORING_WATERMARK_OVERLAP_SECONDS = env_int("SCORING_WATERMARK_OVERLAP_SECONDS", 300)
SCORING_NIGHTLY_HOUR = env_int("SCORING_NIGHTLY_HOUR", 3)
CELERY_BEAT_SCHEDULE.update(
    {
        "rescore-new-data": {
            "task": "ugc.tasks.rescore_new_data",
            "schedule": float(SCORING_INCREMENTAL_EVERY_SECONDS),
        },
        "rescore-library-nightly": {
            "task": "ugc.tasks.rescore_library",
            "schedule": crontab(hour=SCORING_NIGHTLY_HOUR, minute=15),
        },
        "score-gallery-orders": {
            "task": "ugc.tasks.score_gallery_orders",
            "schedule": float(SCORING_ORDER_PERIOD_SECONDS),
        },
    }
)

CELERY_BEAT_SCHEDULE["sweep-photo-requests"] = {
    "task": "outreach.tasks.sweep_requests",
    "schedule": float(OUTREACH_SWEEP_EVERY_SECONDS),
}

# -- logging -------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs each request line at INFO; Instagram Login's ig_exchange_token takes the
    # app secret in its query (Meta accepts it only as a GET), so that line stays unlogged.
    # aiosmtpd (the demo's and the tests' mail server) logs each recipient at INFO.
    "loggers": {
        "pgserver": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},
    },
}

# -- platform APIs (platforms/): the real hosts, or the local emulator ------------------
# PLATFORM_SANDBOX_URL (e.g. http://127.0.0.1:8765 from manage.py platform_sandbox)
# points every client at the emulator instead.
PLATFORM_SANDBOX_URL = os.environ.get("PLATFORM_SANDBOX_URL", "").strip()
PLATFORM_URLS = platform_urls(PLATFORM_SANDBOX_URL)

# App credentials (environment only: never stored in the database, never logged).
# With the emulator and no credentials given, the emulator's own app is used.
_sandbox_app = (
    ("sandbox-app", "sandbox-secret", "sandbox-verify") if PLATFORM_SANDBOX_URL else ("",) * 3
)
PLATFORM_APPS = {
    "instagram": {
        "app_id": os.environ.get("INSTAGRAM_APP_ID", _sandbox_app[0]),
        "app_secret": os.environ.get("INSTAGRAM_APP_SECRET", _sandbox_app[1]),
    },
    # Instagram API with Instagram Login: the Instagram app id and secret of the same Meta
    # app (App Dashboard > Instagram > API setup with Instagram login); empty: the above.
    "instagram_login": {
        key: value
        for key, value in {
            "app_id": os.environ.get("INSTAGRAM_LOGIN_APP_ID", ""),
            "app_secret": os.environ.get("INSTAGRAM_LOGIN_APP_SECRET", ""),
        }.items()
        if value
    },
    "tiktok": {
        "client_key": os.environ.get("TIKTOK_CLIENT_KEY", _sandbox_app[0]),
        "client_secret": os.environ.get("TIKTOK_CLIENT_SECRET", _sandbox_app[1]),
    },
    "youtube": {
        "client_id": os.environ.get("GOOGLE_CLIENT_ID", _sandbox_app[0]),
        "client_secret": os.environ.get("GOOGLE_CLIENT_SECRET", _sandbox_app[1]),
    },
}
# What Meta's webhook subscription check must echo (hub.verify_token).
INSTAGRAM_WEBHOOK_VERIFY_TOKEN = os.environ.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN", _sandbox_app[2])
if PLATFORM_SANDBOX_URL:
    # The emulator serves media from its own (loopback) host: exactly that host is
    # exempt from the fetcher's address check, nothing else.
    UGC_FETCH_ALLOWED_HOSTS = [*UGC_FETCH_ALLOWED_HOSTS, urlsplit(PLATFORM_SANDBOX_URL).hostname]
# Tokens are refreshed this long before they lapse (Instagram's 60-day tokens, TikTok's
# and Google's hours-long access tokens).
PLATFORM_REFRESH_AHEAD_SECONDS = {
    "instagram": env_int("PLATFORM_REFRESH_AHEAD_INSTAGRAM_SECONDS", 7 * 86400),
    "other": env_int("PLATFORM_REFRESH_AHEAD_SECONDS", 2 * 3600),
}

# -- collection from the platforms (sources/) ---------------------------------------------
# A source runs every this many seconds unless it says otherwise, give or take the jitter
# (a share of the interval), so sources added together do not all call at once.
SOURCES_DEFAULT_INTERVAL_SECONDS = env_int("SOURCES_DEFAULT_INTERVAL_SECONDS", 900)
SOURCES_JITTER = float(os.environ.get("SOURCES_JITTER", "0.1"))
# A run stops after this many pages and resumes from its cursor next time.
SOURCES_MAX_PAGES_PER_RUN = env_int("SOURCES_MAX_PAGES_PER_RUN", 20)
# An item whose media could not be fetched is tried again this many times, then given up.
SOURCES_ITEM_ATTEMPTS = env_int("SOURCES_ITEM_ATTEMPTS", 5)
SOURCES_DUE_EVERY_SECONDS = env_int("SOURCES_DUE_EVERY_SECONDS", 30)
# A link inviting a creator to connect their TikTok account is good for this many days.
SOURCES_CREATOR_INVITE_DAYS = env_int("SOURCES_CREATOR_INVITE_DAYS", 14)
CELERY_BEAT_SCHEDULE.update(
    {
        "collect-due-sources": {
            "task": "sources.tasks.collect_due",
            "schedule": float(SOURCES_DUE_EVERY_SECONDS),
        },
        "refresh-platform-tokens": {
            "task": "sources.tasks.refresh_tokens",
            "schedule": 900.0,
        },
    }
)
