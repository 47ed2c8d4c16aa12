"""Tables of the analytics app: collected events, visitors, sessions, bot counts.

`Event` maps onto a table partitioned by month of `received_at` (server time),
created by hand in the migration because Django cannot declare partitioning;
the model is unmanaged so the ORM reads it as any other table. PostgreSQL wants
the partition key in every unique constraint, so a retry of the same event in
the next month would not collide with the first copy; `EventReceipt`, one small
row per event id, is what keeps deduplication exact across months.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

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


# --- KPIs: daily rollups and spend ---------------------------------------------------------
#
# Four daily fact tables, each keyed by (day, a few dimension columns), kept by
# analytics.services.rollups and read by analytics.selectors. Four and not one
# because their grains differ and do not nest: an asset's impressions have no
# channel, a session has no asset, an order line has a product but no gallery.
# Reach (distinct visitors) does not add up over days, so the asset and session
# rows keep the day's visitors as a set of 64-bit hashes (`visitors`, 8 bytes a
# visitor-day); a range's reach is the size of the union of its days' sets.


class DailyAssetStats(models.Model):
    """What the galleries showed and what it led to, per day, site, asset and gallery.
    `asset_id` is NULL for gallery-level events (a gallery_view names no asset);
    `gallery` is "" for an asset event that named no gallery."""

    day = models.DateField()
    site_id = models.BigIntegerField()
    asset_id = models.BigIntegerField(null=True)
    gallery = models.CharField(max_length=100, default="", blank=True)
    gallery_views = models.PositiveBigIntegerField(default=0)
    impressions = models.PositiveBigIntegerField(default=0)
    clicks = models.PositiveBigIntegerField(default=0)
    lightbox_opens = models.PositiveBigIntegerField(default=0)
    product_clicks = models.PositiveBigIntegerField(default=0)
    # Orders that day by visitors who clicked this asset in the UGC lookback before
    # ordering, and their net revenue: "assisted", each order counted for every asset
    # it touched (attribution runs split the credit).
    conversions = models.PositiveBigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    visitors = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site_id", "asset_id", "gallery"],
                name="daily_asset_stats_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["asset_id", "day"], name="daily_asset_stats_asset"),
            models.Index(fields=["gallery", "day"], name="daily_asset_stats_gallery"),
        ]

    def __str__(self):
        return f"{self.day} asset {self.asset_id} in {self.gallery or '-'}"


class DailySessionStats(models.Model):
    """Sessions started that day per site, channel, campaign, device class and whether
    the session interacted with UGC (see analytics.services.rollups)."""

    day = models.DateField()
    site_id = models.BigIntegerField()
    channel = models.CharField(max_length=20)
    campaign = models.CharField(max_length=200, blank=True)
    device_class = models.CharField(max_length=10)
    ugc_interacted = models.BooleanField()
    sessions = models.PositiveBigIntegerField(default=0)
    bounces = models.PositiveBigIntegerField(default=0)
    page_views = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.FloatField(default=0)
    leads = models.PositiveBigIntegerField(default=0)
    cart_sessions = models.PositiveBigIntegerField(default=0)
    cart_purchase_sessions = models.PositiveBigIntegerField(default=0)
    purchase_sessions = models.PositiveBigIntegerField(default=0)
    visitors = ArrayField(models.BigIntegerField(), default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site_id", "channel", "campaign", "device_class", "ugc_interacted"],
                name="daily_session_stats_key",
            )
        ]
        indexes = [models.Index(fields=["channel", "day"], name="daily_session_stats_channel")]

    def __str__(self):
        return f"{self.day} {self.channel} {self.campaign}"


class DailyOrderStats(models.Model):
    """Orders placed that day (not cancelled) per site, channel, campaign, UGC
    interaction and currency. Site, channel and campaign come from the buyer's last
    session before the order; `site_id` is NULL for an order whose visitor we never saw."""

    day = models.DateField()
    site_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20)
    campaign = models.CharField(max_length=200, blank=True)
    ugc_interacted = models.BooleanField()
    currency = models.CharField(max_length=3)
    orders = models.PositiveBigIntegerField(default=0)
    new_customers = models.PositiveBigIntegerField(default=0)
    gross_revenue = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    discounts = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    refunds = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    net_revenue = models.DecimalField(max_digits=16, decimal_places=3, default=0)
    sessions_before_purchase = models.PositiveBigIntegerField(default=0)
    buyers_with_sessions = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "site_id", "channel", "campaign", "ugc_interacted", "currency"],
                name="daily_order_stats_key",
                nulls_distinct=False,
            )
        ]

    def __str__(self):
        return f"{self.day} {self.channel} {self.orders} orders"


class DailyProductStats(models.Model):
    """Order lines of that day's orders per product (and its line at rollup time)."""

    day = models.DateField()
    product_id = models.BigIntegerField()
    product_line_id = models.BigIntegerField(null=True)
    ugc_interacted = models.BooleanField()
    currency = models.CharField(max_length=3)
    orders = models.PositiveBigIntegerField(default=0)
    units = models.PositiveBigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=3, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "product_id", "ugc_interacted", "currency"],
                name="daily_product_stats_key",
            )
        ]
        indexes = [
            models.Index(fields=["product_id", "day"], name="daily_product_stats_product"),
            models.Index(fields=["product_line_id", "day"], name="daily_product_stats_line"),
        ]

    def __str__(self):
        return f"{self.day} product {self.product_id}"


class RollupWatermark(models.Model):
    """Events received and orders changed up to `value` are in the rollups."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.DateTimeField()

    def __str__(self):
        return f"{self.name} at {self.value}"


class Spend(models.Model):
    """Advertising spend for one day, channel and campaign, as imported (CSV or API)."""

    day = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    campaign = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "channel", "campaign"], name="spend_per_day"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="spend_not_negative"),
        ]

    def __str__(self):
        return f"{self.day} {self.channel}/{self.campaign}: {self.amount} {self.currency}"


# --- Attribution runs and experiments ------------------------------------------------------


class AttributionRun(models.Model):
    """One attribution model over the journeys of a date range, computed by a task.

    `level` is what a touch is: a session's channel only ("channel"), or also the
    galleries ("gallery") or assets ("asset") a visitor clicked. Results are stored
    per channel, and for gallery and asset runs also per gallery and asset, in
    AttributionCredit; a rerun replaces them.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Level(models.TextChoices):
        CHANNEL = "channel", _("Channel")
        GALLERY = "gallery", _("Gallery")
        ASSET = "asset", _("Asset")

    model = models.CharField(max_length=30)
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.CHANNEL)
    date_from = models.DateField()
    date_to = models.DateField(help_text="Inclusive: conversions on this day count.")
    lookback_days = models.PositiveIntegerField(default=30)
    include_impressions = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, blank=True, help_text="Blank: the one there is.")
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # The error as a message, shown in the reader's language (core/reasons.py).
    error_message = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    journeys = models.PositiveBigIntegerField(default=0)
    conversions = models.FloatField(default=0)
    value = models.FloatField(default=0)
    # Orders in range with no touch in their lookback: counted, not credited to anyone.
    unattributed_conversions = models.FloatField(default=0)
    unattributed_value = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["date_from", "date_to", "level", "model"], name="attr_run_range")
        ]

    def __str__(self):
        return f"{self.model} {self.level} {self.date_from}..{self.date_to} ({self.status})"


class AttributionCredit(models.Model):
    """Conversions and value one run credited to one channel, gallery or asset.
    `key` "(none)" at gallery or asset level is the part credited to touches that were
    not gallery or asset touches, so every level adds up to the run's total."""

    run = models.ForeignKey(AttributionRun, on_delete=models.CASCADE, related_name="credits")
    level = models.CharField(max_length=10, choices=AttributionRun.Level.choices)
    key = models.CharField(max_length=200)
    conversions = models.FloatField()
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "level", "key"], name="attr_credit_key")
        ]

    def __str__(self):
        return f"{self.level} {self.key}: {self.value:.2f}"


class Experiment(models.Model):
    """An A/B test of what a gallery slot shows on a site.

    The storefront asks for `placement` (a gallery slug); each visitor is assigned a
    variant by hashing (experiment id, visitor id), and gets that variant's gallery,
    or nothing for a variant without one (the holdout). Events then carry `key` and
    the variant's name.
    """

    class Metric(models.TextChoices):
        CONVERSION_RATE = "conversion_rate", _("Conversion Rate")
        REVENUE_PER_VISITOR = "revenue_per_visitor", _("Revenue Per Visitor")
        CLICK_THROUGH = "click_through", _("Click Through")

    site = models.ForeignKey("ugc.Site", on_delete=models.CASCADE, related_name="experiments")
    key = models.SlugField(max_length=100, help_text="The name events carry in `experiment`.")
    name = models.CharField(max_length=200, blank=True)
    placement = models.SlugField(max_length=100, help_text="The gallery slug the page asks for.")
    metric = models.CharField(max_length=30, choices=Metric.choices, default=Metric.CONVERSION_RATE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="experiment_key_per_site")
        ]

    def __str__(self):
        return self.key


class ExperimentVariant(models.Model):
    """One arm: its share of the traffic and the gallery it shows (none: holdout)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    name = models.SlugField(max_length=100)
    weight = models.FloatField(help_text="Relative share of visitors.")
    gallery = models.ForeignKey(
        "ugc.Gallery", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_name_unique"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="variant_weight_positive"
            ),
        ]

    def __str__(self):
        return f"{self.experiment_id}/{self.name}"
