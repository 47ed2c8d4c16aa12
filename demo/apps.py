from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo: `manage.py demo`, its seeding and the demo storefront. It sits on
    top of every product app and nothing imports it."""

    name = "demo"
    verbose_name = "Demo"
