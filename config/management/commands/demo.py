"""`uv run manage.py demo`: the product on the embedded defaults, one command.

Starts (or joins) the embedded PostgreSQL, migrates, creates the demo
coordinator and the demo storefront's site, galleries and photos, starts a real
Celery worker (with beat), the web server and the storefront (on its own port,
so the widget's calls are cross-origin as on a real shop), waits until /readyz
answers 200, prints the URLs, and runs until Ctrl-C or SIGTERM, then stops the
storefront, the web server and the worker and lets the database stop with the
last process that uses it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from config import processes
from config.roles import COORDINATOR

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
            "--quick",
            action="store_true",
            help="a small demo (40 photos, 7 days of shoppers) that still runs every step",
        )

    def handle(self, *args, port, host, concurrency, storefront_port, quick, **options):
        started = time.monotonic()
        self.step("database", f"PostgreSQL at {self.where()}")
        call_command("migrate", interactive=False, verbosity=0)
        self.create_coordinator()
        base, shop_url = f"http://{host}:{port}", f"http://{host}:{storefront_port}"
        demo_shop = self.seed_storefront(shop_url, storefront_port)

        children = self.children(host, port, concurrency)
        children.append(self.storefront(host, storefront_port, base, demo_shop.key))
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            for child in children:
                self.step(child.name, f"starting (log: {child.log_path})")
                child.start(env, settings.BASE_DIR)
            worker, web, shop = children
            processes.wait_for_log(worker, "ready.", timeout=120)
            processes.wait_for_http(f"{base}/readyz", web, timeout=120)
            processes.wait_for_http(f"{shop_url}/healthz", shop, timeout=60)
            self.seed_brand(base, shop_url, demo_shop.site_id, quick)
            self.print_urls(base, shop_url, demo_shop.key, time.monotonic() - started)
            while not stop.is_set():
                for child in children:
                    if not child.running():
                        raise CommandError(f"{child.name} stopped:\n{child.log_tail()}")
                stop.wait(1)
        except (RuntimeError, TimeoutError) as exc:
            raise CommandError(str(exc)) from exc
        finally:
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
            # start, instead of a warm shutdown waiting for it (config/processes.py).
            stop_signal=signal.SIGQUIT,
        )
        web = processes.Child(
            "web",
            processes.python("manage.py", "runserver", f"{host}:{port}", "--noreload"),
            logs / "web.log",
            stop_signal=signal.SIGINT,  # runserver exits cleanly on KeyboardInterrupt
        )
        return [worker, web]

    def storefront(self, host: str, port: int, api: str, key: str) -> processes.Child:
        argv = ["-m", "config.storefront", "--api", api, "--key", key]
        return processes.Child(
            "storefront",
            processes.python(*argv, "--host", host, "--port", str(port)),
            settings.DATA_DIR / "logs" / "storefront.log",
        )

    def seed_storefront(self, shop_url: str, port: int):
        from config.storefront import seed

        # Both spellings of the loopback origin, so either URL works in a browser.
        origins = [shop_url, f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
        demo_shop = seed.seed(sorted(set(origins)), shop_url)
        galleries = ", ".join(demo_shop.galleries)
        self.step("storefront", f"site {seed.DEMO_SITE!r} with galleries {galleries}")
        return demo_shop

    def seed_brand(self, base: str, shop_url: str, site_id: int, quick: bool) -> None:
        """The brand's catalog, library and shoppers; after the worker is up, because
        the library goes through the real pipeline on it and shoppers through HTTP."""
        from config import demo
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
        from config.demo.library import busiest_product

        login = f"(login {DEMO_USERNAME} / {DEMO_PASSWORD})"
        lines = [
            "",
            f"Ready in {seconds:.0f}s. Open:",
            f"  home            {base}/",
            f"  workspace       {base}/workspace/   {login}",
            f"  dashboard       {base}/workspace/dashboard/",
            f"  storefront      {shop_url}/   (galleries by the widget, from another origin)",
            f"  product page    {shop_url}/products/{busiest_product()}",
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

    def step(self, name: str, text: str) -> None:
        self.stdout.write(f"[demo] {name}: {text}")
        self.stdout.flush()

    def where(self) -> str:
        from config.database import describe

        db = settings.DATABASES["default"]
        kind = "external (DATABASE_URL)" if os.environ.get("DATABASE_URL") else "embedded"
        return f"{describe(db)}, {kind}"
