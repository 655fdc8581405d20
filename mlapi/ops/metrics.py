"""Prometheus metrics the domains record; ``/metrics`` exposes them (SPEC §4).

Each domain calls the small functions below rather than touching prometheus_client, so
the names and labels of every series are decided in one place.
"""

from prometheus_client import Counter

WEBHOOK_DELIVERIES = Counter(
    "mlapi_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])


def count_webhook_delivery(outcome: str) -> None:
    """``outcome``: ``delivered``, ``retrying``, ``failed`` or ``refused``."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
