"""live.contrib."""
