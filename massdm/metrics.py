"""Prometheus metrics: what massdm counts, and how one scrape sees every process.

Counters and histograms live in the process that does the work (API requests in the API
processes, deliveries and lease recoveries in whichever process runs a worker). When
`PROMETHEUS_MULTIPROC_DIR` is set (`massdm serve --workers N` sets it for its processes,
and `massdm worker` processes on the same machine may share it), `/metrics` adds up every
process's files. Queue depth is read from the database at scrape time, so it is the same
whichever process answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter("massdm_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "massdm_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELIVERIES = Counter("massdm_deliveries", "Deliveries written (one per fan per message)")
CHUNKS = Counter("massdm_delivery_chunks", "Delivery chunks completed")
LEASE_RECOVERIES = Counter(
    "massdm_lease_recoveries", "Claims (chunks or messages being planned) freed after their worker's lease ran out"
)

WEBHOOK_ATTEMPTS = Counter("massdm_webhook_attempts", "Webhook delivery attempts, by outcome", ["outcome"])
WEBHOOKS_PAUSED = Counter("massdm_webhooks_paused", "Webhooks paused after failing deliveries in a row")


class QueueDepth(Collector):
    """Due messages not yet finished and chunks not yet delivered, read when scraped."""

    def __init__(self, read: Callable[[], tuple[int, int]]) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        messages, chunks = self._read()
        yield GaugeMetricFamily("massdm_queue_messages", "Due mass messages not yet finished or canceled", messages)
        yield GaugeMetricFamily("massdm_queue_chunks", "Delivery chunks of open messages not yet delivered", chunks)


def exposition(queue_depth: Callable[[], tuple[int, int]]) -> bytes:
    """The text a scrape gets: this process (or every process sharing the multiprocess dir) plus queue depth."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)
        counted = generate_latest(processes)
    else:
        counted = generate_latest(REGISTRY)
    depth = CollectorRegistry()
    depth.register(QueueDepth(queue_depth))
    return counted + generate_latest(depth)
