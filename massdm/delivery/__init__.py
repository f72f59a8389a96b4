"""The delivery engine: claims due mass messages and delivers each to its audience exactly once."""
