from django.apps import AppConfig


class UgcConfig(AppConfig):
    """The UGC library, curation, galleries, media pipeline, search and scoring."""

    name = "ugc"
    verbose_name = "UGC"

    def ready(self):
        from commerce.signals import product_changed

        product_changed.connect(_product_changed, dispatch_uid="ugc.embed_products")


def _product_changed(sender, product_ids, **kwargs):
    """A product's words changed: its embedding (and so suggestions) must follow."""
    from ugc.tasks import embed_products

    embed_products.delay(list(product_ids))
