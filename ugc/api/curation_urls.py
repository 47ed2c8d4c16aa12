from django.urls import path

from ugc.api import curation

urlpatterns = [
    path("assets/search", curation.AssetSearchView.as_view(), name="asset-search"),
    path("assets/moderate", curation.ModerateView.as_view(), name="asset-moderate"),
    path("assets/tag", curation.BulkTagView.as_view(), name="asset-bulk-tag"),
    path("assets/request-rights", curation.BulkRightsView.as_view(), name="asset-bulk-rights"),
    path("assets/suggestions", curation.SuggestionsView.as_view(), name="asset-suggestions"),
    path("assets/<int:pk>/rights", curation.AssetRightsView.as_view(), name="asset-rights"),
    path("assets/<int:pk>/products", curation.AssetProductsView.as_view(), name="asset-products"),
    path(
        "assets/<int:pk>/products/<str:sku>",
        curation.AssetProductView.as_view(),
        name="asset-product",
    ),
    path(
        "assets/<int:pk>/product-lines",
        curation.AssetProductLinesView.as_view(),
        name="asset-product-lines",
    ),
    path("rights/replies", curation.RightsReplyView.as_view(), name="rights-replies"),
    path("creators/<int:pk>/export", curation.CreatorExportView.as_view(), name="creator-export"),
    path("creators/<int:pk>/erase", curation.CreatorEraseView.as_view(), name="creator-erase"),
]
