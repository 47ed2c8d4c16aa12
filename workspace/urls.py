"""The workspace's screens, mounted at /workspace/ (config/urls.py)."""

from django.urls import path

from workspace import galleries, outbox, products, rights_inbox, sources, views

app_name = "workspace"

urlpatterns = [
    path("", views.library_view, name="library"),
    path("assets/bulk", views.bulk_view, name="bulk"),
    path("assets/<int:pk>", views.asset_view, name="asset"),
    path("assets/<int:pk>/moderate", views.asset_moderate_view, name="asset-moderate"),
    path("assets/<int:pk>/undo", views.asset_undo_view, name="asset-undo"),
    path("assets/<int:pk>/rights", views.asset_rights_view, name="asset-rights"),
    path("assets/<int:pk>/hotspots", views.hotspot_view, name="hotspot"),
    path("assets/<int:pk>/untag", views.untag_view, name="untag"),
    path("review", views.review_view, name="review"),
    path("review/<int:pk>", views.review_decide_view, name="review-decide"),
    path("review/<int:pk>/rights", views.review_rights_view, name="review-rights"),
    path("review/<int:pk>/undo", views.review_undo_view, name="review-undo"),
    path("review/<int:pk>/tag", views.review_tag_view, name="review-tag"),
    path("rights", rights_inbox.rights_view, name="rights"),
    path("rights/bulk", rights_inbox.rights_bulk_view, name="rights-bulk"),
    path("rights/requests/<int:pk>/sent", rights_inbox.rights_sent_view, name="rights-sent"),
    path("rights/ask/<int:pk>", rights_inbox.rights_request_view, name="rights-request"),
    path("rights/<int:pk>", views.rights_answer_view, name="rights-answer"),
    path("imports", views.imports_view, name="imports"),
    path("imports/upload", views.upload_view, name="upload"),
    path("imports/progress", views.progress_view, name="progress"),
    path("imports/retry", views.retry_view, name="retry"),
    path("imports/<int:pk>", views.import_run_view, name="import-run"),
    # 5. galleries and sites (workspace/galleries.py)
    path("galleries", galleries.galleries_view, name="galleries"),
    path("galleries/new", galleries.gallery_create_view, name="gallery-create"),
    path("galleries/options", galleries.gallery_options_view, name="gallery-options"),
    path("galleries/<int:pk>", galleries.gallery_view, name="gallery"),
    path("galleries/<int:pk>/settings", galleries.gallery_settings_view, name="gallery-settings"),
    path("galleries/<int:pk>/pins", galleries.gallery_pins_view, name="gallery-pins"),
    path("galleries/<int:pk>/order", galleries.gallery_order_view, name="gallery-order"),
    path(
        "galleries/<int:pk>/pins/<int:asset_id>/remove",
        galleries.gallery_unpin_view,
        name="gallery-unpin",
    ),
    path("galleries/<int:pk>/rules", galleries.gallery_rule_add_view, name="gallery-rule-add"),
    path(
        "galleries/<int:pk>/rules/<int:rule_id>/remove",
        galleries.gallery_rule_remove_view,
        name="gallery-rule-remove",
    ),
    path("outbox", outbox.outbox_view, name="outbox"),
    # products: storefront URLs, and the product picker (workspace/products.py)
    path("products", products.products_view, name="products"),
    path("products/search", products.product_search_view, name="product-search"),
    path("products/<int:pk>", products.product_edit_view, name="product-edit"),
    path("sites/new", galleries.site_create_view, name="site-create"),
    path("sites/<int:pk>", galleries.site_edit_view, name="site-edit"),
    path("sites/<int:pk>/key", galleries.site_rotate_key_view, name="site-rotate-key"),
    # sources: connected accounts and collection (workspace/sources.py)
    path("sources", sources.sources_view, name="sources"),
    path("sources/add", sources.source_add_view, name="sources-add"),
    path(
        "sources/<int:pk>/<str:action>",
        sources.source_action_view,
        name="sources-action",
    ),
    path("sources/invite", sources.invite_view, name="sources-invite"),
    path("sources/connect/callback", sources.connect_callback_view, name="sources-callback"),
    path("sources/connect/<str:platform>", sources.connect_view, name="sources-connect"),
    path(
        "sources/accounts/<int:pk>/disconnect",
        sources.disconnect_view,
        name="sources-disconnect",
    ),
]
