from django.urls import include, path

from core.api import views

urlpatterns = [
    path("me", views.MeView.as_view(), name="me"),
    path("", include("ugc.api.curation_urls")),  # before assets/<pk>: "assets/search"
    path("", include("ugc.api.urls")),
    path("", include("commerce.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("outreach.api.urls")),
    path("", include("sources.api.urls")),
]
