"""docker/compose.yaml, docker/Dockerfile and .dockerignore are wired right.

Pure file checks: nothing here needs Docker, a database or a broker. The
compose file is read with PyYAML (merge keys resolved), checked against the
Compose specification's JSON schema (vendored by check-jsonschema), and
against this project: the environment variables are ones config/settings
reads, every queue in config/queues.py has exactly one worker service (run as
two nodes), and the app's nodes share nothing but PostgreSQL, Redis and the
object store.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from config.queues import QUEUES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker" / "compose.yaml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
DOCKERIGNORE = ROOT / ".dockerignore"
NGINX_CONF = ROOT / "docker" / "nginx.conf"
# Where the settings read the environment (database.py parses DATABASE_URL for them,
# storage.py the MEDIA_STORAGE and S3_* variables from the mapping it is given).
SETTINGS_SOURCES = [
    *sorted((ROOT / "config" / "settings").glob("*.py")),
    ROOT / "core" / "database.py",
    ROOT / "core" / "storage.py",
]

WORKERS = {"worker-media", "worker-ml", "worker-default", "worker-collection"}
WEB_NODES = {"web-1", "web-2"}
APP_SERVICES = {"migrate", "collector", "beat", *WEB_NODES, *WORKERS}
# The services that serve requests or run tasks: more than one of each kind.
NODES = {"collector", *WEB_NODES, *WORKERS}
SERVICES = {"db", "redis", "s3", "s3-buckets", "proxy", *APP_SERVICES}
MEDIA_BUCKET, ORIGINALS_BUCKET = "ugc-media", "ugc-originals"
# Production settings refuse to start without these.
REQUIRED_ENV = {
    "SECRET_KEY",
    "CUSTOMER_HASH_KEY",
    "ENCRYPTION_KEYS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
}
# Read by Django itself (and the celery/wsgi modules) or by the image's entry point
# (the port its healthcheck asks), not by config/settings.
PROCESS_ENV = {"DJANGO_SETTINGS_MODULE", "HEALTHCHECK_PORT"}
HEALTH_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}

ENV_READ = re.compile(
    r"""(?:os\.environ\.get\(|os\.getenv\(|os\.environ\[|\benv\.get\(|\benv\[|env_(?:bool|list|int)\()"""
    r"""\s*["']([A-Z][A-Z0-9_]*)["']"""
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command(service: dict) -> list[str]:
    cmd = service.get("command", [])
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(argv: list[str], *names: str) -> str | None:
    """The value of a command-line option given as `-Q x`, `--queues x` or `--queues=x`."""
    for i, arg in enumerate(argv):
        if arg in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def worker_queues(service: dict) -> list[str]:
    value = option(command(service), "-Q", "--queues")
    assert value, f"worker command names no queues (-Q): {command(service)}"
    return [queue.strip() for queue in value.split(",") if queue.strip()]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # ["NAME=value", ...]
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: "" if value is None else str(value) for name, value in env.items()}


def volume_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each mount, short or long syntax."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            mounts.append((volume.get("source", ""), volume["target"]))
        else:
            source, _, rest = volume.partition(":")
            mounts.append((source, rest.split(":")[0]))
    return mounts


def is_named(source: str) -> bool:
    return bool(source) and not source.startswith((".", "/", "~", "$"))


def settings_env_names() -> set[str]:
    return {name for path in SETTINGS_SOURCES for name in ENV_READ.findall(path.read_text())}


# -- compose: services, images, commands --------------------------------------------


def test_services_exist(services):
    assert set(services) == SERVICES


def test_db_is_postgres_with_pgvector_08_or_later(services):
    image = services["db"]["image"]
    # pgvector/pgvector:pg16 and :pg17 ship pgvector 0.8.x (iterative index scans);
    # an explicit version tag such as 0.8.0-pg17 must be 0.8 or later.
    assert image.startswith("pgvector/pgvector:"), image
    tag = image.split(":", 1)[1]
    match = re.fullmatch(r"(?:(\d+)\.(\d+)\.\d+-)?pg(\d+)(?:-\S+)?", tag)
    assert match, f"unexpected pgvector image tag {tag!r}"
    major, minor, postgres = match.groups()
    if major is not None:
        assert (int(major), int(minor)) >= (0, 8), image
    assert int(postgres) >= 16, image
    env = environment(services["db"])
    assert env["POSTGRES_DB"] == "ugc"
    assert env["POSTGRES_USER"] == "ugc"


def test_redis_keeps_an_append_only_log(services):
    redis = services["redis"]
    assert re.fullmatch(r"redis:(\d+)(\.\S*)?", redis["image"])
    assert int(redis["image"].split(":")[1].split(".")[0]) >= 7
    argv = command(redis)
    assert argv[0] == "redis-server"
    assert option(argv, "--appendonly") == "yes"


def test_app_services_share_one_image_built_from_the_dockerfile(services):
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1, images
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = (COMPOSE.parent / build["context"]).resolve()
        assert context == ROOT, name
        assert (context / build["dockerfile"]).resolve() == DOCKERFILE, name


def test_migrate_is_one_shot(services):
    migrate = services["migrate"]
    assert command(migrate) == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"


def test_two_web_nodes_run_the_same_gunicorn(services):
    argvs = [command(services[name]) for name in sorted(WEB_NODES)]
    assert argvs[0] == argvs[1], "the nodes are interchangeable behind the proxy"
    argv = argvs[0]
    assert argv[:2] == ["gunicorn", "config.wsgi:application"]
    assert option(argv, "--bind", "-b") == "0.0.0.0:8000"
    assert option(argv, "--workers", "-w")
    assert option(argv, "--access-logfile") == "-"
    assert environment(services["web-1"]) == environment(services["web-2"])


def test_the_collector_serves_collect_beside_web(services):
    collector = services["collector"]
    argv = command(collector)
    assert argv[:3] == ["python", "manage.py", "collector"]
    assert option(argv, "--host") == "0.0.0.0"  # noqa: S104 - inside its container
    assert option(argv, "--port") == "8001"
    assert environment(collector)["HEALTHCHECK_PORT"] == "8001"
    assert "/healthz" in healthcheck_test(collector)
    assert environment(collector)["NUM_PROXIES"], "the proxy appends to X-Forwarded-For"


def test_the_proxy_is_the_one_door_and_sends_collect_to_the_collector(services):
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert any(str(port).endswith(":8000") for port in proxy["ports"])
    assert not any(services[name].get("ports") for name in APP_SERVICES), "behind the proxy"
    assert ("./nginx.conf", "/etc/nginx/conf.d/default.conf") in volume_mounts(proxy)
    conf = NGINX_CONF.read_text()
    upstreams = {
        name: re.findall(r"server ([\w.:-]+);", body)
        for name, body in re.findall(r"upstream (\w+) \{([^}]*)\}", conf)
    }
    assert upstreams == {
        "web": ["web-1:8000", "web-2:8000"],
        "collector": ["collector:8001"],
        "media": ["s3:8333"],
    }
    locations = dict(re.findall(r"location ([^{]+?) \{[^{}]*?proxy_pass http://([\w/-]+);", conf))
    assert locations == {"= /api/v1/collect": "collector", "/": "web"}
    assert not re.search(r"\bip_hash\b|\bsticky\b|\bhash\s", conf), "no node is special"
    assert re.search(r"listen 8000;", conf)
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto"):
        assert f"proxy_set_header {header} " in conf, header


def test_workers_and_beat_run_celery(services):
    for name in WORKERS:
        argv = command(services[name])
        assert argv[:4] == ["celery", "-A", "config", "worker"], name
        assert option(argv, "--loglevel", "-l"), name
    argv = command(services["beat"])
    assert argv[:4] == ["celery", "-A", "config", "beat"]
    schedule = option(argv, "--schedule", "-s")
    assert schedule, "beat must keep its schedule file on a volume"
    mounts = [target for source, target in volume_mounts(services["beat"]) if is_named(source)]
    on_volume = any(schedule.startswith(target.rstrip("/") + "/") for target in mounts)
    assert on_volume, (schedule, mounts)


def test_each_queue_is_consumed_by_exactly_one_worker_service_of_two_nodes(services):
    # One service per queue group keeps each group's concurrency and prefetch; its
    # replicas are the nodes, and every node of a group consumes the same queues.
    consumers = Counter(queue for name in WORKERS for queue in worker_queues(services[name]))
    assert set(consumers) == set(QUEUES), (sorted(consumers), sorted(QUEUES))
    assert all(count == 1 for count in consumers.values()), consumers
    assert set(worker_queues(services["worker-media"])) == {"media"}
    assert set(worker_queues(services["worker-ml"])) == {"embeddings", "scoring"}
    assert set(worker_queues(services["worker-default"])) == {"default", "analytics"}
    assert set(worker_queues(services["worker-collection"])) == {"collection"}
    for name in WORKERS:
        assert services[name]["deploy"]["replicas"] == 2, name


def test_worker_concurrency_and_prefetch(services):
    media = command(services["worker-media"])
    assert option(media, "--concurrency", "-c") == "2"
    assert option(media, "--prefetch-multiplier") == "1"
    assert option(command(services["worker-ml"]), "--prefetch-multiplier") == "1"
    assert option(command(services["worker-default"]), "--prefetch-multiplier") == "4"


# -- compose: environment -------------------------------------------------------------


def test_app_services_get_the_required_environment(services):
    for name in APP_SERVICES:
        env = environment(services[name])
        assert set(env) >= REQUIRED_ENV, (name, REQUIRED_ENV - set(env))
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        # The secret has no default: compose refuses to start without it.
        for secret_name in ("SECRET_KEY", "CUSTOMER_HASH_KEY", "ENCRYPTION_KEYS"):
            secret = env[secret_name]
            assert re.fullmatch(rf"\$\{{{secret_name}:\?[^}}]*\}}", secret), (name, secret)
        assert re.match(r"postgres(ql)?://[^@/]+@db:5432/\w+$", env["DATABASE_URL"]), name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["ALLOWED_HOSTS"], name


def test_environment_names_are_read_by_settings(services):
    read = settings_env_names()
    # The names production settings require must still be the names they read.
    assert read >= REQUIRED_ENV, f"config/settings no longer reads {REQUIRED_ENV - read}"
    for name in APP_SERVICES:
        unknown = set(environment(services[name])) - read - PROCESS_ENV
        assert not unknown, f"{name} sets {sorted(unknown)}, which config/settings never reads"


def test_nodes_keep_media_on_the_object_store_and_share_no_volume(services):
    for name in NODES:
        env = environment(services[name])
        assert env["MEDIA_STORAGE"] == "s3", name
        assert env["S3_ENDPOINT_URL"] == "http://s3:8333", name
        assert (env["S3_BUCKET_MEDIA"], env["S3_BUCKET_ORIGINALS"]) == (
            MEDIA_BUCKET,
            ORIGINALS_BUCKET,
        ), name
        assert env["S3_ACCESS_KEY_ID"] and env["S3_SECRET_ACCESS_KEY"], name
        assert re.fullmatch(r"\$\{S3_SECRET_ACCESS_KEY:\?[^}]*\}", env["S3_SECRET_ACCESS_KEY"])
        assert "MEDIA_ROOT" not in env and "PRIVATE_MEDIA_ROOT" not in env, name
        assert not services[name].get("volumes"), f"{name}: a node's disk is its own"
        assert env["MEDIA_CDN_URL"].rstrip("/}").endswith("/media"), name


def test_nodes_share_the_cache_on_redis_and_keep_sessions_in_the_database(services):
    from django.conf import settings

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    for name in NODES:
        assert environment(services[name])["CACHE_URL"].startswith("redis://redis:6379/"), name
        broker = environment(services[name])["CELERY_BROKER_URL"]
        assert broker != environment(services[name])["CACHE_URL"], "one Redis database each"


def test_the_object_store_and_its_buckets(services, compose):
    s3 = services["s3"]
    assert s3["image"].startswith("chrislusf/seaweedfs:")
    argv = command(s3)
    assert argv[0] == "server" and "-s3" in argv and "-s3.port=8333" in argv
    assert "-s3.autoCreateBucket=false" in argv, "the buckets are made on purpose"
    assert any(target == "/data" for _, target in volume_mounts(s3))
    assert "/healthz" in healthcheck_test(s3)
    (identities,) = s3["configs"]
    config = compose["configs"][identities["source"]]["content"]
    assert identities["target"] in argv[argv.index("-s3.config=" + identities["target"])]
    # Anonymous reads of the public media bucket, and of nothing else.
    anonymous = re.search(r'"name": "anonymous", "actions": \[([^]]*)\]', config)
    assert anonymous and anonymous.group(1) == f'"Read:{MEDIA_BUCKET}"', config
    assert "${S3_SECRET_ACCESS_KEY:?" in config, "the key pair is the app's"

    init = services["s3-buckets"]
    assert init["restart"] == "no"
    assert init["depends_on"]["s3"]["condition"] == "service_healthy"
    script = " ".join(command(init))
    for bucket in (MEDIA_BUCKET, ORIGINALS_BUCKET):
        assert bucket in script, bucket
    assert "create-bucket" in script and "exit 1" in script, "a failure stops the stack"
    assert environment(init)["AWS_ENDPOINT_URL"] == "http://s3:8333"

    conf = NGINX_CONF.read_text()
    media = re.search(r"location /media/ \{(.*?)\n    \}", conf, re.S)
    assert media and f"proxy_pass http://media/{MEDIA_BUCKET}/;" in media.group(1)
    assert re.search(r"limit_except GET HEAD \{\s*deny all;", media.group(1)), "read-only"


# -- compose: health checks, dependencies, volumes ------------------------------------


def healthcheck_test(service: dict) -> str:
    check = service.get("healthcheck") or {}
    assert not check.get("disable"), "health check disabled"
    test = check.get("test")
    assert test, "no health check"
    return test if isinstance(test, str) else " ".join(test)


def test_health_checks(services):
    assert "pg_isready" in healthcheck_test(services["db"])
    assert "redis-cli ping" in healthcheck_test(services["redis"])
    for name in WEB_NODES:
        assert "/readyz" in healthcheck_test(services[name]), name
    for name in WORKERS:
        assert re.search(r"celery -A config inspect ping", healthcheck_test(services[name])), name


def test_depends_on_conditions(services):
    for name, service in services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            assert isinstance(spec, dict), (name, dependency)
            assert spec.get("condition") in HEALTH_CONDITIONS, (name, dependency)
            if spec["condition"] == "service_healthy":
                healthcheck_test(services[dependency])
            if spec["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency

    def condition(service: str, dependency: str) -> str | None:
        return services[service].get("depends_on", {}).get(dependency, {}).get("condition")

    assert condition("migrate", "db") == "service_healthy"
    for name in {"beat", *NODES}:
        assert condition(name, "migrate") == "service_completed_successfully", name
        assert condition(name, "redis") == "service_healthy", name
    for name in NODES:
        assert condition(name, "s3-buckets") == "service_completed_successfully", name
    for name in WEB_NODES:
        assert condition("proxy", name) == "service_healthy", name


def test_named_volumes_are_declared_and_used(services, compose):
    declared = set(compose.get("volumes") or {})
    used = {
        source
        for service in services.values()
        for source, _ in volume_mounts(service)
        if is_named(source)
    }
    assert used <= declared, f"undeclared volumes: {used - declared}"
    assert declared <= used, f"declared but unused volumes: {declared - used}"
    assert any(target == "/var/lib/postgresql/data" for _, target in volume_mounts(services["db"]))
    assert any(target == "/data" for _, target in volume_mounts(services["redis"]))


def test_compose_file_follows_the_compose_specification(compose):
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(
        validator_class(schema).iter_errors(compose), key=lambda e: list(e.absolute_path)
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# -- Dockerfile, entry point, .dockerignore -------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        keyword, _, args = full.partition(" ")
        instructions.append((keyword.upper(), args.strip()))
    return instructions


def test_dockerfile_is_multi_stage_with_uv():
    instructions = dockerfile_instructions()
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(stages) >= 3, stages
    args = dict(a.split("=", 1) for k, a in instructions if k == "ARG" and "=" in a)
    assert args.get("PYTHON_IMAGE") == "python:3.12-slim-bookworm"
    assert args.get("UV_IMAGE", "").startswith("ghcr.io/astral-sh/uv:")
    runs = " ".join(a for k, a in instructions if k == "RUN")
    assert "uv sync --frozen --no-dev" in runs
    assert "collectstatic --noinput" in runs
    assert any(k == "COPY" and a.startswith("--from=uv ") for k, a in instructions)


def test_dockerfile_runtime_stage():
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    runtime = instructions[last_from:]
    users = [args for keyword, args in runtime if keyword == "USER"]
    assert users, "the runtime stage must switch to an unprivileged user"
    assert users[-1].split(":")[0] not in {"root", "0"}, users[-1]
    env = " ".join(args for keyword, args in runtime if keyword == "ENV")
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env
    (cmd,) = [json.loads(args) for keyword, args in runtime if keyword == "CMD"]
    assert cmd[:2] == ["gunicorn", "config.wsgi:application"], cmd
    (healthcheck,) = [args for keyword, args in runtime if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck and " CMD " in f" {healthcheck} "
    (entrypoint,) = [json.loads(args) for keyword, args in runtime if keyword == "ENTRYPOINT"]
    assert entrypoint == ["/app/docker/entrypoint.sh"]


def test_entrypoint_script():
    text = ENTRYPOINT.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert 'exec "$@"' in text
    assert "healthcheck)" in text and "migrate)" in text


def test_dockerignore_keeps_local_state_out_of_the_image():
    patterns = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()}
    for required in {".data", ".venv", ".git", "node_modules"}:
        assert required in patterns or f"**/{required}" in patterns, required
    assert "**/__pycache__" in patterns or "__pycache__" in patterns
    for needed in {"docker", "config", "manage.py", "pyproject.toml", "uv.lock"}:
        assert needed not in patterns, f"{needed} is needed by the build"
