"""Retention: how long prediction history and audit records are kept, and the purge that
deletes what is older (``flask retention purge``, docs/production.md#retention)."""
