"""Webhooks: the event outbox, written with the change that caused each event, and its signed delivery."""
