"""Each view declares the rate-limit budget it spends (mlapi/limits.py, mlapi/api.py): every
``/api/`` operation one, the prediction routes theirs, and never two on one view."""

import pytest

from mlapi.api import ApiBlueprint
from mlapi.limits import declared_budget

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


def declared_budgets(app) -> dict[tuple[str, str], str | None]:
    """``{(method, path): budget}`` of every operation (HEAD and OPTIONS are Flask's own)."""
    budgets = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower()) if view_class else view
            budgets[method, rule.rule] = declared_budget(handler)
    return budgets


def test_every_api_operation_declares_the_budget_it_spends(app):
    budgets = declared_budgets(app)
    undeclared = [
        operation
        for operation, budget in budgets.items()
        if operation[1].startswith("/api/") and budget is None
    ]
    assert not undeclared  # a new view needs budget= (ApiBlueprint.authenticated/anonymous)
    assert all(
        budget is None for (_, path), budget in budgets.items() if not path.startswith("/api/")
    )  # /health, /metrics, /docs: no limits


def test_the_prediction_routes_and_only_they_spend_the_prediction_budget(app):
    budgets = declared_budgets(app)
    predicting = {operation for operation, budget in budgets.items() if budget == "predict"}
    assert predicting == {operation for operation in budgets if operation[1].endswith("predict")}
    # /predict, /batch-predict, both for a chosen model, and both for a model by full name,
    # by alias and by version number
    assert len(predicting) == 10
    anonymous = {
        operation: budget
        for operation, budget in budgets.items()
        if budget in {"login", "register"}
    }
    assert anonymous == {("POST", LOGIN): "login", ("POST", REGISTER): "register"}


def test_a_view_declares_one_budget_only():
    blp = ApiBlueprint("twice", __name__)

    def view():
        return None

    with pytest.raises(ValueError, match="already spends the 'default' budget"):
        blp.authenticated(budget="predict")(blp.authenticated(budget="default")(view))
    with pytest.raises(ValueError, match="already spends the 'login' budget"):
        blp.authenticated(budget="default")(blp.anonymous(budget="login")(view))
    with pytest.raises(ValueError, match="expected one of predict, default"):
        blp.authenticated(budget="login")(view)  # an address budget needs no credential
