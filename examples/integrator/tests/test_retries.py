"""Recipe: retries under 429 (and a lasting outage), through the SDK's own retries."""

import pytest
from integrator import CampaignFailed

SEND = "/api/{account}/mass-messaging"


def test_two_429s_are_retried_and_exactly_one_campaign_exists(massdm, scheduler):
    massdm.seed(10, seed=4)
    fault = massdm.fault(SEND, method="POST", status=429, times=2, retry_after=0.1)

    campaign = scheduler.launch("Third time lucky", lists=["fans"])

    assert [m.id for m in massdm.client.mass_messaging.list(massdm.account).data] == [campaign.id]
    [seen] = massdm.faults()
    assert (seen["id"], seen["hits"], seen["remaining"]) == (fault["id"], 2, 0)


def test_a_lasting_outage_fails_the_campaign_and_sends_nothing(massdm, scheduler):
    massdm.seed(10, seed=5)
    massdm.fault(SEND, method="POST", status=503, probability=1, retry_after=0.05)

    with pytest.raises(CampaignFailed, match="503"):
        scheduler.launch("Never", lists=["fans"])

    assert massdm.faults()[0]["hits"] == 3  # the first try and the SDK's two retries
    massdm.clear_faults()
    assert list(massdm.client.mass_messaging.list(massdm.account).data) == []
