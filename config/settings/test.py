"""Tests: the same engine (PostgreSQL + pgvector) on a fresh test database.

Worker processes that tests start use these settings too, with DATABASE_URL
pointing at the test database, so the embedded broker's table lives there
and dies with it.
"""

import os

from core.database import libpq_dsn

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
# The test database that pytest-django creates; brokers and workers use it too.
TEST_DATABASE_NAME = DATABASES["default"]["NAME"]
if not TEST_DATABASE_NAME.startswith("test_"):
    TEST_DATABASE_NAME = f"test_{TEST_DATABASE_NAME}"
DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}
DATABASES["default"]["CONN_MAX_AGE"] = 0

if EMBEDDED_BROKER and not os.environ.get("CELERY_BROKER_DSN"):  # noqa: F405
    # The broker's table goes into the test database, shared with test workers.
    CELERY_BROKER_TRANSPORT_OPTIONS["dsn"] = libpq_dsn(  # noqa: F405
        DATABASES["default"], name=TEST_DATABASE_NAME
    )

INSTALLED_APPS = [*INSTALLED_APPS, "tests.workerapp"]  # noqa: F405

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (see dev.py)

# The emulator's app (tests start it on a free port and point PLATFORM_URLS at it).
PLATFORM_APPS = {
    "instagram": {"app_id": "sandbox-app", "app_secret": "sandbox-secret"},
    "tiktok": {"client_key": "sandbox-app", "client_secret": "sandbox-secret"},
    "youtube": {"client_id": "sandbox-app", "client_secret": "sandbox-secret"},
}
INSTAGRAM_WEBHOOK_VERIFY_TOKEN = "sandbox-verify"  # noqa: S105 (the emulator's)
