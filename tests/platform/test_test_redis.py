"""The tests' own Redis: a fresh machine with redis-server on PATH runs the Redis
tests on a private server rather than skipping them."""

import shutil

import pytest
import redis

from tests.support.redis import redis_url, start_redis_server


def test_a_private_redis_server_answers_and_stops(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not on PATH (Debian: apt-get install redis-server)")
    url, server = start_redis_server(tmp_path)
    client = redis.Redis.from_url(url, socket_timeout=1)
    assert client.set("test-redis:probe", "1") and client.get("test-redis:probe") == b"1"
    server.stop(timeout=10)
    assert not server.running()
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(url, socket_timeout=1).ping()


def test_the_run_finds_a_redis_when_redis_server_is_installed():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not on PATH (Debian: apt-get install redis-server)")
    assert redis.Redis.from_url(redis_url(), socket_timeout=1).ping()
