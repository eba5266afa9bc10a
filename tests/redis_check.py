"""Tests that need the local Redis skip cleanly when it is not running."""

from __future__ import annotations

import redis


def redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False
