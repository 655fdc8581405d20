"""Webhooks: teams are told, by signed HTTP POSTs, about events on their own resources.

See docs/webhooks.md for the decisions (queue, claims, retries, secrets, address checks).
"""
