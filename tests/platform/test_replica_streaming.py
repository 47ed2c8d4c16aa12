"""The dashboard and the KPI API read a real streaming replica of the embedded server,
and only those: while the replica's replay is paused, they show what it has replayed,
not what the primary has since committed; once it catches up, they show that too."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from rest_framework.test import APIClient

from analytics.services.rollups import rollup_day
from commerce.models import Order
from core.replica import REPLICA
from tests.analytics.kpi_data import analyst, the_day
from tests.analytics.web import free_port
from tests.commerce.factories import ShopFactory
from tests.support.standby import start_standby

pytestmark = [
    # Committed writes, so that they reach the replica (the test database is emptied after).
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]


def primary_dsn() -> dict:
    found = connections["default"].settings_dict
    return {
        "host": found["HOST"],
        "port": int(found["PORT"]),
        "user": found["USER"],
        "dbname": found["NAME"],
    }


@pytest.fixture
def standby(settings):
    """The standby as the `replica` database: in the settings the router reads, and as a
    connection of this thread (the test's databases were set up without it)."""
    server = start_standby(primary_dsn(), free_port())
    default = connections["default"]
    replica = {**default.settings_dict, "HOST": server.host, "PORT": server.port}
    settings.DATABASES = {**settings.DATABASES, REPLICA: replica}
    connections[REPLICA] = type(default)(replica, REPLICA)
    try:
        yield server
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        server.stop()


def place_order(shop, number: str) -> None:
    """An order on the primary, and the day's figures rolled up again to count it."""
    Order.objects.create(
        shop=shop,
        shop_order_id=number,
        created_at_shop=datetime.combine(the_day(), time(15), tzinfo=UTC),
        currency="EUR",
        subtotal=Decimal(100),
        discounts=Decimal(0),
        total=Decimal(100),
        refunded_amount=Decimal(0),
    )
    rollup_day(the_day())


def test_dashboard_and_kpis_read_the_streaming_replica(standby, client):
    user = analyst()
    shop = ShopFactory()
    place_order(shop, "1")
    standby.catch_up(primary_dsn())
    api = APIClient()
    api.force_authenticate(user)
    day = the_day().isoformat()

    def orders() -> int:
        answer = api.get("/api/v1/analytics/funnel", {"from": day, "to": day})
        assert answer.status_code == 200, answer.content
        (count,) = [step["count"] for step in answer.json()["steps"] if step["step"] == "orders"]
        return count

    assert orders() == 1
    standby.pause_replay(True)
    place_order(shop, "2")
    assert Order.objects.count() == 2, "the primary has both"
    assert orders() == 1, "the KPIs come from the replica, which has not replayed order 2"
    client.force_login(user)
    assert client.get(reverse("dashboard:index")).status_code == 200

    standby.pause_replay(False)
    standby.catch_up(primary_dsn())
    assert orders() == 2
