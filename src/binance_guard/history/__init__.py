"""History: every object once, then who introduced each key and where it still is."""
