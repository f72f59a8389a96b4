"""Recipe: schedule and advance."""

from datetime import datetime, timedelta


def test_a_scheduled_campaign_goes_out_when_the_clock_reaches_it(massdm, scheduler):
    massdm.seed(100, seed=1)
    now = datetime.fromisoformat(massdm.freeze()["now"])
    campaign = scheduler.launch("Tomorrow only", lists=["fans"], at=now + timedelta(days=1))

    massdm.advance(hours=23)
    assert not scheduler.is_delivered(campaign)
    assert massdm.recipients(campaign.id)["counts"]["delivered"] == 0

    ran = massdm.advance(hours=2)["ran"]
    assert scheduler.is_delivered(campaign)
    delivered = massdm.recipients(campaign.id)["counts"]["delivered"]
    assert ran["delivered"] == delivered == scheduler.report(campaign).sent > 0


def test_a_campaign_sent_now_is_delivered_while_the_clock_runs(massdm, scheduler):
    massdm.seed(50, seed=2)
    campaign = scheduler.launch("Right now", lists=["fans"])
    scheduler.wait_until_delivered(campaign, timeout=30)  # the server's own worker delivers it
    counts = massdm.recipients(campaign.id)["counts"]
    assert scheduler.report(campaign).sent == counts["delivered"] > 0 and counts["pending"] == 0


def test_a_campaign_can_no_longer_be_unsent_a_day_later(massdm, scheduler):
    # the plugin's server runs with unsend_window_seconds=86400 (pyproject.toml, massdm_settings)
    massdm.seed(10, seed=3)
    massdm.freeze()
    campaign = scheduler.launch("Oops", lists=["fans"])
    massdm.advance(minutes=1)
    queue = massdm.client.mass_messaging.retrieve(str(campaign.id), account=massdm.account).data.queue
    assert queue.can_unsend is True
    massdm.advance(days=1)
    queue = massdm.client.mass_messaging.retrieve(str(campaign.id), account=massdm.account).data.queue
    assert (queue.can_unsend, queue.unsend_seconds) == (False, 0)

