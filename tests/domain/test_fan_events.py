"""A batch of fan events means what its events mean one by one: planned per pair, settled per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from massdm.domain.fan_events import Event, Kind, Receipt, Status, Want, applied_events, outcomes, plan

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
VIEW, BUY = Kind.VIEW, Kind.PURCHASE


def test_a_pair_wants_its_first_view_and_its_first_purchase():
    earlier = NOW - timedelta(hours=1)
    events = [Event(1, 10, VIEW, earlier), Event(1, 10, VIEW), Event(2, 10, BUY), Event(2, 10, VIEW),
              Event(3, 10, BUY, NOW + timedelta(days=1)), Event(1, 11, VIEW)]
    batch = plan(events, NOW)
    assert batch.wants == {
        Want(earlier, None, False): [(10, 1)],
        Want(NOW, NOW, True): [(10, 2)],
        Want(None, NOW, True): [(10, 3)],  # an `at` ahead of our clock is now
        Want(NOW, None, False): [(11, 1)],
    }
    assert batch.first_view == {(10, 1): 0, (10, 2): 3, (11, 1): 5}
    assert batch.first_purchase == {(10, 2): 2, (10, 3): 4}
    assert batch.size == 6


def test_views_only_all_now_is_one_want_in_pair_order():
    batch = plan([Event(f, 7, VIEW) for f in (5, 3, 9, 3)], NOW)
    assert batch.wants == {Want(NOW, None, False): [(7, 3), (7, 5), (7, 9)]}


def test_a_purchase_before_any_view_is_the_view():
    batch = plan([Event(1, 10, BUY), Event(1, 10, VIEW), Event(1, 10, BUY)], NOW)
    assert applied_events(batch, viewed={(10, 1)}, purchased={(10, 1)}) == {0}
    batch = plan([Event(1, 10, VIEW), Event(1, 10, BUY)], NOW)
    assert applied_events(batch, viewed={(10, 1)}, purchased={(10, 1)}) == {0, 1}


def test_events_that_did_not_count_say_why():
    events = [Event(1, 10, VIEW), Event(1, 10, BUY), Event(2, 10, VIEW), Event(2, 11, BUY)]
    settled = outcomes(events, {0}, {(10, 1): Receipt(received=True, priced=False),
                                     (10, 2): Receipt(received=False, priced=False),
                                     (11, 2): Receipt(received=True, priced=True)})
    assert settled.statuses == [Status.APPLIED, Status.REJECTED, Status.REJECTED, Status.DUPLICATE]
    assert {i: (r.error, r.message) for i, r in settled.rejections.items()} == {
        1: ("VALIDATION_ERROR", "This message is free; there is nothing to buy."),
        2: ("NOT_FOUND", "Message 10 is not in fan 2's inbox."),
    }
    assert (settled.count(Status.APPLIED), settled.count(Status.DUPLICATE), settled.count(Status.REJECTED)) == (1, 1, 2)


# --- the batch against the single calls, on a model of the deliveries -------------------------

PAIRS = [(m, f) for m in (1, 2) for f in (1, 2, 3)]
states = st.fixed_dictionaries({pair: st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
                                for pair in PAIRS})  # (received, priced, viewed, bought)
batches = st.lists(st.tuples(st.sampled_from(PAIRS), st.sampled_from([VIEW, BUY])), max_size=25)


def _one_by_one(events, state):
    state = dict(state)
    statuses = []
    for event in events:
        pair = (event.message_id, event.fan_id)
        received, priced, viewed, bought = state[pair]
        if not received or (event.kind is BUY and not priced):
            statuses.append(Status.REJECTED)
        elif event.kind is VIEW:
            statuses.append(Status.DUPLICATE if viewed else Status.APPLIED)
            state[pair] = (received, priced, True, bought)
        else:
            statuses.append(Status.DUPLICATE if bought else Status.APPLIED)
            state[pair] = (received, priced, True, True)
    return statuses, state


def _as_the_store_does(batch, state):
    viewed, purchased = set(), set()
    for want, pairs in batch.wants.items():
        for pair in pairs:
            received, priced, was_viewed, was_bought = state[pair]
            buys = want.purchase_at is not None and not was_bought and priced and received
            view_at = want.purchase_at if buys and want.purchase_first else want.view_at
            if received and not was_viewed and view_at is not None:
                viewed.add(pair)
            if buys:
                purchased.add(pair)
    return viewed, purchased


@given(states, batches)
def test_a_batch_settles_as_its_events_one_by_one(state, picks):
    state = {pair: (received, priced, viewed or bought, bought)  # a purchase always counted as a view
             for pair, (received, priced, viewed, bought) in state.items()}
    events = [Event(fan_id, message_id, kind) for (message_id, fan_id), kind in picks]
    expected, after = _one_by_one(events, state)
    batch = plan(events, NOW)
    viewed, purchased = _as_the_store_does(batch, state)
    receipts = {pair: Receipt(received=s[0], priced=s[1]) for pair, s in state.items()}
    assert outcomes(events, applied_events(batch, viewed=viewed, purchased=purchased), receipts).statuses == expected
    assert {p for p in PAIRS if after[p][2] and not state[p][2]} == viewed
    assert {p for p in PAIRS if after[p][3] and not state[p][3]} == purchased
