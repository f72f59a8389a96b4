"""Fixtures of the integrator's own, on top of massdm's `massdm` (a sandbox reset for each test)."""

from __future__ import annotations

import pytest
from integrator import CampaignScheduler

from massdm.testing import sample_png


@pytest.fixture
def scheduler(massdm):
    return CampaignScheduler(massdm.client, massdm.account)


@pytest.fixture
def media(massdm) -> str:
    """An uploaded image, for paid messages (they need media)."""
    return massdm.client.media.upload(massdm.account, file=("offer.png", sample_png(), "image/png")).prefixed_id
