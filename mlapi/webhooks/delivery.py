"""Sending one claimed delivery: check the address, POST, log the attempt
(docs/webhooks.md#sending-claims-retries).

``send`` is one attempt at one delivery; ``claims.py`` decides which go out and
``dispatch.py`` sends them. After every attempt the claim is released: a retry is put back
in the queue with its next attempt time, and nothing (no thread, no slot) waits out a back-off.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import current_app

from ..counters import count_webhook_delivery
from ..extensions import db
from . import crypto, signing
from .addresses import Unresolvable, UnsafeUrl, check_configured
from .models import DELIVERED, FAILED, Webhook, WebhookAttempt, WebhookDelivery

log = logging.getLogger("mlapi.webhooks")

USER_AGENT = "mlapi-webhooks/1"
MAX_ERROR = 500


@dataclass
class Result:
    status_code: int | None = None
    error: str | None = None
    retry: bool = False
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Outgoing:
    """What one attempt sends, copied out of the rows so the send needs no session."""

    webhook_id: int
    url: str
    secret_encrypted: str
    delivery_id: int
    event: str
    body: str

    @classmethod
    def of(cls, hook: Webhook, delivery: WebhookDelivery) -> "Outgoing":
        return cls(
            hook.id, hook.url, hook.secret_encrypted, delivery.id, delivery.event, delivery.body
        )


def send(delivery_id: int, now: datetime) -> str | None:
    """One attempt at a delivery this sender has claimed (``claims.claim_due``); its
    outcome, or None when the row is gone (its hook was deleted meanwhile)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None
    outcome = _deliver(delivery, now)
    count_webhook_delivery(outcome)
    return outcome


def _deliver(delivery: WebhookDelivery, now: datetime) -> str:
    outgoing = Outgoing.of(db.session.get(Webhook, delivery.webhook_id), delivery)
    # No pooled connection is held while the receiver takes its time: several sends run
    # at once (dispatch.py), each up to WEBHOOK_TIMEOUT_SECONDS.
    db.session.commit()
    started = time.perf_counter()
    result = _attempt(outgoing)
    duration_ms = round((time.perf_counter() - started) * 1000)
    delivery.attempts += 1
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=delivery.attempts,
            status_code=result.status_code,
            duration_ms=duration_ms,
            error=result.error and result.error[:MAX_ERROR],
            created_at=now,
        )
    )
    delivery.locked_until = None
    if result.delivered:
        delivery.status, delivery.delivered_at, outcome = DELIVERED, now, "delivered"
    elif result.retry and delivery.attempts < current_app.config["WEBHOOK_ATTEMPTS"]:
        backoff = current_app.config["WEBHOOK_BACKOFF_SECONDS"] * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at, outcome = now + timedelta(seconds=backoff), "retrying"
    else:
        delivery.status, outcome = FAILED, "refused" if result.refused else "failed"
    db.session.commit()
    log.info("webhook delivery %s attempt %s: %s", delivery.id, delivery.attempts, outcome)
    return outcome


def _attempt(outgoing: Outgoing) -> Result:
    try:
        check_configured(outgoing.url)
    except Unresolvable as exc:
        return Result(error=str(exc), retry=True)
    except UnsafeUrl as exc:
        return Result(error=f"Not sent: {exc}", refused=True)
    try:
        secret = crypto.decrypt(outgoing.secret_encrypted, current_app.config["SECRET_KEY"])
    except crypto.SecretUnreadable as exc:
        log.error("webhook %s: %s", outgoing.webhook_id, exc)
        return Result(error=f"Not sent: {exc}.")
    body = outgoing.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-MLAPI-Event": outgoing.event,
        "X-MLAPI-Delivery": str(outgoing.delivery_id),
        "X-MLAPI-Signature": signing.sign(secret, body),
    }
    try:
        response = requests.post(
            outgoing.url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"],
        )
    except requests.Timeout:
        return Result(error="Timed out waiting for the receiver.", retry=True)
    except requests.ConnectionError as exc:
        return Result(error=f"Could not connect: {type(exc).__name__}.", retry=True)
    except requests.RequestException as exc:
        return Result(error=f"Request failed: {type(exc).__name__}.")
    response.close()
    error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Result(status_code=response.status_code, error=error, retry=response.status_code >= 500)
