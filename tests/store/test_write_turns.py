"""WriteTurns: one writer at a time, first come first served; a waiter gives up as unavailable."""

from __future__ import annotations

import threading
import time

import pytest

from massdm.store.db import WriteTurns, WriteTurnTimeout, is_unavailable


def test_threads_take_turns_in_arrival_order_and_never_overlap():
    turns = WriteTurns()
    turns.acquire(5)  # held while the others line up
    order, inside, overlaps = [], [0], []

    def writer(n: int) -> None:
        turns.acquire(5)
        inside[0] += 1
        overlaps.append(inside[0] > 1)
        order.append(n)
        time.sleep(0.002)
        inside[0] -= 1
        turns.release()

    threads = []
    for n in range(8):
        thread = threading.Thread(target=writer, args=(n,))
        thread.start()
        threads.append(thread)
        time.sleep(0.01)  # arrive one after another
    turns.release()
    for thread in threads:
        thread.join(5)
    assert order == list(range(8)) and not any(overlaps)


def test_a_thread_waits_no_longer_than_its_timeout():
    turns = WriteTurns()
    turns.acquire(5)
    started = time.monotonic()
    with pytest.raises(WriteTurnTimeout) as waited:
        turns.acquire(0.1)
    assert time.monotonic() - started < 2
    assert is_unavailable(waited.value)  # answered 503, not 500
    turns.release()
    turns.acquire(0.1)  # the timed-out waiter left the line: the turn is free again
