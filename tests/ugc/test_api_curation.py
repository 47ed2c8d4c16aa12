"""The curation endpoints: search, bulk moderation, rights, tags, suggestions, privacy."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from commerce.models import Product, ProductLine
from core.roles import ADMIN
from tests.ugc.factories import CoordinatorFactory, CreatorFactory, UserFactory
from tests.ugc.test_rights_queue import HOSTILE
from ugc.models import Asset, ProductLineTag, ProductTag, RightsRequest
from ugc.services import rights_queue
from ugc.services.search_index import embed_assets, refresh_search_vectors

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def api():
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(CoordinatorFactory())
    return client


def processed(**fields):
    asset = Asset.objects.create(
        **{
            "media_type": "image",
            "source_platform": "instagram",
            "processing_state": "in_review",
            "creator": CreatorFactory(),
            **fields,
        }
    )
    refresh_search_vectors([asset.pk])
    embed_assets([asset.pk])
    return asset


def problem_fields(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    return {error["field"] for error in response.json().get("errors", [])}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/assets/search?q=x"),
        ("post", "/api/v1/assets/moderate"),
        ("post", "/api/v1/assets/1/rights"),
        ("post", "/api/v1/rights/replies"),
        ("post", "/api/v1/assets/suggestions"),
        ("get", "/api/v1/creators/1/export"),
    ],
)
def test_anonymous_is_401_and_other_roles_403(method, path):
    anonymous = APIClient()
    assert getattr(anonymous, method)(path).status_code == 401
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    assert getattr(stranger, method)(path).status_code == 403


@pytest.fixture
def beach_library():
    """(dress, gown): a text-and-meaning match, a meaning-only match, and a stranger."""
    dress = processed(caption="linen dress at the beach", hashtags=["linen"])
    gown = processed(caption="a crimson gown by the sea", source_platform="tiktok")
    processed(caption="cast iron pan")
    return dress, gown


def test_search_combines_text_meaning_and_filters(api, beach_library):
    dress, gown = beach_library
    body = api.get("/api/v1/assets/search", {"q": "linen", "semantic": "red dress by the sea"})
    assert body.status_code == 200, body.content
    results = body.json()["results"]
    by_id = {r["asset"]["id"]: r for r in results}
    assert results[0]["asset"]["id"] == dress.pk
    assert set(by_id[dress.pk]["matched"]) == {"text", "semantic"}
    assert "semantic" in by_id[gown.pk]["matched"]
    only_tiktok = api.get(
        "/api/v1/assets/search", {"semantic": "red dress by the sea", "platform": "tiktok"}
    )
    assert [r["asset"]["id"] for r in only_tiktok.json()["results"]] == [gown.pk]
    more = api.get("/api/v1/assets/search", {"like": dress.pk}).json()["results"]
    assert dress.pk not in [r["asset"]["id"] for r in more]


def test_the_asset_list_searches_with_the_same_service_and_filters(api, beach_library):
    dress, gown = beach_library
    body = api.get("/api/v1/assets/", {"q": "linen", "semantic": "red dress by the sea"})
    assert body.status_code == 200, body.content
    results = body.json()["results"]
    assert results[0]["id"] == dress.pk
    assert set(results[0]["search"]["matched"]) == {"text", "semantic"}
    assert body.json()["next"] is None
    only_tiktok = api.get(
        "/api/v1/assets/", {"semantic": "red dress by the sea", "platform": "tiktok"}
    )
    assert [r["id"] for r in only_tiktok.json()["results"]] == [gown.pk]
    assert "limit" in problem_fields(api.get("/api/v1/assets/", {"q": "x", "limit": "0"}), 400)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "x", "limit": "0"}, "limit"),
        ({"q": "x", "limit": "many"}, "limit"),
        ({"q": "x", "platform": "myspace"}, "platform"),
    ],
)
def test_bad_search_requests_are_400_naming_the_parameter(api, params, field):
    assert field in problem_fields(api.get("/api/v1/assets/search", params), 400)


def test_bulk_moderation_by_ids_and_by_filter(api):
    first, second = processed(), processed(source_platform="tiktok")
    received = Asset.objects.create(media_type="image", source_platform="tiktok")
    response = api.post(
        "/api/v1/assets/moderate",
        {"filter": {"platform": "tiktok,facebook"}, "action": "approve"},
        format="json",
    )
    body = response.json()
    assert body["done"] == [second.pk]
    assert body["skipped"][0]["id"] == received.pk  # not processed yet: cannot be approved
    response = api.post(
        "/api/v1/assets/moderate",
        {"ids": [first.pk, second.pk], "action": "reject", "reason": "off-brand"},
        format="json",
    )
    assert response.json() == {"done": [first.pk, second.pk], "skipped": []}
    second.refresh_from_db()
    assert second.moderation_state == "rejected" and second.rejection_reason.slug == "off-brand"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "approve"}, "ids"),
        ({"ids": [1], "filter": {"platform": "x"}, "action": "approve"}, "ids"),
        ({"ids": [1], "action": "reject"}, "reason"),
        ({"ids": [1], "action": "reject", "reason": "no-such-reason"}, "reason"),
        ({"ids": [1], "action": "publish"}, "action"),
        ({"filter": {"platform": "myspace"}, "action": "approve"}, "filter.platform"),
    ],
)
def test_bad_moderation_requests_name_the_field(api, payload, field):
    assert field in problem_fields(api.post("/api/v1/assets/moderate", payload, format="json"), 400)


def test_rights_request_grant_and_a_refused_transition(api):
    asset = processed()
    response = api.post(f"/api/v1/assets/{asset.pk}/rights", {"action": "request"}, format="json")
    assert response.status_code == 200
    assert "#YesAcme" in response.json()["message"]
    assert (
        api.post(
            f"/api/v1/assets/{asset.pk}/rights", {"action": "grant"}, format="json"
        ).status_code
        == 400
    )  # how?
    granted = api.post(
        f"/api/v1/assets/{asset.pk}/rights",
        {"action": "grant", "via": "signed_form"},
        format="json",
    )
    assert granted.json()["state"] == "granted" and granted.json()["granted_via"] == "signed_form"
    refused = api.post(f"/api/v1/assets/{asset.pk}/rights", {"action": "decline"}, format="json")
    assert "state" in problem_fields(refused, 400)
    assert (
        api.post(f"/api/v1/assets/{asset.pk}/rights", {"action": "revoke"}, format="json").json()[
            "state"
        ]
        == "revoked"
    )
    assert (
        api.post("/api/v1/assets/999999/rights", {"action": "request"}, format="json").status_code
        == 404
    )


def test_a_reply_grants_rights_through_the_api(api):
    asset = processed()
    api.post(f"/api/v1/assets/{asset.pk}/rights", {"action": "request"}, format="json")
    wrong = api.post(
        "/api/v1/rights/replies",
        {"asset": asset.pk, "author_handle": "someone", "text": "#YesAcme"},
        format="json",
    )
    assert wrong.json() == {"outcome": "not the creator's account", "rights_state": "requested"}
    right = api.post(
        "/api/v1/rights/replies",
        {
            "asset": asset.pk,
            "author_handle": asset.creator.handle,
            "text": "yes! #yesacme",
            "permalink": "https://instagram.example/p/1/c/2",
        },
        format="json",
    )
    assert right.json() == {"outcome": "grant", "rights_state": "granted"}
    request = RightsRequest.objects.get(asset=asset)
    assert request.granted_via == "hashtag_reply" and request.stage == "granted"
    proof = asset.licence_entries.get().proof["reply"]
    assert proof["text"] == "yes! #yesacme"
    assert proof["permalink"] == "https://instagram.example/p/1/c/2"
    again = api.post(
        "/api/v1/rights/replies",
        {"asset": asset.pk, "author_handle": asset.creator.handle, "text": "#YesAcme"},
        format="json",
    )
    assert again.json()["outcome"] == "no open request"
    assert "asset" in problem_fields(
        api.post(
            "/api/v1/rights/replies",
            {"asset": 999999, "author_handle": "x", "text": "y"},
            format="json",
        ),
        400,
    )


def test_a_grant_through_the_api_carries_its_licence_terms(api):
    asset = processed()
    url = f"/api/v1/assets/{asset.pk}/rights"
    granted = api.post(
        url,
        {
            "action": "grant",
            "via": "signed_form",
            "uses": ["website", "email"],
            "territory": ["fr", "DE"],
            "expires_at": "2999-01-01",
            "paid_use": False,
            "credit_required": True,
        },
        format="json",
    )
    assert granted.status_code == 200, granted.content
    asset.refresh_from_db()
    assert asset.licensed_uses == ["email", "website"] and asset.credit_required
    entry = asset.licence_entries.get()
    assert entry.territory == ["DE", "FR"] and entry.paid_use is False
    assert entry.ends_at.year == 2999 and entry.uses == ["email", "website"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"uses": ["billboards"]}, "uses"),
        ({"uses": []}, "uses"),
        ({"territory": ["France"]}, "territory"),
        ({"territory": ["FR", "XX"]}, "territory"),  # shaped like one, but no country
        ({"expires_at": "2001-01-01"}, "expires_at"),
        ({"via": ""}, "via"),
    ],
)
def test_bad_licence_terms_name_the_field(api, payload, field):
    asset = processed()
    body = {"action": "grant", "via": "signed_form", **payload}
    response = api.post(f"/api/v1/assets/{asset.pk}/rights", body, format="json")
    assert field in problem_fields(response, 400)
    asset.refresh_from_db()
    assert asset.rights_state == "not_requested"


def _hostile_body(asset, case: dict) -> dict:
    """A case of the judge's hostile corpus as the HTTP API receives it."""
    body = {"asset": asset.pk, "author_handle": asset.creator.handle, "text": case["text"]}
    if "handle" in case:
        body["author_handle"] = case["handle"].replace("maker", asset.creator.handle)
    if case.get("deleted"):
        body["deleted"] = True
    return body


@pytest.mark.parametrize(
    ("why", "case"),
    [(why, case) for why, case in HOSTILE if "creator_id" not in case],
    ids=[why for why, case in HOSTILE if "creator_id" not in case],
)
def test_hostile_replies_never_grant_through_the_api(api, why, case):
    asset = processed()
    api.post(f"/api/v1/assets/{asset.pk}/rights", {"action": "request"}, format="json")
    if case.get("request_open") is False:
        rights_queue.cancel(RightsRequest.objects.get(asset=asset))
    response = api.post("/api/v1/rights/replies", _hostile_body(asset, case), format="json")
    if "\x00" in case["text"]:  # NUL is refused where input enters, naming the field
        assert "text" in problem_fields(response, 400)
    else:
        assert response.status_code == 200, response.content
        assert response.json()["outcome"] != "grant"
    asset.refresh_from_db()
    assert asset.rights_state != "granted" and not asset.licence_entries.exists()


def test_product_tags_with_hotspots_and_suggestion_decisions(api):
    line = ProductLine.objects.create(slug="bags", name="Bags")
    product = Product.objects.create(sku="BAG-1", title="Canvas tote", product_line=line)
    asset = processed()
    tagged = api.post(
        f"/api/v1/assets/{asset.pk}/products",
        {"product": "BAG-1", "x": 0.3, "y": 0.6},
        format="json",
    )
    assert tagged.status_code == 200, tagged.content
    assert ProductTag.objects.get(asset=asset, product=product).hotspot_x == 0.3
    assert "x" in problem_fields(
        api.post(
            f"/api/v1/assets/{asset.pk}/products", {"product": "BAG-1", "x": 0.3}, format="json"
        ),
        400,
    )
    assert "x" in problem_fields(
        api.post(
            f"/api/v1/assets/{asset.pk}/products",
            {"product": "BAG-1", "x": 3, "y": 0},
            format="json",
        ),
        400,
    )
    assert "product" in problem_fields(
        api.post(f"/api/v1/assets/{asset.pk}/products", {"product": "NOPE"}, format="json"), 400
    )
    assert api.delete(f"/api/v1/assets/{asset.pk}/products/BAG-1").status_code == 204
    assert api.delete(f"/api/v1/assets/{asset.pk}/products/BAG-1").status_code == 400

    ProductLineTag.objects.create(
        asset=asset, product_line=line, source="suggested", accepted=False, reason="hashtag #tote"
    )
    decided = api.post(
        "/api/v1/assets/suggestions", {"ids": [asset.pk], "decision": "accept"}, format="json"
    )
    assert decided.json() == {"decided": 1}
    assert ProductLineTag.objects.get(asset=asset).accepted


def test_creator_export_and_erase_are_for_admins(api):
    creator = CreatorFactory()
    processed(creator=creator, caption="mine")
    assert api.get(f"/api/v1/creators/{creator.pk}/export").status_code == 403
    admin = UserFactory()
    admin.groups.add(Group.objects.get(name=ADMIN))
    client = APIClient()
    client.force_authenticate(admin)
    exported = client.get(f"/api/v1/creators/{creator.pk}/export").json()
    assert exported["assets"][0]["caption"] == "mine"
    assert client.post(f"/api/v1/creators/{creator.pk}/erase").json()["assets"] == 1
    assert client.get(f"/api/v1/creators/{creator.pk}/export").status_code == 404
