from django.urls import path

from ugc.api import recommendations
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
    path(
        "recommendations/products/<str:sku>",
        recommendations.ProductRecommendationsView.as_view(),
        name="recommendations-product",
    ),
    path(
        "recommendations/galleries/<int:pk>",
        recommendations.GalleryCandidatesView.as_view(),
        name="recommendations-gallery",
    ),
    path("engagement", recommendations.EngagementImportView.as_view(), name="engagement-import"),
    path(
        "engagement/summary",
        recommendations.EngagementSummaryView.as_view(),
        name="engagement-summary",
    ),
]
