"""The coordinator's workspace, mounted at /workspace/ (config/urls.py)."""

from django.urls import path

from ugc import views

app_name = "workspace"

urlpatterns = [
    path("", views.library_view, name="library"),
    path("assets/bulk", views.bulk_view, name="bulk"),
    path("assets/<int:pk>", views.asset_view, name="asset"),
    path("assets/<int:pk>/moderate", views.asset_moderate_view, name="asset-moderate"),
    path("assets/<int:pk>/rights", views.asset_rights_view, name="asset-rights"),
    path("assets/<int:pk>/hotspots", views.hotspot_view, name="hotspot"),
    path("assets/<int:pk>/untag", views.untag_view, name="untag"),
    path("review", views.review_view, name="review"),
    path("review/<int:pk>", views.review_decide_view, name="review-decide"),
    path("rights", views.rights_view, name="rights"),
    path("rights/<int:pk>", views.rights_answer_view, name="rights-answer"),
    path("imports", views.imports_view, name="imports"),
    path("imports/upload", views.upload_view, name="upload"),
    path("imports/progress", views.progress_view, name="progress"),
    path("imports/retry", views.retry_view, name="retry"),
    path("imports/<int:pk>", views.import_run_view, name="import-run"),
]
