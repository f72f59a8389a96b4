"""WriteTurns: one writer at a time, first come first served, for threads and asyncio tasks alike."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from massdm.store.db import WriteTurns


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
    with pytest.raises(TimeoutError):
        turns.acquire(0.1)
    assert time.monotonic() - started < 2
    turns.release()
    turns.acquire(0.1)  # the timed-out waiter left the line: the turn is free again


def test_tasks_wait_without_threads_and_a_cancelled_waiter_loses_nothing():
    async def scenario() -> list[str]:
        turns = WriteTurns()
        seen: list[str] = []
        await turns.acquire_async()

        async def task(name: str) -> None:
            await turns.acquire_async()
            seen.append(name)
            turns.release()

        first = asyncio.create_task(task("first"))
        doomed = asyncio.create_task(task("doomed"))
        last = asyncio.create_task(task("last"))
        await asyncio.sleep(0.01)
        doomed.cancel()
        threading.Thread(target=turns.release).start()  # released from another thread
        await asyncio.wait_for(asyncio.gather(first, last), 5)
        with pytest.raises(asyncio.CancelledError):
            await doomed
        await asyncio.wait_for(turns.acquire_async(), 1)  # and the turn is free at the end
        return seen

    assert asyncio.run(scenario()) == ["first", "last"]
