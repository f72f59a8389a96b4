"""Every setting massdm reads, from `MASSDM_*` environment variables, in one place.

Build a `Settings` once and pass it down (`create_app(settings)`, the worker, the CLI);
tests construct `Settings(...)` directly instead of patching the environment.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MASSDM_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./massdm.db",
        description="SQLAlchemy URL of the store: SQLite (the embedded default) or `postgresql://…`.",
    )
    database_pool_size: int = Field(
        default=12, ge=2, le=500,
        description="PostgreSQL: requests doing database work at once per API process, each with a connection of "
        "its own (a third of them, at least 2, for writes); the pool adds one per in-process worker thread.",
    )
    request_reads: int | None = Field(
        default=None, ge=1, le=500, description="Reads (GET) doing database work at once per API process "
        "(default: 16 on SQLite; on PostgreSQL the pool size less the writes).",
    )
    request_writes: int | None = Field(
        default=None, ge=1, le=500, description="Writes doing database work at once per API process "
        "(default: 4 on SQLite, which writes one at a time anyway; on PostgreSQL a third of the pool size).",
    )
    overload_wait_seconds: float = Field(
        default=5.0, gt=0, le=120, description="How long a request waits for a free place before it is answered 503 "
        "with Retry-After.",
    )
    max_body_bytes: int = Field(
        default=8_000_000, ge=1024, description="Largest request body of a JSON route (413 above). Sends with files "
        "and uploads take up to media_max_bytes.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for state shared between API processes (rate-limit windows). "
        "Unset: kept in the process, exact for one process.",
    )
    redis_prefix: str = Field(default="massdm", description="Prefix of every Redis key massdm writes.")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="Absolute base URL clients reach the server at (pagination links, file URLs). "
        "Defaults to the URL of the incoming request.",
    )
    console_url: str | None = Field(
        default=None,
        description="Where the 401 message sends people for a key. Defaults to public_url.",
    )

    default_credits: int = Field(default=1_000_000, ge=0, description="Credit balance of a new team.")
    rate_limit_minute: int = Field(default=1000, ge=1, description="Per-minute limit of a new key.")
    rate_limit_day: int | None = Field(
        default=50_000, ge=1, description="Per-day limit of a new key; unset for no daily limit."
    )

    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)

    media_dir: Path = Field(default=Path("./media"), description="Where uploaded media and its variants are kept.")
    media_max_bytes: int = Field(default=1_000_000_000, ge=1, description="Largest accepted upload (1 GB).")
    media_allow_private_urls: bool = Field(
        default=False, description="Let `file_url` fetch from private, loopback and link-local addresses."
    )
    media_fetch_timeout: float = Field(default=60.0, gt=0, description="Seconds a `file_url` download may take.")
    ffprobe: str = Field(default="ffprobe", description="ffprobe binary for video/audio facts; optional.")
    ffmpeg: str = Field(default="ffmpeg", description="ffmpeg binary for video poster frames; optional.")

    unsend_window_seconds: int = Field(default=1_000_000, ge=0, description="How long a sent message can be unsent.")
    banned_words_file: Path | None = Field(default=None, description="JSON of banned words by tier (see docs).")
    bench_routes: bool = Field(
        default=False, description="Serve GET /bench/constant, the baseline route `make bench` compares with."
    )
    worker_enabled: bool = Field(default=True, description="Run the delivery worker inside `massdm serve`.")
    sandbox: bool = Field(
        default=False, description="Sandbox mode (docs/sandbox.md): the control API under /sandbox/v1 and a clock "
        "that lives in the database, which every process of the store reads. Set it for every process "
        "(`massdm serve --sandbox` does, for its own).",
    )
    worker_threads: int | None = Field(
        default=None, ge=1, le=64,
        description="Delivery threads inside `massdm serve` (default 1 on SQLite, 2 on PostgreSQL).",
    )
    delivery_chunk_size: int = Field(
        default=10_000, ge=1, le=100_000, description="Fans per delivery chunk (one transaction)."
    )
    worker_lease_seconds: float = Field(default=30.0, gt=0, description="How long a worker's claim lasts unrenewed.")
    worker_poll_seconds: float = Field(default=1.0, gt=0, description="How often an idle worker looks for work.")

    webhooks_allow_private: bool = Field(
        default=False, description="Let webhook endpoints be private, loopback or link-local addresses "
        "(the local sandbox and the tests set it).",
    )
    webhook_senders: int = Field(
        default=4, ge=1, le=64, description="Webhook deliveries in flight at once, per worker."
    )
    webhook_total_timeout: float = Field(default=10.0, gt=0, le=60, description="Seconds an attempt may take in all.")
    webhook_retry_seconds: float = Field(default=10.0, ge=0, description="Wait before the second attempt "
                                         "(the third waits four times as long).")
    webhook_pause_after: int = Field(default=5, ge=0, description="Deliveries failed in a row before a webhook "
                                     "is paused; 0 never pauses.")
    webhook_progress_seconds: float = Field(default=5.0, ge=0, description="At most one chat_queue.updated for "
                                            "delivery progress per message this often.")
