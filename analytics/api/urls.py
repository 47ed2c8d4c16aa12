from django.urls import path

from analytics.api.collect import CollectView
from analytics.api.utm import UtmLinkView

# The analytics API: /api/v1/collect (public, publishable key) and /api/v1/analytics/...
urlpatterns = [
    path("collect", CollectView.as_view(), name="collect"),
    path("analytics/utm-links", UtmLinkView.as_view(), name="utm-links"),
]
