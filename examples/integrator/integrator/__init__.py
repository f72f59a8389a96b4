"""An integrator's code on the provider's mass-messaging API, through the official SDK (`onlyfansapi`)."""

from integrator.campaigns import Campaign, CampaignFailed, CampaignReport, CampaignScheduler
from integrator.reports import EngagementRow, engagement_report
from integrator.webhooks import EventHandler, InvalidSignature

__all__ = ["Campaign", "CampaignFailed", "CampaignReport", "CampaignScheduler", "EngagementRow", "EventHandler",
           "InvalidSignature", "engagement_report"]
