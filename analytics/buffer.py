"""The Redis buffer of ordinary events and the processing list a flush works from.

A flush moves a batch from the buffer to the processing list in one atomic step, stores it, and
only then removes exactly those items from the processing list. A worker killed in between leaves
the batch in the processing list, where the next flush finds it first; the idempotent insert makes
storing it again harmless.

The buffer's Redis is `ANALYTICS_BUFFER_REDIS_URL` (by default the cache's, `REDIS_URL`). It must keep an
append-only file (`appendonly yes`, `appendfsync everysec`) and never evict (`noeviction`): then a Redis
restart loses at most the last second of events. A cache-only Redis may be volatile; this one may not.
"""

from __future__ import annotations

import os
import threading

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

_CLAIM = """
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  for i = 1, #items, 500 do
    redis.call('RPUSH', KEYS[2], unpack(items, i, math.min(i + 499, #items)))
  end
end
return items
"""
_ACK = """
for i = 1, #ARGV do
  redis.call('LREM', KEYS[1], 1, ARGV[i])
end
return #ARGV
"""
_LOCK_TAKE = """
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_LOCK_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_scripts: dict[str, object] = {}
# The client (thread-safe; its pool reconnects after a fork) and the full key names, looked up once
# per process: `buffer_append` runs once per event and its only necessary cost is the RPUSH itself.
_client: list = []
_keys: dict[str, str] = {}
# Seconds to wait for the buffer's Redis before an event goes straight to PostgreSQL instead.
_TIMEOUT_SECONDS = 2


def _redis():
    if not _client:
        _client.append(
            redis.Redis.from_url(
                settings.ANALYTICS_BUFFER_REDIS_URL,
                socket_timeout=_TIMEOUT_SECONDS,
                socket_connect_timeout=_TIMEOUT_SECONDS,
            )
        )
    return _client[0]


def _forget_client(*, setting: str, **kwargs) -> None:
    # Settings that name the buffer's Redis or its key prefix changed (tests do): connect and name anew.
    if setting in ("ANALYTICS_BUFFER_REDIS_URL", "CACHES"):
        _client.clear()
        _scripts.clear()
        _keys.clear()
        _generation[0] += 1


setting_changed.connect(_forget_client, dispatch_uid="analytics.buffer.forget_client")


def _script(name: str, source: str):
    # Registered once per process; redis-py re-loads it by SHA when the server was restarted.
    if name not in _scripts:
        _scripts[name] = _redis().register_script(source)
    return _scripts[name]


def key(name: str) -> str:
    # Under the cache prefix, so each checkout's tests (and the test cleaner) see their own key space.
    full = _keys.get(name)
    if full is None:
        full = _keys[name] = cache.make_key(f"analytics:events:{name}")
    return full


# `buffer_append` runs once per event, and taking a connection from the pool and giving it back cost
# a third of its time: each thread keeps one connection of its own (made from the pool's settings)
# for it. A new one after a fork, and a fresh one retried once after a dropped connection (a push
# that landed twice is harmless: the flush stores an event id once).
_local = threading.local()
_generation = [0]  # bumped when the client is replaced: every thread's own connection is then remade


def _own_connection():
    connection = getattr(_local, "connection", None)
    if connection is None or _local.pid != os.getpid() or _local.generation != _generation[0]:
        if connection is not None:
            connection.disconnect()
        pool = _redis().connection_pool
        connection = _local.connection = pool.connection_class(**pool.connection_kwargs)
        _local.pid = os.getpid()
        _local.generation = _generation[0]
    return connection


def buffer_append(document: str) -> None:
    connection = _own_connection()
    command = connection.pack_command("RPUSH", key("buffer"), document)
    try:
        connection.send_packed_command(command, check_health=False)
        connection.read_response()
    except (RedisConnectionError, RedisTimeoutError, OSError):
        connection.disconnect()
        connection.send_packed_command(command)
        connection.read_response()


def buffer_length() -> int:
    return _redis().llen(key("buffer"))


def processing_length() -> int:
    return _redis().llen(key("processing"))


def batch_claim(*, size: int) -> list[bytes]:
    return _script("claim", _CLAIM)(keys=[key("buffer"), key("processing")], args=[size])


def leftovers_read(*, size: int) -> list[bytes]:
    return _redis().lrange(key("processing"), 0, size - 1)


def batch_ack(items: list[bytes]) -> None:
    if items:
        _script("ack", _ACK)(keys=[key("processing")], args=items)


def rejected_append(document: bytes | str) -> None:
    # Kept for a person to look at; never retried automatically.
    _redis().rpush(key("rejected"), document)


def rejected_length() -> int:
    return _redis().llen(key("rejected"))


def flush_lock_take(*, owner: str, ttl_seconds: int) -> bool:
    return bool(_script("lock_take", _LOCK_TAKE)(keys=[key("flush_lock")], args=[owner, ttl_seconds * 1000]))


def flush_lock_release(*, owner: str) -> None:
    _script("lock_release", _LOCK_RELEASE)(keys=[key("flush_lock")], args=[owner])
