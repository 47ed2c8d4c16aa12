from django.urls import include, path

from config.api import views

urlpatterns = [
    path("", include("ugc.api.public_urls")),  # public, by publishable key: first
    path("me", views.MeView.as_view(), name="me"),
    path("", include("ugc.api.curation_urls")),  # before assets/<pk>: "assets/search"
    path("", include("ugc.api.urls")),
    path("", include("commerce.api.urls")),
    path("", include("analytics.api.urls")),
]
