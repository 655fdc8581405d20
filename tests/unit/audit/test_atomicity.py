"""No change without its record, no record without its change: a change whose transaction
fails after its record was written leaves neither behind."""

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mlapi.audit.models import AuditEvent
from tests.support.audit import SWEEP
from tests.unit.helpers import assert_problem


@pytest.fixture
def failing_flush_after_record():
    """Every flush that writes an audit record fails once its rows have been sent, as when
    the connection drops before the commit."""

    def fail(session, _context):
        if any(isinstance(obj, AuditEvent) for obj in session.new):
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    event.listen(Session, "after_flush", fail)
    yield
    event.remove(Session, "after_flush", fail)


@pytest.mark.parametrize("row", sorted(SWEEP))
def test_a_change_that_fails_leaves_neither_change_nor_record(stage, audit_events, row, request):
    change = SWEEP[row]
    change.prepare(stage)
    before, records_before = change.observe(stage), audit_events()
    request.getfixturevalue("failing_flush_after_record")

    assert_problem(change.perform(stage), 503, "service_unavailable")

    assert change.observe(stage) == before
    assert audit_events() == records_before
