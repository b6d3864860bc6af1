"""The event log: the append-only record of raw events, and a seeded sample to fill it."""
