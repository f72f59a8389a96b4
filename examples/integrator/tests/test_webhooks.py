"""Recipe: webhook handler idempotency against redelivered events."""

import pytest
from integrator import EventHandler, InvalidSignature


def test_a_redelivered_event_is_processed_once(massdm):
    handler = EventHandler(massdm.webhook.secret)
    massdm.fault(webhook=massdm.webhook.id, mode="timeout", times=1)  # sent, but its answer is "lost"
    massdm.trigger("messages.ppv.unlocked", overrides={"amountCents": 2500, "amount": 25.0})
    massdm.advance(seconds=15)  # the retry falls due: the same event again, with the same key

    deliveries = massdm.webhook_inbox(2, event="messages.ppv.unlocked")
    assert [d.attempt for d in deliveries] == ["1", "2"]
    assert len({d.idempotency_key for d in deliveries}) == 1
    assert [handler.handle(d.raw, d.headers) for d in deliveries] == [True, False]
    assert handler.revenue_cents == 2500


def test_an_event_whose_body_was_changed_is_refused(massdm):
    handler = EventHandler(massdm.webhook.secret)
    massdm.trigger("chat_queue.updated")
    [delivery] = massdm.webhook_inbox(1, event="chat_queue.updated")
    assert handler.handle(delivery.raw, delivery.headers) is True
    with pytest.raises(InvalidSignature):
        handler.handle(delivery.raw.replace(b"}", b' }', 1), delivery.headers)


def test_every_purchase_reaches_the_handler_once(massdm, scheduler, media):
    massdm.seed(200, seed=11)
    massdm.engagement(seed=11, view_rate=0.7, purchase_rate=0.4)
    massdm.freeze()
    campaign = scheduler.launch("For the handler", lists=["fans"], price=4.99, media=[media])
    massdm.advance(days=2)
    buyers = scheduler.report(campaign).buyers

    handler = EventHandler(massdm.webhook.secret)
    for delivery in massdm.webhook_inbox(buyers, event="messages.ppv.unlocked"):
        handler.handle(delivery.raw, delivery.headers)
    assert buyers > 0 and handler.revenue_cents == buyers * 499
