"""Administration endpoints (admins only)."""

from functools import wraps

from flask import current_app
from flask.views import MethodView

from ..api import ApiBlueprint
from ..auth.credentials import current_caller
from ..auth.schemas import UserSchema
from ..database import MAX_ID
from ..ops.recorder import recorder
from ..pagination import PageQuery, page_of
from ..policy import ADMINISTRATION, authorize
from ..registry.schemas import ModelRecord
from . import service
from .schemas import (
    DEFAULT_MODEL_EXAMPLE,
    USER_UPDATE_EXAMPLE,
    DefaultModelChoice,
    StatsSchema,
    UserUpdate,
)

blp = ApiBlueprint(
    "admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Manage users, read service statistics, choose the default model.",
)


def admins_only(view):
    """The guard of every admin view: a signed-in administrator (401, then 403), who
    spends the default budget."""

    @wraps(view)
    def guarded(*args, **kwargs):
        authorize(current_caller, "access", ADMINISTRATION, "Only administrators may do this.")
        return view(*args, **kwargs)

    return blp.authenticated(budget="default")(blp.problems(403)(guarded))


@blp.route("/users")
class Users(MethodView):
    @blp.doc(operationId="listUsers")
    @admins_only
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page_of(UserSchema))
    def get(self, query):
        """Every account, newest first (the built-in system account aside)"""
        return service.list_users(**query)


@blp.route(f"/users/<int(min=1, max={MAX_ID}):user_id>")
class UserItem(MethodView):
    @blp.doc(operationId="updateUser")
    @admins_only
    @blp.path_object(service.find_user)
    @blp.arguments(UserUpdate, example=USER_UPDATE_EXAMPLE)
    @blp.response(200, UserSchema)
    @blp.problems(404, 409)
    def patch(self, changes, user_id):
        """Change a user's role or deactivate / reactivate the account

        Acts on the user's very next request. Deactivation ends every sign-in of the user:
        after a reactivation the tokens issued before get 401 `token_revoked` (the user
        signs in again), while the user's API keys, only suspended, work again. The last
        active administrator cannot be demoted or deactivated (409).
        """
        return service.update_user(user_id, changes)


@blp.route("/stats")
class Stats(MethodView):
    @blp.doc(operationId="getStats")
    @admins_only
    @blp.response(200, StatsSchema)
    def get(self):
        """Counts of users, models and predictions; requests and p95 latency per endpoint

        Per-endpoint figures are since start: under gunicorn (PROMETHEUS_MULTIPROC_DIR)
        summed over every worker of the host, p95 estimated from the latency histogram;
        otherwise those of the answering process.
        """
        return service.stats(recorder(current_app).snapshot())


@blp.route("/default-model")
class DefaultModel(MethodView):
    @blp.doc(operationId="setDefaultModel")
    @admins_only
    @blp.arguments(DefaultModelChoice, example=DEFAULT_MODEL_EXAMPLE)
    @blp.response(200, ModelRecord)
    @blp.problems(404, 409)
    def put(self, body):
        """Make a public model the default model of /predict and /batch-predict

        A private model is refused (422 `model_not_public`); a missing or deleted one is 404.
        """
        return service.set_default_model(body["model_id"])
