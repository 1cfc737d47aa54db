"""KCIO delivery: the daily export sent to the configured destination through the outbox."""
