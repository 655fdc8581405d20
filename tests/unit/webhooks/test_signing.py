"""Signatures a receiver can check with the secret it was shown once."""

import hashlib
import hmac

from mlapi.webhooks.signing import sign, verify

BODY = b'{"id":"evt_1","event":"model.created","created_at":"2026-11-26T12:00:00+00:00"}'


def test_the_signature_is_the_hex_hmac_sha256_of_the_exact_body():
    expected = hmac.new(b"whsec_abc", BODY, hashlib.sha256).hexdigest()
    assert sign("whsec_abc", BODY) == f"sha256={expected}"


def test_a_receiver_verifies_with_the_secret():
    assert verify("whsec_abc", BODY, sign("whsec_abc", BODY))


def test_another_secret_or_a_changed_body_does_not_verify():
    signature = sign("whsec_abc", BODY)
    assert not verify("whsec_other", BODY, signature)
    assert not verify("whsec_abc", BODY.replace(b"created", b"deleted"), signature)
    assert not verify("whsec_abc", BODY + b" ", signature)
