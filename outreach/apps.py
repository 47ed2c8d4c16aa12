from django.apps import AppConfig


class OutreachConfig(AppConfig):
    """Photo requests by e-mail after a purchase: the requests, the suppression list,
    rendering and sending over SMTP, the signed links and the unsubscribe page."""

    name = "outreach"

    def ready(self):
        from commerce.signals import order_contact
        from outreach.services import requests

        order_contact.connect(requests.on_order_contact, dispatch_uid="outreach.order_contact")
