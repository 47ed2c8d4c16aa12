"""Inputs hypothesis found that once made the collect endpoint answer 500."""

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.analytics.conftest import event
from tests.ugc.factories import SiteFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [[], ["page_view"], {"a": 1}])
def test_an_unhashable_type_is_rejected_by_index_and_the_neighbour_kept(kind):
    cache.clear()
    site = SiteFactory(allowed_origins=[])
    body = json.dumps({"events": [event(), {**event(), "type": kind}]})
    response = APIClient(raise_request_exception=False).post(
        f"/api/v1/collect?key={site.publishable_key}", body, content_type="text/plain"
    )
    assert response.status_code == 202, response.content[:300]
    assert response.json()["accepted"] == 1
    assert [r["index"] for r in response.json()["rejected"]] == [1]
    assert "type" in response.json()["rejected"][0]["reason"]
