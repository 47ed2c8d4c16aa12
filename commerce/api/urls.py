from django.urls import path
from rest_framework.routers import SimpleRouter

from commerce.api import views, webhooks

router = SimpleRouter(trailing_slash=False)
router.register("product-lines", views.ProductLineViewSet, basename="product-line")
router.register("products", views.ProductViewSet, basename="product")
router.register("orders", views.OrderViewSet, basename="order")
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = [
    path(
        "webhooks/shopify/orders",
        webhooks.ShopifyOrderWebhook.as_view(),
        name="webhook-shopify-orders",
    ),
    path("webhooks/orders", webhooks.GenericOrderWebhook.as_view(), name="webhook-orders"),
    *router.urls,
]
