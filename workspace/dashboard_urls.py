"""The analyst's screens, mounted at /workspace/dashboard/ from config/urls.py: the
dashboard, its attribution runs and its experiments."""

from django.urls import path

from workspace import dashboard as views
from workspace import experiments, runs

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard_view, name="index"),
    path("runs", runs.runs_view, name="runs"),
    path("runs/progress", runs.run_progress_view, name="run_progress"),
    path("experiments", experiments.experiments_view, name="experiments"),
    path("experiments/<int:experiment_id>", experiments.experiment_view, name="experiment"),
    path("experiments/<int:experiment_id>/stop", experiments.stop_view, name="experiment_stop"),
    path("<slug:section>.csv", views.dashboard_csv_view, name="csv"),
]
