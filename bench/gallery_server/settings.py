"""Development settings with the bench URLconf; DEBUG and the cache come from the
environment that bench/gallery.py gives the server."""

from config.settings.dev import *  # noqa: F403

ROOT_URLCONF = "bench.gallery_server.urls"
