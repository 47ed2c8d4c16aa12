"""/healthz says the process lives; /readyz that the database and broker answer."""

import json

import pytest

from tests.support.procs import run_python

READYZ_IN_CHILD = (
    "import django, json; django.setup();"
    "from django.test import Client; r = Client().get('/readyz');"
    "print(r.status_code); print(r.content.decode())"
)


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_and_broker_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker"}


@pytest.mark.parametrize(
    ("env", "down"),
    [
        ({"CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, ["broker"]),
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}, ["database", "broker"]),
    ],
)
def test_readyz_is_503_naming_what_is_down(env, down, django_db_setup):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "ALLOWED_HOSTS": "testserver", **env}
    if "DATABASE_URL" in env:
        # The embedded broker lives in the database, so it is down with it.
        env["CELERY_BROKER_URL"] = ""
    result = run_python(READYZ_IN_CHILD, env)
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.split("\n", 1)
    assert status == "503"
    body = json.loads(body)
    assert body["down"] == down
    for name in down:
        assert body["checks"][name]["status"] == "down"
        assert body["checks"][name]["error"]
