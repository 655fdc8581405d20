"""Two admins stepping down at the same moment cannot leave the service without one.

Each demotes themselves, so both requests pass the admin guard (the other's change does not
touch their own role) and meet in the last-admin check.
"""

import threading

import pytest
from sqlalchemy import func, select

from mlapi.auth.models import User
from mlapi.extensions import db


def step_down_together(app, callers) -> list[int]:
    barrier = threading.Barrier(len(callers))
    statuses: list[int] = []

    def step_down(headers, user_id):
        with app.test_client() as client:
            barrier.wait()
            response = client.patch(
                f"/api/v1/admin/users/{user_id}", json={"role": "user"}, headers=headers
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=step_down, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


@pytest.mark.parametrize("attempt", range(5))
def test_concurrent_demotions_leave_exactly_one_active_admin(app, make_user, sign_in, attempt):
    admins = [make_user(role="admin") for _ in range(2)]

    statuses = step_down_together(app, [(sign_in(a).headers, a.id) for a in admins])

    assert statuses == [200, 409], f"attempt {attempt}"
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count())
                .select_from(User)
                .where(User.role == "admin", User.is_active.is_(True))
            ).scalar_one()
            == 1
        )
