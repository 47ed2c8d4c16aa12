"""Run the local emulator of the Instagram Graph, TikTok and YouTube APIs."""

from django.core.management.base import BaseCommand

from platforms.hosts import platform_urls
from platforms.sandbox.server import SandboxServer, handshake
from platforms.sandbox.state import Sandbox


class Command(BaseCommand):
    help = "Serve the platform emulator (posts keep arriving; faults via POST /__sandbox/faults)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same posts and images")
        parser.add_argument(
            "--rate",
            type=float,
            default=1.0,
            help="new posts per minute in each feed (hashtag, tags, mentions, ...)",
        )
        parser.add_argument(
            "--backlog-hours",
            type=float,
            default=48.0,
            help="history each feed holds at start (recent_media answers 24 hours of it)",
        )
        parser.add_argument("--webhook-url", default="", help="where mentions are POSTed, signed")
        parser.add_argument("--graph-calls-per-hour", type=int, default=200)

    def handle(self, *args, **options):
        sandbox = Sandbox(
            seed=options["seed"],
            rate=options["rate"],
            backlog=options["backlog_hours"] * 3600,
            webhook_url=options["webhook_url"],
            graph_calls_per_hour=options["graph_calls_per_hour"],
        )
        server = SandboxServer(sandbox, options["port"], options["host"]).start()
        self.stdout.write(
            f"platform sandbox on {server.url} (set PLATFORM_SANDBOX_URL={server.url})"
        )
        for name, url in platform_urls(server.url).items():
            self.stdout.write(f"  {name}: {url}")
        if sandbox.webhook_url and not handshake(sandbox):
            self.stderr.write("webhook handshake failed: the callback did not echo hub.challenge")
        try:
            server.deliver_forever()
        except KeyboardInterrupt:
            server.stop()
