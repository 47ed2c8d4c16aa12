"""The buyer's pages, at the site's root (config/urls.py)."""

from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("r/<str:token>", views.click_view, name="click"),
    path("upload/<str:site>/", views.upload_view, name="upload"),
    path("u/<str:token>", views.unsubscribe_view, name="unsubscribe"),
]
