from django.urls import path  # noqa: F401

# The analytics API: /api/v1/collect (public, publishable key) and /api/v1/analytics/...
urlpatterns: list = []
