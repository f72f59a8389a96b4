"""Recipe: a PPV campaign's revenue, with simulated fans."""

import pytest

PRICE = 9.99


@pytest.fixture
def audience(massdm):
    massdm.seed(300, seed=7)
    massdm.engagement(seed=7, view_rate=0.6, purchase_rate=0.3)
    massdm.freeze()


def test_a_ppv_campaigns_revenue_is_its_buyers_times_its_price(massdm, scheduler, media, audience):
    campaign = scheduler.launch("New set", lists=["fans"], price=PRICE, media=[media])
    ran = massdm.advance(days=3)["ran"]

    report = scheduler.report(campaign)
    counts = massdm.recipients(campaign.id)["counts"]
    assert report.buyers == counts["purchased"] == ran["purchases"] > 0
    assert report.revenue == round(counts["purchased"] * PRICE, 2)
    assert report.sent == counts["delivered"] + counts["viewed"] + counts["purchased"]


def test_the_same_seed_gives_the_same_revenue_again(massdm, scheduler, media, audience):
    campaign = scheduler.launch("Again", lists=["fans"], price=PRICE, media=[media])
    massdm.advance(minutes=1)  # delivered, and no fan has looked yet (views come 3 minutes on at the earliest)
    massdm.snapshot("before-the-fans")  # at rest: nothing is being delivered while it is taken
    massdm.advance(days=2)
    first = scheduler.report(campaign)

    massdm.restore("before-the-fans")  # the clock too: frozen where it was
    massdm.advance(days=2)
    assert scheduler.report(campaign) == first


def test_magic_fans_fail_and_the_campaign_still_finishes(massdm, scheduler):
    seeded = massdm.seed(20, seed=8, magic_fans=True)
    massdm.freeze()
    campaign = scheduler.launch("Hello all", lists=["fans"])
    massdm.advance(minutes=5)

    failed = massdm.recipients(campaign.id, status="failed")
    assert failed["counts"]["failed"] == len(seeded["magicFans"]) == 9
    assert {r["reason"] for r in failed["recipients"]} == {"blocked", "deleted", "restricted"}
    assert scheduler.is_delivered(campaign)
    [event] = massdm.webhook_inbox(1, event="messages.delivery_failed")
    assert event.payload["messageId"] == campaign.id and event.payload["failedCount"] == 9
