"""Moment filters with offsets PostgreSQL refuses, found by schemathesis (were 500s)."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.roles import COORDINATOR
from tests.ugc.factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator():
    client = APIClient(raise_request_exception=False)
    user = UserFactory()
    user.groups.add(Group.objects.get(name=COORDINATOR))
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("path", ["/api/v1/assets/?posted_before", "/api/v1/orders?created_before"])
def test_an_offset_beyond_postgres_range_is_read_as_utc(coordinator, path):
    AssetFactory()
    response = coordinator.get(f"{path}=0570-08-29T07:31:56.0%2B23:47")
    assert response.status_code == 200, response.content[:300]


def test_a_moment_that_leaves_the_calendar_is_a_400_naming_the_filter(coordinator):
    response = coordinator.get("/api/v1/assets/?created_after=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400, response.content[:300]
    assert "created_after" in response.content.decode()


def test_engagement_since_with_a_wide_offset_is_read_as_utc(coordinator):
    response = coordinator.get("/api/v1/engagement/summary?since=1822-08-10T19:30:46.2%2B18:11")
    assert response.status_code == 200, response.content[:300]


def test_a_spend_file_that_is_not_csv_is_a_400(coordinator):
    body = b"\x16\xf1\xb8\xbb\xab\r\xc2\xb4oT\xf2\xbc\xa7\x96"
    response = coordinator.generic("POST", "/api/v1/analytics/spend", body, "text/csv")
    assert response.status_code == 400, response.content[:300]
    assert "CSV" in response.json()["detail"]
