"""An upload into a team, or a move into it, cannot land in a team deleted meanwhile.

A deletion in progress holds the team's row lock (``mlapi.teams.service.delete_team``)
while it counts the team's live models. Here another connection plays that deletion and
keeps its transaction open: the upload has already found the team (the deletion is not
committed), so it must wait for the deletion's outcome, then refuse. Without the wait, it
would finish first and leave a live model in a deleted team. PostgreSQL only (SQLite lets
one writer at a time in, so the race cannot happen there).
"""

import threading

import pytest
import sqlalchemy as sa

from mlapi.extensions import db
from mlapi.registry.models import MLModel
from tests.steps.common_steps import assert_refused_pointing_at
from tests.support.settings import TEST_DATABASE_URL
from tests.unit.registry.test_upload import form_for, post_form

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)

PROBES = 400  # of the lock table, 25 ms apart, before giving up on seeing the wait


def _waits_for_a_lock(probe: sa.Connection, holder_pid: int) -> bool:
    """Whether some other backend is waiting for a lock the deletion holds."""
    waiting = probe.execute(
        sa.text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
        {"pid": holder_pid},
    ).scalar_one()
    return waiting > 0


def _while_a_deletion_is_open(app, team_id: int, change) -> dict:
    """Run ``change`` in a thread while another connection deletes the team and holds its
    lock; commit the deletion once ``change`` waits for it (or has finished without
    waiting). The change's response."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    answer: dict = {}
    try:
        with engine.connect() as deleting, engine.connect() as probe:
            deleting.execute(
                sa.text("SELECT id FROM teams WHERE id = :id FOR UPDATE"), {"id": team_id}
            )
            deleting.execute(
                sa.text("UPDATE teams SET deleted_at = now() WHERE id = :id"), {"id": team_id}
            )
            pid = deleting.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            worker = threading.Thread(target=lambda: answer.update(response=change()))
            worker.start()
            for _ in range(PROBES):
                if not worker.is_alive() or _waits_for_a_lock(probe, pid):
                    break
                probe.commit()
                threading.Event().wait(0.025)
            deleting.commit()
            worker.join()
    finally:
        engine.dispose()
    return answer["response"]


def _live_models_of(app, team_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(MLModel)
            .where(MLModel.team_id == team_id, MLModel.deleted_at.is_(None))
        )


def test_an_upload_into_a_team_being_deleted_is_refused(app, people, risk):
    _, headers = people

    def upload():
        with app.test_client() as client:
            return post_form(client, headers["alice"], **form_for(team="risk"))

    response = _while_a_deletion_is_open(app, risk, upload)

    assert_refused_pointing_at(response, "team")
    assert _live_models_of(app, risk) == 0


def test_a_move_into_a_team_being_deleted_is_refused(app, client, people, risk):
    _, headers = people
    own = post_form(client, headers["alice"], **form_for(name="scorer"))
    assert own.status_code == 201, own.get_json()

    def move():
        with app.test_client() as other:
            return other.patch(
                f"/api/v1/models/{own.get_json()['id']}",
                json={"team": "risk"},
                headers=headers["alice"],
            )

    response = _while_a_deletion_is_open(app, risk, move)

    assert_refused_pointing_at(response, "team")
    assert _live_models_of(app, risk) == 0
