"""On PostgreSQL, an export paused by a slow client holds no transaction open: no
connection of the app sits "idle in transaction" between two batches (each batch is read
in a transaction of its own, and the request's own, authentication's, has ended).

Needs ``MLAPI_TEST_DATABASE_URL`` (CI sets it); skipped without it, like the rest of the
suite's PostgreSQL run.
"""

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from tests.support.settings import TEST_DATABASE_URL

from .export_rows import EXPORT, T0, add_rows

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PostgreSQL only with MLAPI_TEST_DATABASE_URL set"
)

IN_TRANSACTION = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
)


def test_a_paused_export_holds_no_transaction_open(app, user, auth_headers):
    add_rows(app, user.id, [T0] * 2500)
    environ = EnvironBuilder(path=EXPORT, headers=auth_headers).get_environ()
    body = app(environ, lambda status, _headers, _exc_info=None: None)
    watcher = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        chunks = iter(body)
        header, first_batch = next(chunks), next(chunks)  # the client stops reading here
        with watcher.connect() as connection:
            assert connection.execute(IN_TRANSACTION).scalar() == 0
        rest = b"".join(chunks)
    finally:
        body.close()
        watcher.dispose()

    assert (header + first_batch + rest).count(b"\n") == 2501
