"""`uv run manage.py demo`: the product on the embedded defaults, one command.

Starts (or joins) the embedded PostgreSQL, migrates, creates the demo
coordinator and the demo storefront's site, galleries and photos, starts a real
Celery worker (with beat), the web server, the storefront (on its own port,
so the widget's calls are cross-origin as on a real shop) and the platform
emulator, waits until /readyz answers 200, connects a demo Instagram account to
the emulator and collects the brand's hashtag, prints the URLs, and runs until
Ctrl-C or SIGTERM, then stops the emulator, the storefront, the web server and
the worker and lets the database stop with the last process that uses it.
"""

from __future__ import annotations

import os
import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core import processes
from core.roles import COORDINATOR

DEMO_USERNAME = "coordinator"
DEMO_PASSWORD = "ugc-demo-coordinator"  # noqa: S105 (printed for the demo; local only)
# How long a child may take to stop before its process group is killed. Celery's cold
# shutdown has been seen to hang after "Cold shutdown (MainProcess)" (CI, load 10), and
# killing the worker is safe: its tasks are acknowledged late and go back to the queue.
STOP_GRACE_SECONDS = 6


class Command(BaseCommand):
    help = "Run the product on the embedded defaults: database, worker, web server."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="web server port (8000)")
        parser.add_argument("--host", default="127.0.0.1", help="web server address")
        parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
        parser.add_argument(
            "--storefront-port", type=int, default=8001, help="demo storefront port (8001)"
        )
        parser.add_argument(
            "--sandbox-port", type=int, default=8765, help="platform emulator port (8765)"
        )
        parser.add_argument(
            "--mail-port", type=int, default=8025, help="demo SMTP server port (8025)"
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help="a small demo (40 photos, 7 days of shoppers) that still runs every step",
        )

    def handle(
        self,
        *args,
        port,
        host,
        concurrency,
        storefront_port,
        sandbox_port,
        mail_port,
        quick,
        **options,
    ):
        # First of all: a Ctrl-C while migrating or seeding stops at once too (each step
        # is redone by the next run), and the shutdown below always runs.
        signals = self.signals = processes.StopSignals().install()
        started = time.monotonic()
        children: list[processes.Child] = []
        try:
            self.step("database", f"PostgreSQL at {self.where()}")
            call_command("migrate", interactive=False, verbosity=0)
            self.create_coordinator()
            base, shop_url = f"http://{host}:{port}", f"http://{host}:{storefront_port}"
            demo_shop = self.seed_storefront(shop_url, storefront_port)
            sandbox_url = f"http://{host}:{sandbox_port}"
            children = [self.mailbox(mail_port), self.sandbox(host, sandbox_port, base)]
            children += self.children(host, port, concurrency)
            children.append(self.storefront(host, storefront_port, base, demo_shop.key))
            # Every child calls the emulator instead of the real platforms, and sends
            # photo requests to the demo mailbox with links back to this server.
            env = {
                **os.environ, "PYTHONUNBUFFERED": "1", "PLATFORM_SANDBOX_URL": sandbox_url,
                "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(mail_port),
                "EMAIL_USE_TLS": "0", "EMAIL_USE_SSL": "0", "OUTREACH_BASE_URL": base,
            }  # fmt: skip
            for child in children:
                self.step(child.name, f"starting (log: {child.log_path})")
                with signals.held():  # a child started is a child we can stop
                    child.start(env, settings.BASE_DIR)
            mailbox, sandbox, worker, web, shop = children
            processes.wait_for_log(mailbox, "SMTP server listening", timeout=60)
            processes.wait_for_http(f"{sandbox_url}/__sandbox/stats", sandbox, timeout=60)
            processes.wait_for_log(worker, "ready.", timeout=120)
            processes.wait_for_http(f"{base}/readyz", web, timeout=120)
            processes.wait_for_http(f"{shop_url}/healthz", shop, timeout=60)
            self.seed_brand(base, shop_url, demo_shop.site_id, quick)
            self.connect_sources(base)
            self.print_urls(base, shop_url, demo_shop.key, time.monotonic() - started)
            while True:
                for child in children:
                    if not child.running():
                        raise CommandError(f"{child.name} stopped:\n{child.log_tail()}")
                signals.check()
                time.sleep(1)
        except processes.Stop as stop:
            signals.handled()
            self.step("shutdown", f"{stop} received")
        except (RuntimeError, TimeoutError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            signals.handled()  # whatever ended it, the shutdown is not cut short
            self.stop_children(children)

    def stop_children(self, children: list[processes.Child]) -> None:
        self.step("shutdown", "stopping the storefront, the web server and the worker")
        stopping = time.monotonic()
        processes.stop_all(children, timeout=STOP_GRACE_SECONDS)
        took = time.monotonic() - stopping
        self.step("shutdown", f"done in {took:.1f} s; the database stops with its last user")

    def children(self, host: str, port: int, concurrency: int) -> list[processes.Child]:
        logs = settings.DATA_DIR / "logs"
        worker = processes.Child(
            "worker",
            processes.celery_worker(
                "--beat",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ),
            logs / "worker.log",
            # Cold: what it was running goes back to the queue (late acks) for the next
            # start, instead of a warm shutdown waiting for it; to the main process
            # only, which stops its pool (core/processes.py).
            stop_signal=signal.SIGQUIT,
            signal_group=False,
        )
        web = processes.Child(
            "web",
            processes.python("manage.py", "runserver", f"{host}:{port}", "--noreload"),
            logs / "web.log",
            stop_signal=signal.SIGINT,  # runserver exits cleanly on KeyboardInterrupt
        )
        return [worker, web]

    def mailbox(self, port: int) -> processes.Child:
        """The demo's SMTP server: each photo request it receives kept as a .eml file."""
        folder = settings.DATA_DIR / "mailbox"
        argv = ["-m", "demo.mailbox", "--port", str(port), "--dir", str(folder)]
        return processes.Child(
            "mailbox", processes.python(*argv), settings.DATA_DIR / "logs" / "mailbox.log"
        )

    def sandbox(self, host: str, port: int, base: str) -> processes.Child:
        """The platform emulator: a post a minute in every feed, mentions sent as webhooks."""
        argv = ["manage.py", "platform_sandbox", "--host", host, "--port", str(port)]
        # An hour of history: the first collection brings ~60 posts a feed, not a day's
        # 1,440, which buried the seeded library's review queue.
        argv += ["--backlog-hours", "1"]
        argv += ["--webhook-url", f"{base}/api/v1/platforms/instagram/webhook"]
        return processes.Child(
            "sandbox", processes.python(*argv), settings.DATA_DIR / "logs" / "sandbox.log"
        )

    def connect_sources(self, base: str) -> None:
        """A demo Instagram account connected through the OAuth flow (the web server, the
        emulator's consent page, the callback), and the brand's hashtag and mentions."""
        from demo.seed.platforms import connect_demo_account

        try:
            sources = connect_demo_account(base, DEMO_USERNAME, DEMO_PASSWORD)
        except OSError as exc:
            raise CommandError(f"connecting the demo Instagram account failed: {exc}") from exc
        self.step("sources", f"collecting {', '.join(sources)} every minute")

    def storefront(self, host: str, port: int, api: str, key: str) -> processes.Child:
        argv = ["-m", "demo.storefront", "--api", api, "--key", key]
        return processes.Child(
            "storefront",
            processes.python(*argv, "--host", host, "--port", str(port)),
            settings.DATA_DIR / "logs" / "storefront.log",
        )

    def seed_storefront(self, shop_url: str, port: int):
        from demo.storefront import seed

        # Both spellings of the loopback origin, so either URL works in a browser.
        origins = [shop_url, f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
        demo_shop = seed.seed(sorted(set(origins)), shop_url)
        galleries = ", ".join(demo_shop.galleries)
        self.step("storefront", f"site {seed.DEMO_SITE!r} with galleries {galleries}")
        return demo_shop

    def seed_brand(self, base: str, shop_url: str, site_id: int, quick: bool) -> None:
        """The brand's catalog, library and shoppers; after the worker is up, because
        the library goes through the real pipeline on it and shoppers through HTTP."""
        from demo import seed as demo
        from ugc.models import Site

        scale = demo.QUICK if quick else demo.FULL
        site = Site.objects.get(pk=site_id)
        try:
            demo.run(demo.Demo(base, shop_url, site, scale, self.step))
        except OSError as exc:  # an HTTP error from our own server: its log says why
            raise CommandError(f"seeding the demo failed: {exc} (see the logs above)") from exc

    def create_coordinator(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=COORDINATOR))
        self.step("coordinator", f"{DEMO_USERNAME} ({'created' if created else 'exists'})")

    def print_urls(self, base: str, shop_url: str, key: str, seconds: float) -> None:
        from demo.seed.library import busiest_product

        login = f"(login {DEMO_USERNAME} / {DEMO_PASSWORD})"
        lines = [
            "",
            f"Ready in {seconds:.0f}s. Open:",
            f"  home            {base}/",
            f"  workspace       {base}/workspace/   {login}",
            f"  sources         {base}/workspace/sources   (new posts from the emulator)",
            f"  dashboard       {base}/workspace/dashboard/",
            f"  storefront      {shop_url}/   (galleries by the widget, from another origin)",
            f"  product page    {shop_url}/products/{busiest_product()}",
            f"  upload page     {base}/upload/{key}/   (shoppers share photos)",
            f"  outbox          {base}/workspace/outbox   (photo requests, also as .eml in "
            f"{settings.DATA_DIR / 'mailbox'})",
            f"  gallery API     {base}/api/v1/public/galleries/homepage?key={key}",
            f"  admin           {base}/admin/   {login}",
            f"  API docs        {base}/api/docs/",
            f"  OpenAPI schema  {base}/api/schema/",
            f"  readiness       {base}/readyz",
            f"  API             uv run manage.py drf_create_token {DEMO_USERNAME}, then",
            f"                  curl -H 'Authorization: Token <token>' {base}/api/v1/me",
            "",
            "Ctrl-C stops everything.",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    signals: processes.StopSignals | None = None

    def step(self, name: str, text: str) -> None:
        if self.signals is not None:
            self.signals.check()  # a Ctrl-C lost in a finalizer stops the demo here
        self.stdout.write(f"[demo] {name}: {text}")
        self.stdout.flush()

    def where(self) -> str:
        from core.database import describe

        db = settings.DATABASES["default"]
        kind = "external (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "embedded"
        return f"{describe(db)}, {kind}"
