from django.urls import path
from rest_framework.routers import SimpleRouter

from sources.api import views, webhooks

router = SimpleRouter(trailing_slash=False)
router.register("sources/accounts", views.AccountViewSet, basename="source-account")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [
    path(
        "platforms/instagram/webhook",
        webhooks.InstagramWebhook.as_view(),
        name="webhook-instagram",
    ),
    *router.urls,
]
