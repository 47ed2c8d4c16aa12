"""Production refuses to pseudonymise customers with a missing or public key."""

import secrets

import pytest
from django.conf import settings

from core.database import database_url
from tests.support.procs import run_python


@pytest.fixture
def production_env(django_db_setup):
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "ugc.example.com",
        "CUSTOMER_HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": "pS9kOYQ9q1tVZ1m0jA0rC3sQ9gR2uZcE1dYb8FfT6hA=",
    }


@pytest.mark.parametrize("key", ["", "dev-only-customer-hash-key-never-use-in-production", "short"])
def test_production_refuses_a_missing_default_or_short_customer_hash_key(production_env, key):
    result = run_python(
        "import config.settings.production", {**production_env, "CUSTOMER_HASH_KEY": key}
    )
    assert result.returncode != 0
    assert "CUSTOMER_HASH_KEY must be set" in result.stderr


def test_production_accepts_a_real_key(production_env):
    result = run_python("import config.settings.production", production_env)
    assert result.returncode == 0, result.stderr
