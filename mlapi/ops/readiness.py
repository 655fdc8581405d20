"""Whether the database can serve: reachable, and holding its schema.

One vocabulary for ``/health``, ``/readyz``, the API's 503s, the webhook worker and the
``flask`` commands, so that an operator reads the same cause and the same next step
wherever the problem shows (docs/production.md, section 2).
"""

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..extensions import db

NO_SCHEMA = "the database has no schema yet: run `flask db upgrade`"
UNREACHABLE = "the database cannot be reached"
# A table the first migration creates and the first start needs.
SCHEMA_TABLE = "ml_models"
# SQLSTATE insufficient_privilege: on PostgreSQL 15 a role that does not own the database
# may not create tables in its ``public`` schema.
INSUFFICIENT_PRIVILEGE = "42501"


def has_schema() -> bool:
    """Whether the migrations have run; raises when the database cannot be reached."""
    return inspect(db.engine).has_table(SCHEMA_TABLE)


def is_unreachable(error: BaseException) -> bool:
    """A failure to open a connection (no such database, refused, bad credentials, no free
    connection in the pool), as opposed to a statement that failed on an open one."""
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.statement is None


def is_refused_privilege(error: BaseException) -> bool:
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) == INSUFFICIENT_PRIVILEGE


def problem_of(error: SQLAlchemyError) -> str:
    """``UNREACHABLE`` or ``NO_SCHEMA`` for a database error met while working, else the
    error's type: what the webhook worker logs (once) while it backs off."""
    if is_unreachable(error):
        return UNREACHABLE
    try:
        schema = has_schema()
    except SQLAlchemyError:
        return UNREACHABLE  # the connection was lost during the statement
    return f"database error ({type(error).__name__})" if schema else NO_SCHEMA


def cause(error: SQLAlchemyError, url: str) -> str:
    """The driver's own words, on one line, without its boilerplate: ``database "x" does
    not exist``, ``Connection refused``, ``unable to open database file``. Never the
    password, even should a driver quote it."""
    original = getattr(error, "orig", None) or error
    text = next(iter(str(original).strip().splitlines()), "")
    if "FATAL:" in text:
        text = text.rsplit("FATAL:", 1)[1]
    elif "failed: " in text:
        text = text.rsplit("failed: ", 1)[1]
    text = text.strip() or type(original).__name__
    password = make_url(url).password
    return text.replace(password, "***") if password else text


def safe_url(url: str) -> str:
    """The database URL as an operator may see it: the password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)
