"""Redis: the state API processes share that is not a record (rate-limit windows).

Optional: without `MASSDM_REDIS_URL` massdm keeps that state in the process.
"""

from __future__ import annotations

import redis


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)


def ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
