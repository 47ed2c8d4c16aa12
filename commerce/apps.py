from django.apps import AppConfig


class CommerceConfig(AppConfig):
    """Product lines, products, customers and orders. Depends on no other app."""

    name = "commerce"
