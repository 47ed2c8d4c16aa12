"""The analyst's dashboard, mounted at /workspace/dashboard/ from config/urls.py (ugc's
workspace URLconf cannot include it: ugc never imports analytics)."""

from django.urls import path

from analytics import views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_view, name="index"),
    path("<slug:section>.csv", views.dashboard_csv_view, name="csv"),
]
