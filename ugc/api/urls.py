from django.urls import path

from ugc.api.views import AssetViewSet

urlpatterns = [
    path("assets/", AssetViewSet.as_view({"get": "list", "post": "create"}), name="asset-list"),
    path(
        "assets/reprocess",
        AssetViewSet.as_view({"post": "bulk_reprocess"}),
        name="asset-bulk-reprocess",
    ),
    path(
        "assets/<int:pk>",
        AssetViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="asset-detail",
    ),
    path(
        "assets/<int:pk>/reprocess",
        AssetViewSet.as_view({"post": "reprocess"}),
        name="asset-reprocess",
    ),
]
