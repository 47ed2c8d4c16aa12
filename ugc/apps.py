from django.apps import AppConfig


class UgcConfig(AppConfig):
    """The UGC library, curation, galleries, media pipeline, search and scoring."""

    name = "ugc"
    verbose_name = "UGC"

    def ready(self):
        from commerce.signals import product_changed

        product_changed.connect(_product_changed, dispatch_uid="ugc.embed_products")
        _connect_gallery_cache(product_changed)


def _product_changed(sender, product_ids, **kwargs):
    """A product's words changed: its embedding (and so suggestions) must follow."""
    from ugc.tasks import embed_products

    embed_products.delay(list(product_ids))


def _connect_gallery_cache(product_changed):
    """Everything that may change what a gallery shows drops its cached responses
    (ugc/delivery/cache.py): takedowns, approvals and grants (asset saves), tags,
    renditions, products and product lines (their tree decides a product page's
    fallback), galleries, pins, rules and sites."""
    from django.db.models.signals import post_delete, post_init, post_save

    from commerce.models import Product, ProductLine
    from ugc.delivery import cache as gallery_cache
    from ugc.models import (
        Asset,
        Gallery,
        GalleryPin,
        GalleryRule,
        ProductLineTag,
        ProductTag,
        Rendition,
        Site,
    )
    from ugc.signals import asset_unpublished

    asset_unpublished.connect(gallery_cache.asset_unpublished, dispatch_uid="ugc.gallery_cache")
    product_changed.connect(gallery_cache.library_changed, dispatch_uid="ugc.gallery_cache")
    post_init.connect(gallery_cache.asset_loaded, sender=Asset, dispatch_uid="ugc.gc.Asset")
    for signal in (post_save, post_delete):
        # Saves of an asset cover approval, grant, revocation, expiry and reprocessing
        # (every state change is an Asset.save in ugc.services.assets.transition).
        signal.connect(gallery_cache.asset_saved, sender=Asset, dispatch_uid="ugc.gc.Asset")
        for model in (ProductTag, ProductLineTag, Rendition):
            signal.connect(
                gallery_cache.asset_part_changed,
                sender=model,
                dispatch_uid=f"ugc.gc.{model.__name__}",
            )
        for model in (Product, ProductLine):
            signal.connect(
                gallery_cache.library_changed, sender=model, dispatch_uid=f"ugc.gc.{model.__name__}"
            )
        for model in (Gallery, GalleryPin, GalleryRule):
            signal.connect(
                gallery_cache.gallery_changed, sender=model, dispatch_uid=f"ugc.gc.{model.__name__}"
            )
        signal.connect(gallery_cache.site_changed, sender=Site, dispatch_uid="ugc.gc.Site")
