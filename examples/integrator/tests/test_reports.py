"""Recipe: a paged engagement report (and the SDK's async client)."""

import asyncio

from integrator import engagement_report


def test_the_engagement_report_pages_through_every_campaign(massdm, scheduler):
    massdm.seed(5, seed=6)
    massdm.freeze()
    sent = [scheduler.launch(f"Campaign {n}", lists=["fans"]).id for n in range(23)]
    massdm.advance(minutes=10)

    rows = engagement_report(massdm.client, massdm.account, page_size=10)
    assert [r.id for r in rows] == sorted(sent, reverse=True)  # each once, newest first
    assert {r.sent for r in rows} == {massdm.recipients(sent[0])["counts"]["delivered"]}


def test_the_async_client_sees_the_same_campaigns(massdm, scheduler):
    massdm.seed(5, seed=12)
    campaign = scheduler.launch("Async", lists=["fans"])

    async def listed() -> list[int]:
        async with massdm.async_client as client:
            return [m.id for m in (await client.mass_messaging.list(massdm.account)).data]

    assert asyncio.run(listed()) == [campaign.id]
