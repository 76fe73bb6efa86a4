"""Machinery every HalloBot service shares: settings, events, outbox, inbox, database."""
