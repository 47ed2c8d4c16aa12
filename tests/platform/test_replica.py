"""Reads that may lag go to the read replica; everything else stays on the primary."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from core import replica as replica_module
from core.replica import REPLICA, ReplicaRouter, replica_reads
from tests.analytics.kpi_data import analyst
from ugc.models import Creator

pytestmark = pytest.mark.django_db


def test_the_router_reads_the_replica_only_inside_the_block(settings):
    settings.DATABASES = {**settings.DATABASES, REPLICA: settings.DATABASES["default"]}
    router = ReplicaRouter()
    assert router.db_for_read(Creator) is None
    with replica_reads():
        assert router.db_for_read(Creator) == REPLICA
        assert router.db_for_write(Creator) == "default"
    assert router.db_for_read(Creator) is None
    assert not router.allow_migrate(REPLICA, "analytics")


def test_without_a_replica_the_block_reads_the_primary(settings):
    assert REPLICA not in settings.DATABASES
    with replica_reads():
        assert ReplicaRouter().db_for_read(Creator) is None


def test_the_kpi_api_and_the_dashboard_read_in_the_replica_block_and_writes_do_not(
    monkeypatch, client
):
    seen: list[bool] = []

    def spy(self, model, **hints):
        seen.append(replica_module._reading_replica.get())
        return None  # the test database answers; what is recorded is the routing

    monkeypatch.setattr(ReplicaRouter, "db_for_read", spy)
    user = analyst()
    api = APIClient()
    api.force_authenticate(user)
    answer = api.get("/api/v1/analytics/kpis", {"from": "2026-01-01", "to": "2026-01-02"})
    assert answer.status_code == 200, answer.content
    assert seen and all(seen)
    seen.clear()
    client.force_login(user)
    assert client.get(reverse("dashboard:index")).status_code == 200
    assert any(seen)
    seen.clear()
    Creator.objects.create(platform="upload", handle="s")
    assert Creator.objects.filter(handle="s").exists()
    assert seen and not any(seen)
