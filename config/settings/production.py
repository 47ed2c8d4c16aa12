"""Production: refuses to start without a real secret, a database and hosts.

`manage.py check --deploy` with these settings prints no warnings.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    CUSTOMER_HASH_KEY,
    INSECURE_DEV_CUSTOMER_HASH_KEY,
    INSECURE_DEV_SECRET_KEY,
    SECRET_KEY,
    env_bool,
    env_int,
    env_list,
)

if not SECRET_KEY or SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value in production (50+ characters), "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL with pgvector)")
if not os.environ.get("CELERY_BROKER_URL"):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set in production (e.g. redis://redis:6379/0)"
    )
if not os.environ.get("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set to the host names this site serves")
# Checked after the services so that a missing service is named first.
if (
    not CUSTOMER_HASH_KEY
    or CUSTOMER_HASH_KEY == INSECURE_DEV_CUSTOMER_HASH_KEY
    or len(CUSTOMER_HASH_KEY) < 32
):
    raise ImproperlyConfigured(
        "CUSTOMER_HASH_KEY must be set to a long random value in production (32+ characters); "
        "it pseudonymises customers, so keep it stable: changing it splits every customer. "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    )

if not os.environ.get("ENCRYPTION_KEYS"):
    raise ImproperlyConfigured(
        "ENCRYPTION_KEYS must be set in production: one or more Fernet keys, comma-separated, "
        "newest first; they encrypt platform tokens, app secrets and e-mail addresses. "
        "e.g. python -c 'from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())'"
    )

DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

# Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Health checks come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
