"""Settings come from the environment; production refuses unsafe ones."""

import secrets

import pytest
from django.conf import settings

from core.database import database_url
from tests.support.procs import run_manage, run_python

IMPORT_PRODUCTION = "import config.settings.production"


@pytest.fixture
def production_env(django_db_setup):
    """A complete, valid production environment on this run's database."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CUSTOMER_HASH_KEY": secrets.token_urlsafe(48),
        "ENCRYPTION_KEYS": "pS9kOYQ9q1tVZ1m0jA0rC3sQ9gR2uZcE1dYb8FfT6hA=",
        "DATABASE_URL": database_url(settings.DATABASES["default"]),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "ugc.example.com",
    }


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("", "unset"),
        ("django-insecure-dev-only-key-never-use-in-production", "the development key"),
        ("short-key", "too short"),
    ],
)
def test_production_refuses_a_missing_or_default_secret(production_env, secret, reason):
    result = run_python(IMPORT_PRODUCTION, {**production_env, "SECRET_KEY": secret})
    assert result.returncode != 0, reason
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_services(production_env, missing):
    result = run_python(IMPORT_PRODUCTION, {**production_env, missing: ""})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_check_deploy_prints_no_warnings(production_env, monkeypatch):
    # The browser tests' Playwright loop needs this flag while a browser is up; a
    # deployment must not have it, and check --deploy says so.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=production_env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_settings_read_the_environment():
    result = run_python(
        "from django.conf import settings as s; import django; django.setup();"
        "print(s.ALLOWED_HOSTS, s.MEDIA_ROOT, s.DEBUG, s.CELERY_VISIBILITY_TIMEOUT)",
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "ALLOWED_HOSTS": "a.example,b.example",
            "MEDIA_ROOT": "/srv/media",
            "DEBUG": "false",
            "CELERY_VISIBILITY_TIMEOUT": "4000",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['a.example',", "'b.example']", "/srv/media", "False", "4000"]


def test_a_visibility_timeout_below_the_longest_task_is_refused():
    result = run_python(
        "import config.settings.dev",
        {"CELERY_VISIBILITY_TIMEOUT": "60", "DJANGO_SETTINGS_MODULE": "config.settings.dev"},
    )
    assert result.returncode != 0
    assert "must exceed the longest hard time limit" in result.stderr


def test_no_sqlite_anywhere():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_production_refuses_object_storage_without_its_credentials(production_env):
    env = {**production_env, "MEDIA_STORAGE": "s3", "S3_BUCKET_MEDIA": "media",
           "S3_BUCKET_ORIGINALS": "originals", "S3_ENDPOINT_URL": "http://store:8333"}  # fmt: skip
    result = run_python(IMPORT_PRODUCTION, env)
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY" in result.stderr
