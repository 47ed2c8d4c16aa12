"""Tables of the analytics app: collected events, visitors, sessions, bot counts.

`Event` maps onto a table partitioned by month of `received_at` (server time),
created by hand in the migration because Django cannot declare partitioning;
the model is unmanaged so the ORM reads it as any other table. PostgreSQL wants
the partition key in every unique constraint, so a retry of the same event in
the next month would not collide with the first copy; `EventReceipt`, one small
row per event id, is what keeps deduplication exact across months.
"""

from django.db import models

from analytics.channels import CHANNELS
from analytics.events import EVENT_TYPES
from analytics.useragents import DEVICE_CLASSES

Channel = models.TextChoices("Channel", [(name, name) for name in CHANNELS])
DeviceClass = models.TextChoices("DeviceClass", [(name, name) for name in DEVICE_CLASSES])
EventType = models.TextChoices("EventType", [(name, name) for name in sorted(EVENT_TYPES)])


class Event(models.Model):
    """One event from a storefront, as the collect endpoint stored it."""

    pk = models.CompositePrimaryKey("event_id", "received_at")
    event_id = models.UUIDField()
    received_at = models.DateTimeField(help_text="Server time; the partition key.")
    # No foreign key: a per-row check would cost every insert, and a site's
    # events go with it through delete_site_events (services.privacy).
    site_id = models.BigIntegerField()
    type = models.CharField(max_length=20, choices=EventType.choices)
    client_time = models.DateTimeField(help_text="The device's time, clamped when absurd.")
    time_clamped = models.BooleanField(default=False)
    visitor_id = models.CharField(max_length=64)
    session_id = models.CharField(max_length=100)
    page_url = models.TextField(blank=True)
    referrer = models.TextField(blank=True)
    # NULL is "not sent" for the by-type fields below, the same as in the contract.
    asset_id = models.BigIntegerField(null=True)
    gallery = models.CharField(max_length=100, null=True)  # noqa: DJ001
    product_sku = models.CharField(max_length=100, null=True)  # noqa: DJ001
    position = models.IntegerField(null=True)
    value = models.DecimalField(max_digits=14, decimal_places=3, null=True)
    currency = models.CharField(max_length=3, null=True)  # noqa: DJ001
    experiment = models.CharField(max_length=100, null=True)  # noqa: DJ001
    variant = models.CharField(max_length=100, null=True)  # noqa: DJ001
    ip_hash = models.CharField(max_length=32, blank=True, help_text="Salted, rotated daily.")

    class Meta:
        managed = False
        db_table = "analytics_event"

    def __str__(self):
        return f"{self.type} {self.event_id}"


class EventReceipt(models.Model):
    """An event id we have stored, whatever month: the deduplication key."""

    event_id = models.UUIDField(primary_key=True)
    received_at = models.DateTimeField()

    def __str__(self):
        return str(self.event_id)


class Visitor(models.Model):
    """A first-party visitor id from the widget, per site."""

    site = models.ForeignKey("ugc.Site", on_delete=models.CASCADE, related_name="visitors")
    visitor_id = models.CharField(max_length=64)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    customer = models.ForeignKey(
        "commerce.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="site_visitors",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "visitor_id"], name="visitor_unique_per_site")
        ]

    def __str__(self):
        return self.visitor_id


class Session(models.Model):
    """A visit: the widget's session id (or 30 minutes of inactivity), where it
    landed, what brought it, and what happened in it."""

    site = models.ForeignKey("ugc.Site", on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="sessions")
    session_id = models.CharField(max_length=100)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    landing_page = models.TextField(blank=True)
    referrer = models.TextField(blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    device_class = models.CharField(max_length=10, choices=DeviceClass.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    event_count = models.PositiveIntegerField(default=0)
    page_views = models.PositiveIntegerField(default=0)
    gallery_interactions = models.PositiveIntegerField(default=0)
    add_to_carts = models.PositiveIntegerField(default=0)
    leads = models.PositiveIntegerField(default=0)
    purchases = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "session_id"], name="session_unique_per_site")
        ]
        indexes = [models.Index(fields=["site", "started_at"], name="session_site_started")]

    def __str__(self):
        return self.session_id


class BotCount(models.Model):
    """Requests from known crawlers, dropped unstored, counted per site per day."""

    site = models.ForeignKey("ugc.Site", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    events = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="bot_count_per_day")]

    def __str__(self):
        return f"{self.day}: {self.events}"
