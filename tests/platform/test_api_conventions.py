"""One error shape, token and session auth, an OpenAPI schema, cursor pagination."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.views import APIView

from core.roles import ADMIN, ANALYST, COORDINATOR

PROBLEM = "application/problem+json"


class ItemSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=8)
    quantity = serializers.IntegerField(min_value=1)


class OrderSerializer(serializers.Serializer):
    items = ItemSerializer(many=True)


class OrderView(APIView):
    def post(self, request):
        OrderSerializer(data=request.data).is_valid(raise_exception=True)
        raise ZeroDivisionError("a bug")  # valid input reaches a bug: must be a 500 problem


class GroupList(generics.ListAPIView):
    queryset = Group.objects.all()

    class serializer_class(serializers.ModelSerializer):
        class Meta:
            model = Group
            fields = ["id", "name"]


urlpatterns = [
    path("api/v1/test-orders", OrderView.as_view()),
    path("api/v1/test-groups", GroupList.as_view()),
]


@pytest.fixture
def user(db):
    return User.objects.create_user("casey", password="pw-casey-123")


@pytest.fixture
def api():
    return APIClient(raise_request_exception=False)


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["type"] == "about:blank"
    return body


def test_no_credentials_is_a_401_problem(api, db):
    body = assert_problem(api.get("/api/v1/me"), 401)
    assert body["instance"] == "/api/v1/me"
    assert "credentials" in body["detail"]


def test_a_wrong_token_is_a_401_problem(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_problem(api.get("/api/v1/me"), 401)


def test_token_authentication_and_roles(api, user):
    user.groups.add(Group.objects.get(name=COORDINATOR))
    token = Token.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"username": "casey", "roles": [COORDINATOR]}


def test_session_authentication_for_the_browser(client, user):
    assert client.login(username="casey", password="pw-casey-123")
    assert client.get("/api/v1/me").json()["username"] == "casey"


def test_drf_create_token_command_makes_a_working_token(api, user, capsys):
    call_command("drf_create_token", "casey")
    key = capsys.readouterr().out.split()[2]
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me").status_code == 200


def test_unknown_api_paths_are_404_problems(api, db):
    body = assert_problem(api.get("/api/v1/no-such-thing"), 404)
    assert "/api/v1/no-such-thing" in body["detail"]


@pytest.mark.urls(__name__)
def test_validation_errors_name_each_field(api, user):
    api.force_authenticate(user)
    body = assert_problem(
        api.post(
            "/api/v1/test-orders",
            {"items": [{"sku": "ok", "quantity": 1}, {"sku": "far-too-long", "quantity": 0}]},
            format="json",
        ),
        400,
    )
    fields = {error["field"]: error for error in body["errors"]}
    assert set(fields) == {"items.1.sku", "items.1.quantity"}
    assert fields["items.1.quantity"]["code"] == "min_value"
    assert body["detail"].startswith("items.1.")


@pytest.mark.urls(__name__)
def test_a_malformed_body_is_a_400_problem(api, user):
    api.force_authenticate(user)
    response = api.generic(
        "POST", "/api/v1/test-orders", "{not json", content_type="application/json"
    )
    assert "JSON parse error" in assert_problem(response, 400)["detail"]


@pytest.mark.urls(__name__)
def test_an_unhandled_error_is_a_500_problem_without_internals(api, user):
    api.force_authenticate(user)
    body = assert_problem(api.post("/api/v1/test-orders", {"items": []}, format="json"), 500)
    assert "ZeroDivisionError" not in str(body) and "a bug" not in str(body)


@pytest.mark.urls(__name__)
def test_lists_use_cursor_pagination(api, user):
    api.force_authenticate(user)
    for index in range(7):
        Group.objects.create(name=f"group-{index}")
    page = api.get("/api/v1/test-groups", {"limit": 4}).json()
    assert len(page["results"]) == 4
    assert "cursor=" in page["next"] and page["previous"] is None
    seen = [group["id"] for group in page["results"]]
    while page["next"]:
        page = api.get(page["next"]).json()
        seen += [group["id"] for group in page["results"]]
    # Every group once, newest first, across pages.
    assert seen == list(Group.objects.order_by("-id").values_list("id", flat=True))


def test_roles_exist_with_their_permissions(db):
    groups = {group.name: group for group in Group.objects.all()}
    assert {COORDINATOR, ANALYST, ADMIN} <= set(groups)
    admin_perms = set(groups[ADMIN].permissions.values_list("codename", flat=True))
    assert {"add_user", "change_group", "view_token"} <= admin_perms
    analyst_perms = groups[ANALYST].permissions.values_list("codename", flat=True)
    assert all(codename.startswith("view_") for codename in analyst_perms)


def test_schema_documents_the_problem_shape(api, db):
    response = api.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "Problem" in schema["components"]["schemas"]
    me = schema["paths"]["/api/v1/me"]["get"]["responses"]
    for code in ("401", "403", "500"):
        assert "application/problem+json" in me[code]["content"], code


def test_swagger_ui_is_served_without_a_cdn(api, db):
    from django.contrib.staticfiles import finders

    html = api.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
