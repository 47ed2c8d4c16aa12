"""POST /api/v1/analytics/utm-links: one vocabulary, validated, for coordinators."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.ugc.factories import CoordinatorFactory, UserFactory

URL = "/api/v1/analytics/utm-links"


@pytest.fixture
def coordinator_client(client, db):
    client.force_authenticate(CoordinatorFactory())
    return client


def test_a_link_in_the_house_vocabulary(coordinator_client):
    response = coordinator_client.post(URL, {
        "url": "https://shop.example/p/sunhat?color=red&utm_source=old#reviews",
        "source": "Instagram", "medium": "Social", "campaign": "Spring Sale \u2013 Été 2025!",
        "content": "  Reel  Ana ", "term": "",
    }, format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    parts = urlsplit(body["url"])
    assert parts.fragment == "reviews"
    assert parse_qs(parts.query) == {
        "color": ["red"], "utm_source": ["instagram"], "utm_medium": ["social"],
        "utm_campaign": ["spring_sale_ete_2025"], "utm_content": ["reel_ana"],
    }  # fmt: skip
    assert body["utm"]["utm_campaign"] == "spring_sale_ete_2025"
    assert body["channel"] == "organic_social"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://shop.example/x", "source": "ig", "medium": "social"}, "url"),
        ({"url": "not a url", "source": "ig", "medium": "social"}, "url"),
        ({"url": "https://user:pw@shop.example/", "source": "ig", "medium": "social"}, "url"),
        ({"url": "https://shop.example/", "medium": "social"}, "source"),
        ({"url": "https://shop.example/", "source": "ig"}, "medium"),
        ({"url": "https://shop.example/", "source": "ig", "medium": "  "}, "medium"),
        ({"url": "https://shop.example/", "source": "!!!", "medium": "social"}, "source"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(coordinator_client, payload, field):
    response = coordinator_client.post(URL, payload, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


def test_coordinators_only(client, db):
    assert client.post(URL, {}, format="json").status_code == 401
    client.force_authenticate(UserFactory())
    assert client.post(URL, {}, format="json").status_code == 403
