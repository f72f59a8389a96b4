"""How the campaign pages show a mass message: its delivery progress in words and numbers (derived
from the queue state the API gives, never counted again), and its activity over time as a chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from massdm.console import charts
from massdm.domain.timeline import describe_size
from massdm.services.campaigns import Activity
from massdm.store.message_views import MessageView


@dataclass(frozen=True)
class Progress:
    """A message's delivery as a progress bar: `value` of `max`, a status word, a label with the
    numbers, and whether the page should keep asking (htmx polls the fragment until it is done)."""

    state: str  # saved, scheduled, waiting, delivering, delivered, failed, canceled, unsent
    status: str  # the state in words
    label: str
    value: int
    max: int
    every: int  # seconds between the page's asks for it again; 0: it does not ask (it is done or parked)

    @property
    def polling(self) -> bool:
        return self.every > 0

    @property
    def percent(self) -> int:
        return round(100 * self.value / self.max) if self.max else 0


ASK_EVERY = 1  # seconds: a campaign that is delivering, or about to
ASK_EVERY_SCHEDULED = 30  # seconds: one scheduled further off than SOON, on a clock that does not jump (in
# sandbox mode a scheduled campaign keeps asking every second: advancing the clock sends it at once)
SOON = timedelta(minutes=1)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def progress(view: MessageView, now: datetime, *, clock_jumps: bool = False) -> Progress:
    """What the bar shows: before the audience is counted an empty bar and why it waits; once
    delivery started, the fans done with (sent, skipped or unreachable) of the queue item's `total`.
    `clock_jumps`: the app's clock is the sandbox's, which a control call may move days ahead."""
    m, state = view.message, view.state
    assert state is not None
    every = 0 if state.is_done or m.saved_for_later else ASK_EVERY
    if not m.started:
        if state.is_canceled:
            return Progress("canceled", "Canceled", "Canceled before it was sent", 0, 1, 0)
        if m.saved_for_later:
            return Progress("saved", "Saved for later", "Not sent until it is published", 0, 1, 0)
        if m.scheduled_at is not None and m.scheduled_at > now:
            when = m.scheduled_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
            if m.scheduled_at - now > SOON and not clock_jumps:  # far off: asked now and then, not every second
                every = ASK_EVERY_SCHEDULED
            return Progress("scheduled", "Scheduled", f"Goes out {when}", 0, 1, every)
        why = "Waiting for its media to be processed" if not state.is_ready else "Waiting to start"
        return Progress("waiting", "Waiting", why, 0, 1, every)
    total = max(state.total, 0)
    missed = m.skipped_count + m.failed_count
    done = min(total, m.sent_count + missed)  # = total - pending while it runs; what it reached, once unsent
    numbers = f"{m.sent_count:,} / {total:,} sent"
    if missed:
        numbers += f" · {_count(missed, 'fan')} not reached"
    bar_max, bar_value = (total, done) if total else (1, 1 if state.is_done else 0)
    if state.is_canceled:
        return Progress("unsent", "Unsent", numbers, bar_value, bar_max, 0)
    if m.error is not None and state.is_done:
        return Progress("failed", "Failed", numbers, bar_value, bar_max, 0)
    if state.is_done:
        return Progress("delivered", "Delivered", numbers, bar_max, bar_max, 0)
    return Progress("delivering", "Delivering", numbers, bar_value, bar_max, every)


def unsend_left(seconds: int) -> str:
    """The unsend window's remaining time in words: "1 h 5 min", "40 s"."""
    left = timedelta(seconds=seconds)
    days, hours, minutes = left.days, left.seconds // 3600, left.seconds % 3600 // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or f"{left.seconds} s"


_STYLE = charts.style("#1f77b4", "#ff7f0e", "#2ca02c", value_font_size=11)


def bucket_words(activity: Activity) -> str:
    """The chart's bucket size in words: "5 minutes", "1 hour"."""
    return describe_size(activity.size)


def bucket_label(start: datetime, size: timedelta) -> str:
    """A bucket's start as its axis label: the time of day below a day, the date from a day up."""
    moment = start.astimezone(UTC)
    return moment.strftime("%m-%d") if size >= timedelta(days=1) else moment.strftime("%m-%d %H:%M")


def activity_chart(activity: Activity) -> str:
    """Deliveries, views and purchases per bucket as an SVG bar chart (no script: pygal's JS left out)."""
    chart = charts.bar(style=_STYLE, height=320, width=900, legend_at_bottom=True, legend_at_bottom_columns=3,
                       x_label_rotation=30 if len(activity.buckets) > 8 else 0,
                       show_minor_x_labels=len(activity.buckets) <= 16, print_values=False,
                       x_title=f"per {describe_size(activity.size)}, UTC", y_title="fans")
    labels = [bucket_label(b.start, activity.size) for b in activity.buckets]
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 8)]
    chart.add("Delivered", [b.delivered for b in activity.buckets])
    chart.add("Viewed", [b.viewed for b in activity.buckets])
    chart.add("Purchased", [b.purchased for b in activity.buckets])
    return charts.svg(chart, "Deliveries, views and purchases over time")
