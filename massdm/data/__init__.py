"""Data massdm ships with (replaceable through settings)."""
