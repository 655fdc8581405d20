"""Plain helpers shared by the unit tests (not fixtures)."""

from functools import cache
from pathlib import Path

from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression

from mlapi.errors import PROBLEM_MIMETYPE

# One row of the diabetes data set's ten (scaled) features.
ROW = [0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]


def assert_problem(response, status: int, code: str) -> dict:
    """The response is an RFC 9457 problem with this status and stable code; return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_MIMETYPE
    body = response.get_json()
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    return body


def row(offset: float) -> list[float]:
    """A feature row distinct from ``ROW`` for every distinct ``offset``."""
    return [value + offset for value in ROW]


def artifacts_in(store: Path) -> list[Path]:
    """The artifact files of a store (``<root>/<sha[:2]>/<sha>``), temporary files excluded."""
    return sorted(p for p in store.glob("??/*") if p.is_file() and not p.name.startswith("."))


@cache
def _reference_model() -> LinearRegression:
    data = load_diabetes()
    return LinearRegression().fit(data.data, data.target)


def expected_predictions(rows: list[list[float]]) -> list[float]:
    """What the default model must answer: the documented LinearRegression on the diabetes data,
    fitted here independently of mlapi."""
    return _reference_model().predict(rows).tolist()


def spy(monkeypatch, owner, name: str, note=lambda *args: args) -> list:
    """Wrap ``owner.name`` for the test: each call is noted (``note(*args)``) and then made."""
    noted, original = [], getattr(owner, name)

    def noting(*args):
        noted.append(note(*args))
        return original(*args)

    monkeypatch.setattr(owner, name, noting)
    return noted
