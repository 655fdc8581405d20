"""docs/audit.md lists each action's details keys; every record the sweep writes holds
exactly those (a new action needs its row in the document, and a row in ``SWEEP``)."""

import pytest

from tests.support.audit import SWEEP, documented_keys
from tests.support.audit_change import action_of


def test_the_document_lists_every_action_of_the_spec():
    assert set(documented_keys()) == {
        "model.uploaded",
        "model.deleted",
        "model.updated",
        "model.moved",
        "alias.moved",
        "alias.deleted",
        "team.created",
        "team.deleted",
        "team.member_set",
        "team.member_removed",
        "user.role_changed",
        "user.deactivated",
        "user.reactivated",
        "api_key.created",
        "api_key.deleted",
        "webhook.created",
        "webhook.deleted",
        "default_model.changed",
        "password.changed",
        "sessions.revoked",
        "api_key.rotated",
    }


@pytest.mark.parametrize("row", sorted(SWEEP))
def test_every_record_of_the_sweep_holds_exactly_the_documented_keys(stage, audit_events, row):
    documented = documented_keys()
    change = SWEEP[row]
    change.prepare(stage)

    change.perform(stage)

    written = audit_events()
    assert action_of(row) in {event["action"] for event in written}
    for event in written:  # the preparation's records and the first start's too
        assert set(event["details"]) == documented[event["action"]], event["action"]
