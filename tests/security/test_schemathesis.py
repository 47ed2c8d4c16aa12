"""Schemathesis over the whole OpenAPI schema against a real gunicorn.

Every operation in /api/schema/ gets generated requests, as an anonymous caller
and as a coordinator with a token: no answer may be a 500, and every documented
answer must match its schema (response conformance runs here, in CI too).
Bounded (examples per operation, one run) so the suite stays fast; no operation
is excluded.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from core.roles import COORDINATOR
from tests.analytics.web import free_port, start_web
from tests.support.worker import database_env
from tests.ugc.factories import (
    AssetFactory,
    GalleryFactory,
    ProductFactory,
    PublishableAssetFactory,
    SiteFactory,
    UserFactory,
)
from ugc.services.rights import request_rights

pytestmark = pytest.mark.worker

EXAMPLES_PER_OPERATION = 6
CHECKS = [not_a_server_error, response_schema_conformance]


def _coordinator_token() -> str:
    user = UserFactory()
    user.groups.add(Group.objects.get(name=COORDINATOR))
    return Token.objects.create(user=user).key


SENT = {"requests": 0}  # for the README's figure: how many generated requests were tried


def _failures_of(operation, base_url: str, headers: dict) -> list[str]:
    failures: list[str] = []

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy())
    def exercise(case):
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        SENT["requests"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # a group of named failures
            failures.append(f"{operation.label} -> {response.status_code}: {exc}"[:600])

    exercise()
    return failures


@pytest.fixture
def web(transactional_db, tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", **database_env(),
           # Generated requests come fast from one address: the throttle is not under test.
           "PUBLIC_RATE_PER_IP": "100000/min", "PUBLIC_RATE_PER_KEY": "100000/min"}  # fmt: skip
    port = free_port()
    child = start_web(port, env, tmp_path / "web.log")
    yield f"http://127.0.0.1:{port}"
    child.stop()


def test_no_operation_answers_500_or_off_schema(web):
    site = SiteFactory()
    GalleryFactory(site=site, slug="homepage")
    PublishableAssetFactory()
    # The shapes the schema once left out: an upload without a creator, a product in no
    # line, a rights request not granted yet (granted_via "").
    request_rights(AssetFactory(creator=None), actor=UserFactory())
    ProductFactory(product_line=None)
    schema = schemathesis.openapi.from_url(f"{web}/api/schema/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, "the whole API is in the schema"
    callers = {"anonymous": {}, "coordinator": {"Authorization": f"Token {_coordinator_token()}"}}
    failures = [
        f"[{who}] {failure}"
        for who, headers in callers.items()
        for operation in operations
        for failure in _failures_of(operation, web, headers)
    ]
    print(f"schemathesis: {len(operations)} operations, {SENT['requests']} requests")
    assert not failures, "\n\n".join(failures[:20]) + f"\n\n({len(failures)} in all)"
