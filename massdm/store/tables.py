"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; nothing else does.

Written for SQLite and PostgreSQL alike: no SQLite-only types, ids are 64-bit,
datetimes are stored as UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from massdm.store.types import BigId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

teams = Table(
    "teams",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("slug", String(100), nullable=False, unique=True),
    Column("credit_balance", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # every credit ever charged (the console's "usage"): moved by the same UPDATE that takes them
    Column("credits_used", BigInteger, nullable=False, server_default="0"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(37), primary_key=True),  # acct_ + 32 hex
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("display_name", String(200), nullable=False),
    Column("username", String(200), nullable=False),
    Column("onlyfans_id", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),  # sha256 hex of the whole key
    Column("key_hint", String(20), nullable=False),  # first characters, to tell keys apart
    Column("all_accounts", Boolean, nullable=False),
    Column("limit_minute", BigInteger, nullable=False),
    Column("limit_day", BigInteger, nullable=True),  # NULL: the plan has no daily limit
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("scopes", String(50), nullable=False, server_default="api"),  # "api", "fan" or "api fan"
)

# The web console's sign-ins (massdm/console): a session is one API key signed in, kept here so that
# signing out (or revoking the key) ends it at once. Only hashes of the cookie and link tokens are kept.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("key_id", BigId, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

console_links = Table(
    "console_links",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("key_id", BigId, ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

api_key_accounts = Table(
    "api_key_accounts",
    metadata,
    Column("key_id", BigId, ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)

fans = Table(
    "fans",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("username", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("subscribed_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),  # NULL or future: active
    Column("auto_renew", Boolean, nullable=False),
    Column("following", Boolean, nullable=False),
    Column("muted", Boolean, nullable=False),
    Column("tagged", Boolean, nullable=False),
    Column("friend", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Targeting (domain/fan_targeting.py). Server defaults only: a row written without them (raw SQL, an
    # older revision's INSERT) is offline and has spent nothing.
    Column("online", Boolean, nullable=False, server_default=false()),  # as the platform states it
    Column("purchases_cents", BigInteger, nullable=False, server_default="0"),  # massdm's purchases, kept by each
    Column("tips_cents", BigInteger, nullable=False, server_default="0"),  # as the platform states it
    Column("subscriptions_cents", BigInteger, nullable=False, server_default="0"),  # as the platform states it
    Column("total_spent_cents", BigInteger, nullable=False, server_default="0"),  # always the sum of the three
    # expires_at - subscribed_at in whole seconds (NULL when open-ended): how long a subscription that has
    # ended lasted, for filter[duration] without date arithmetic in SQL. store.fans.upsert_fans keeps it.
    Column("term_seconds", BigInteger, nullable=True),
    # The latest of the fan's purchases (NULL: none), kept by store.fan_spend with them: a smart list's
    # purchase windows read it instead of probing the purchases (store.smart_lists).
    Column("last_purchase_at", UTCDateTime, nullable=True),
    # When the fan was last online, as the platform states it (a fan upsert's lastSeen) or a sandbox seed
    # draws it; NULL: not known. Shown as the user object's `lastSeen`; massdm's own fan-side calls leave it.
    Column("last_seen_at", UTCDateTime, nullable=True),
    # Who expires when: the exact edge of the expiry tallies, and whether time changed a listing.
    Index("ix_fans_account_expiry", "account_id", "expires_at", "auto_renew"),
)

# The listing order, newest subscription first, with what the status, system-list and targeting filters
# test: pages skip and seek in this index alone (store.fan_pages).
Index("ix_fans_account_order", fans.c.account_id, fans.c.subscribed_at.desc(), fans.c.id.desc(), fans.c.expires_at,
      fans.c.auto_renew, fans.c.following, fans.c.muted, fans.c.tagged, fans.c.friend, fans.c.online,
      fans.c.total_spent_cents, fans.c.tips_cents, fans.c.term_seconds)
# The narrow ranges: a page of rare big spenders or tippers is read from these, not skipped to (store.fan_pages).
Index("ix_fans_account_spend", fans.c.account_id, fans.c.total_spent_cents)
Index("ix_fans_account_tips", fans.c.account_id, fans.c.tips_cents)

# Bumped by every purchase, in the purchase's transaction (store.fan_spend): page marks of listings filtered
# by total spend hold only while it stays put. Apart from fan_tallies so purchases never wait for fan writes.
fan_spend_versions = Table(
    "fan_spend_versions",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# Counts kept per account, maintained by every fan write (store.fan_tallies). `version` is bumped by every
# change to the account's fans or custom-list membership; the row is also the lock that serialises them.
fan_tallies = Table(
    "fan_tallies",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("fans", BigInteger, nullable=False),
    Column("auto_renew", BigInteger, nullable=False),
    Column("following", BigInteger, nullable=False),
    Column("muted", BigInteger, nullable=False),
    Column("tagged", BigInteger, nullable=False),
    Column("friends", BigInteger, nullable=False),
)

# Fans by the UTC day their subscription ends (and auto-renew): expired(now) is the sum of the days before
# today plus an exact count of today's expiries up to now.
fan_expiry_tallies = Table(
    "fan_expiry_tallies",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("auto_renew", Boolean, primary_key=True),
    Column("fans", BigInteger, nullable=False),
)

user_lists = Table(
    "user_lists",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(64), nullable=False),
    Column("is_pinned_to_feed", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("member_count", BigInteger, nullable=False, server_default="0"),  # kept by member add/remove/clear
    # A smart list's filter (domain.smart_lists.to_document); NULL for a list of chosen members.
    Column("filter", JSON(none_as_null=True), nullable=True),
)

user_list_members = Table(
    "user_list_members",
    metadata,
    Column("list_id", BigId, ForeignKey("user_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("fan_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_id", String(37), nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    # The fan's subscribed_at, copied so a list pages in the listing order from this table alone;
    # store.fans.upsert_fans keeps it equal to the fan's.
    Column("subscribed_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(
        ["account_id", "fan_id"], ["fans.account_id", "fans.id"], ondelete="CASCADE",
        name="fk_user_list_members_fan",
    ),
    Index("ix_user_list_members_fan", "account_id", "fan_id"),
)

Index("ix_user_list_members_order", user_list_members.c.list_id, user_list_members.c.subscribed_at.desc(),
      user_list_members.c.fan_id.desc())

media = Table(
    "media",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),  # the vault id
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("upload_id", String(44), nullable=False, unique=True),  # ofapi_media_ + 32 hex
    Column("type", String(10), nullable=False),  # photo | gif | video | audio
    Column("mime", String(100), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("is_ready", Boolean, nullable=False),
    Column("has_error", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("upload_claimed_at", UTCDateTime, nullable=True),  # when the upload id was attached to a message
    Column("upload_claimed_by", BigInteger, nullable=True),  # the mass message it was attached to
    # Deleted from the vault: gone from vault reads and lists, never attached again; the messages that
    # hold it keep it (fans who received it still see it), so the row and its files stay.
    Column("deleted_at", UTCDateTime, nullable=True),
    Index("ix_media_account_type", "account_id", "type", "id"),
)

media_files = Table(
    "media_files",
    metadata,
    Column("media_id", BigId, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    Column("variant", String(20), primary_key=True),  # full | thumb | preview | squarePreview
    Column("storage_key", String(300), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
)

# The creator's own folders of vault media (the provider's custom vault lists).
vault_lists = Table(
    "vault_lists",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Which vault media a list holds. Deleting media from the vault deletes its rows here.
vault_list_media = Table(
    "vault_list_media",
    metadata,
    Column("list_id", BigId, ForeignKey("vault_lists.id", ondelete="CASCADE"), primary_key=True),
    Column("media_id", BigId, ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
    Column("added_at", UTCDateTime, nullable=False),
    Index("ix_vault_list_media_media", "media_id"),
)

mass_messages = Table(
    "mass_messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),  # queue id and message id alike
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("text", Text, nullable=False),
    Column("raw_text", Text, nullable=False),
    Column("locked_text", Boolean, nullable=False),
    Column("price_cents", BigInteger, nullable=False),  # 0: free
    Column("giphy_id", String(200), nullable=True),
    Column("release_forms", JSON, nullable=False),  # {"rfTag": [...], "rfPartner": [...], "rfGuest": [...]}
    # The audience spec; userIds live in mass_message_user_ids so they can be joined, set-based.
    Column("user_lists", JSON, nullable=False),
    Column("excluded_lists", JSON, nullable=False),
    Column("subscribed_since", UTCDateTime, nullable=True),  # from subscribedWithinLastDays
    Column("created_at", UTCDateTime, nullable=False),
    Column("saved_for_later", Boolean, nullable=False),
    Column("scheduled_at", UTCDateTime, nullable=True),
    Column("due_at", UTCDateTime, nullable=True),  # when the worker may start it; NULL while saved for later
    Column("sent_at", UTCDateTime, nullable=True),  # delivery started: the message's date, unique per account
    Column("finished_at", UTCDateTime, nullable=True),
    Column("canceled_at", UTCDateTime, nullable=True),
    Column("total", BigInteger, nullable=False),  # -1 until the audience is counted
    Column("skipped_count", BigInteger, nullable=False),  # in the audience but unable to receive
    Column("sent_count", BigInteger, nullable=False),
    Column("viewed_count", BigInteger, nullable=False),
    Column("purchased_count", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
    Column("claimed_by", String(100), nullable=True),  # the worker counting the audience and planning chunks
    Column("lease_until", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("progress_event_at", UTCDateTime, nullable=True),  # the last chat_queue.updated for delivery progress
    # Fans that could not receive it (sandbox mode's magic fans: delivery_failures), counted in total like
    # skipped ones; always 0 outside sandbox mode.
    Column("failed_count", BigInteger, nullable=False, server_default="0"),
    Index("ix_mass_messages_due", "due_at"),
    Index("ix_mass_messages_account_sent", "account_id", "sent_at", "id"),
    Index("ix_mass_messages_account_created", "account_id", "created_at"),
)

mass_message_user_ids = Table(
    "mass_message_user_ids",
    metadata,
    Column("message_id", BigId, ForeignKey("mass_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("fan_id", BigInteger, primary_key=True, autoincrement=False),
)

mass_message_media = Table(
    "mass_message_media",
    metadata,
    Column("message_id", BigId, ForeignKey("mass_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("media_id", BigId, ForeignKey("media.id", ondelete="RESTRICT"), nullable=False),
    Column("is_preview", Boolean, nullable=False),
)

# A counted message's eligible fans split into fan-id ranges, (after_fan_id, through_fan_id],
# each delivered in one transaction by whichever worker claims it. The last range is open.
delivery_chunks = Table(
    "delivery_chunks",
    metadata,
    Column("message_id", BigId, ForeignKey("mass_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("after_fan_id", BigInteger, nullable=False),
    Column("through_fan_id", BigInteger, nullable=True),  # NULL: no upper bound (the last chunk)
    Column("claimed_by", String(100), nullable=True),  # once done: the worker that delivered it
    Column("lease_until", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),  # claims so far; more than one means a lease was recovered
    Column("delivered", BigInteger, nullable=True),  # rows written; NULL until done
    Column("done_at", UTCDateTime, nullable=True),
    Index("ix_delivery_chunks_open", "message_id", "seq",
          sqlite_where=text("done_at IS NULL"), postgresql_where=text("done_at IS NULL")),
)

deliveries = Table(
    "deliveries",
    metadata,
    # No foreign key to mass_messages: checking it costs a lookup per delivered row (a third of
    # PostgreSQL's fan-out time). Only the worker writes here, for a message it holds a chunk of.
    Column("message_id", BigId, primary_key=True, autoincrement=False),
    Column("fan_id", BigInteger, primary_key=True, autoincrement=False),  # one row per fan: exactly once
    Column("account_id", String(37), nullable=False),
    Column("delivered_at", UTCDateTime, nullable=False),
    Column("viewed_at", UTCDateTime, nullable=True),
    Column("purchased_at", UTCDateTime, nullable=True),
    Index("ix_deliveries_fan", "fan_id", "delivered_at"),
)

purchases = Table(
    "purchases",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("message_id", BigId, ForeignKey("mass_messages.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", String(37), nullable=False),
    Column("fan_id", BigInteger, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("purchased_at", UTCDateTime, nullable=False),
    UniqueConstraint("message_id", "fan_id", name="uq_purchases_message_fan"),
    Index("ix_purchases_account_time", "account_id", "purchased_at"),
    # A fan's purchases in a window: what a smart list's purchase conditions probe, fan by fan.
    Index("ix_purchases_account_fan_time", "account_id", "fan_id", "purchased_at"),
)

saved_for_later_settings = Table(
    "saved_for_later_settings",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("is_enabled", Boolean, nullable=False),
    Column("period_hours", Integer, nullable=True),
    Column("next_send_at", UTCDateTime, nullable=True),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope_hash", String(64), primary_key=True),  # sha256 of caller + endpoint + key
    Column("request_hash", String(64), nullable=False),
    Column("state", String(10), nullable=False),  # in_flight | done
    Column("status_code", Integer, nullable=True),
    Column("content_type", String(100), nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("claim_token", String(32), nullable=True),  # in flight: the request holding the key
    Column("lease_until", UTCDateTime, nullable=True),  # in flight: until when its holder is presumed alive
    # The caller's team, so a whole-team sandbox reset forgets the team's stored responses (store.team_state).
    # NULL only for keys stored before revision 0018, which expire within their 24 hours.
    Column("team_id", BigId, nullable=True, index=True),
)

# This database's own random identity: event keys (evt_…) and delivery ids derive from it and row ids,
# so they are stable, and unlike those of any other massdm database.
instance = Table(
    "instance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("secret", String(64), nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(35), primary_key=True),  # wh_ + 32 hex
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("endpoint_url", String(2000), nullable=False),
    Column("account_scope", String(10), nullable=False),  # global | inclusive | exclusive
    Column("signing_secret", String(500), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("mass_message_sent", Boolean, nullable=False),  # messages.sent for each fan of a mass message (opt-in)
    Column("consecutive_failures", Integer, nullable=False),  # failed deliveries since the last success
    Column("paused_at", UTCDateTime, nullable=True),  # disabled by massdm after repeated failures
    Column("pause_reason", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("webhook_id", String(35), ForeignKey("webhooks.id", ondelete="CASCADE"), primary_key=True),
    Column("event", String(100), primary_key=True),
)

webhook_accounts = Table(  # the accounts an inclusive scope takes in, or an exclusive one leaves out
    "webhook_accounts",
    metadata,
    Column("webhook_id", String(35), ForeignKey("webhooks.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
)

# The outbox: each row is written in the transaction that made the event happen.
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("account_id", String(37), nullable=True),  # NULL for test-event
    Column("event", String(100), nullable=False),
    Column("message_id", BigInteger, nullable=True),
    Column("fan_id", BigInteger, nullable=True),
    Column("payload", JSON, nullable=True),  # NULL until first sent for a fan's messages.sent (built then, kept)
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_webhook_events_message_fan", "message_id", "fan_id"),
    Index("ix_webhook_events_created", "created_at"),
)

# One event to one webhook: up to three attempts, by whichever worker claims it.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", String(35), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("event_id", BigId, ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("redelivery_of", BigInteger, nullable=True),  # the logged attempt a user asked to send again
    Column("state", String(10), nullable=False),  # pending | succeeded | failed
    Column("attempts", Integer, nullable=False),  # attempts logged so far
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("claimed_by", String(100), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Index("ix_webhook_deliveries_due", "next_attempt_at",
          sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
)

# The deliveries log: one row per attempt, kept 7 days.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("webhook_id", String(35), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error_type", String(50), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("url", String(2000), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # What the console's log shows of the exchange; NULL where nothing was sent (and for rows from before 0020).
    Column("duration_ms", Integer, nullable=True),  # from sending to the answer (or the failure)
    Column("request_headers", JSON, nullable=True),  # the headers massdm chose, as sent
    Column("response_headers", JSON, nullable=True),  # the endpoint's, as received (a bounded number)
    Index("ix_webhook_attempts_log", "webhook_id", "created_at", "id"),
)

# The sandbox's clock (massdm.clock.DrivenClock; store.sandbox_clock): one row (id 1), absent until the
# clock is first moved. Every process of the store reads it, so they all tell the same time.
sandbox_clock = Table(
    "sandbox_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("frozen_at", UTCDateTime, nullable=True),  # stopped there; NULL: running
    Column("offset_us", BigInteger, nullable=False),  # while running: microseconds ahead of the wall clock
    Column("advancing", String(64), nullable=True),  # the token of the advance under way
    Column("advancing_until", UTCDateTime, nullable=True),  # wall time that advance's lease runs out
)

# The sandbox's faults on purpose (store.sandbox_faults, docs/sandbox.md): each belongs to
# a team and fails (or delays) that team's matching API calls, or deliveries to one of its webhooks.
sandbox_faults = Table(
    "sandbox_faults",
    metadata,
    Column("id", String(36), primary_key=True),  # flt_ + 32 hex
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("method", String(10), nullable=True),  # an API call's method; NULL: any
    Column("path", String(2000), nullable=True),  # an API path template ({x}: one segment); NULL for a webhook's
    Column("webhook_id", String(35), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("mode", String(10), nullable=True),  # a webhook's: timeout | status
    Column("status", Integer, nullable=True),  # the answer; NULL: latency only
    Column("times", Integer, nullable=True),  # hits asked for; NULL: no count (probability, or every call)
    Column("remaining", Integer, nullable=True),  # of `times`, taken one at a time by a guarded UPDATE
    Column("probability_ppb", BigInteger, nullable=True),  # probability in parts per billion
    Column("seed", BigInteger, nullable=True),
    Column("latency_ms", Integer, nullable=False),
    Column("retry_after_ms", Integer, nullable=True),
    Column("calls", BigInteger, nullable=False),  # matching calls seen (the n of the n-th draw)
    Column("hits", BigInteger, nullable=False),  # calls it faulted
    Column("created_at", UTCDateTime, nullable=False),
)

# Sandbox mode's magic fans (domain/magic_fans.py; store.delivery_failures): one row per (message, fan) whose
# delivery failed on purpose, written by the chunk that met the fan, in its transaction, so exactly once.
delivery_failures = Table(
    "delivery_failures",
    metadata,
    Column("message_id", BigId, ForeignKey("mass_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("fan_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_id", String(37), nullable=False),
    Column("reason", String(20), nullable=False),  # a MagicKind.reason: blocked, deleted, restricted
    Column("failed_at", UTCDateTime, nullable=False),
)

# Saved states of a team's sandbox (store.snapshots): one row per snapshot, named per team, with the
# clock as it was and the schema revision it was taken at (restored only at the same revision).
sandbox_snapshots = Table(
    "sandbox_snapshots",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("team_id", BigId, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revision", String(32), nullable=False),  # alembic_version when taken
    Column("clock_frozen_at", UTCDateTime, nullable=True),  # the clock's setting when taken (store.sandbox_clock)
    Column("clock_offset_us", BigInteger, nullable=False),
    Column("sizes", JSON, nullable=False),  # {table name: rows}
    UniqueConstraint("team_id", "name", name="uq_sandbox_snapshots_team_name"),
)

# Every row a snapshot holds, of any team table, as one JSON object of its columns (to_json on PostgreSQL,
# json rather than jsonb so JSON columns come back as written; json_object on SQLite): one table for all,
# so a new team table needs no shadow table of its own.
sandbox_snapshot_rows = Table(
    "sandbox_snapshot_rows",
    metadata,
    Column("snapshot_id", BigId, ForeignKey("sandbox_snapshots.id", ondelete="CASCADE"), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("row", JSON, nullable=False),
    Index("ix_sandbox_snapshot_rows_snapshot", "snapshot_id", "table_name"),
)

# Simulated fans per account (sandbox mode; store.sandbox_engagement, domain.engagement_model): the settings,
# and how far materialising has gone under them (both reset when the settings change).
sandbox_engagement = Table(
    "sandbox_engagement",
    metadata,
    Column("account_id", String(37), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("view_rate", Float, nullable=False),
    Column("purchase_rate", Float, nullable=False),
    Column("view_delay_min_hours", Float, nullable=False),
    Column("view_delay_max_hours", Float, nullable=False),
    Column("purchase_delay_min_hours", Float, nullable=False),
    Column("purchase_delay_max_hours", Float, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("through", UTCDateTime, nullable=True),  # every event up to it is recorded
    Column("settled_before", UTCDateTime, nullable=True),  # messages finished before it have nothing left to do
)

__all__ = [
    "metadata",
    "teams",
    "accounts",
    "api_keys",
    "api_key_accounts",
    "fans",
    "fan_tallies",
    "fan_expiry_tallies",
    "fan_spend_versions",
    "user_lists",
    "user_list_members",
    "media",
    "media_files",
    "vault_lists",
    "vault_list_media",
    "mass_messages",
    "mass_message_user_ids",
    "mass_message_media",
    "delivery_chunks",
    "deliveries",
    "purchases",
    "saved_for_later_settings",
    "idempotency_keys",
    "instance",
    "webhooks",
    "webhook_subscriptions",
    "webhook_accounts",
    "webhook_events",
    "webhook_deliveries",
    "webhook_attempts",
    "sandbox_clock",
    "sandbox_faults",
    "delivery_failures",
    "sandbox_snapshots",
    "sandbox_snapshot_rows",
    "sandbox_engagement",
]
