"""Serve POST /api/v1/collect from the collector (analytics/api/collector.py): uvicorn
processes of one thread each, whose event loop writes the batches that wait together.
The web process serves the same endpoint too; a proxy in front sends /api/v1/collect
here (docker/compose.yaml)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the collect endpoint under uvicorn (the storefront beacons' server)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("COLLECTOR_WORKERS", "2")),
            help="Processes; one per core (COLLECTOR_WORKERS, default 2).",
        )  # fmt: skip

    def handle(self, *args, **options):
        import uvicorn

        # The worker processes import the app again, with this process's settings.
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
        uvicorn.run(
            "analytics.api.collector:app",
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            http="httptools",
            loop="uvloop",
            lifespan="on",
            # The client's address comes from X-Forwarded-For by NUM_PROXIES, as the
            # web process reads it (DRF's get_ident), not by uvicorn's own rule.
            proxy_headers=False,
            access_log=False,
            timeout_graceful_shutdown=30,
        )
