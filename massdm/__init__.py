"""massdm: one message to a creator's whole fan base, delivered exactly once and counted."""

__version__ = "0.1.0"
