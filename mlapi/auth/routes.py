"""Accounts: register, sign in, refresh, sign out, and the caller's own profile."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from ..api import ApiBlueprint
from ..errors import ApiError, InvalidCredentials
from ..limits import limits_enabled
from . import devices, service, sign_in_budget
from .credentials import current_caller
from .schemas import (
    CHANGE_PASSWORD_EXAMPLE,
    LOGIN_EXAMPLE,
    REGISTER_EXAMPLE,
    AccessTokenSchema,
    ChangePasswordRequest,
    LoginRequest,
    RegisterRequest,
    TokenPairSchema,
    UserSchema,
)

DEVICE_COOKIE_HEADER = {
    "Set-Cookie": {
        "description": "`mlapi_device=<device>; Path=/api/v1/auth; HttpOnly; SameSite=Strict` "
        "(Secure outside development), valid 30 days: makes this client a known "
        "device of the account for the per-account sign-in budget.",
        "schema": {"type": "string"},
    }
}

blp = ApiBlueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    description="Register, sign in, refresh and end sessions, change your password; read your "
    "profile.",
)


@blp.route("/auth/register")
class Register(MethodView):
    @blp.doc(operationId="register")
    @blp.anonymous(budget="register")
    @blp.arguments(RegisterRequest, example=REGISTER_EXAMPLE)
    @blp.response(201, UserSchema)
    @blp.problems(409)
    def post(self, body):
        """Create an account"""
        return service.register(**body), 201


@blp.route("/auth/login")
class Login(MethodView):
    @blp.doc(operationId="login")
    @blp.anonymous(budget="login")
    @blp.arguments(LoginRequest, example=LOGIN_EXAMPLE)
    @blp.response(200, TokenPairSchema, headers=DEVICE_COOKIE_HEADER)
    @blp.problems(401, 403)
    def post(self, body):
        """Sign in with a username or email address and get a token pair

        Each account has a budget of failed sign-ins; once it is spent, every attempt gets
        429, the right password too, except from a known device: a client that signed in
        to the account with its password in the last 30 days and sends back the
        `mlapi_device` cookie it was given then.
        """
        identifier = body.get("username") or body["email"]
        user = service.find_account(identifier)
        account = sign_in_budget.account_key(user, identifier)
        device = devices.recognised(user)
        counted = limits_enabled()
        attempt = sign_in_budget.reserve(account) if counted and device is None else None
        try:
            user = service.check_password(user, body["password"])
        except InvalidCredentials:
            if counted and device is not None:
                sign_in_budget.record_failure(account)
            raise
        except ApiError:  # the right password of an inactive account: not a failure
            _release(attempt)
            raise
        _release(attempt)
        tokens = service.sign_in(user)
        return tokens, 200, {"Set-Cookie": devices.remember(user, device)}


def _release(attempt: int | None) -> None:
    if attempt is not None:
        sign_in_budget.release(attempt)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.doc(operationId="refresh")
    @blp.authenticated(budget="default", refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Get a new access token with the refresh token of a sign-in"""
        return service.refresh(current_caller, get_jwt())


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.doc(operationId="logout")
    @blp.authenticated(budget="default", session_only=True)
    @blp.response(204)
    def post(self):
        """End this sign-in: its access and refresh tokens stop working everywhere"""
        service.sign_out(current_caller, get_jwt()["jti"])


@blp.route("/auth/password")
class Password(MethodView):
    @blp.doc(operationId="changePassword")
    @blp.authenticated(budget="default", session_only=True)
    @blp.arguments(ChangePasswordRequest, example=CHANGE_PASSWORD_EXAMPLE)
    @blp.response(204)
    def post(self, body):
        """Change your password: every other sign-in ends, this one and your API keys go on

        A wrong `current_password` is 422 on that field (the token is fine) and counts
        against the account's budget of failed sign-ins, from any device; once the budget
        is spent every attempt gets 429, the right password too.
        """
        account = sign_in_budget.account_key(current_caller, current_caller.username)
        attempt = sign_in_budget.reserve(account) if limits_enabled() else None
        service.check_current_password(current_caller, body["current_password"])
        _release(attempt)
        service.change_password(current_caller, body["new_password"], get_jwt()["jti"])


@blp.route("/auth/logout-all")
class LogoutAll(MethodView):
    @blp.doc(operationId="logoutAll")
    @blp.authenticated(budget="default", session_only=True)
    @blp.response(204)
    def post(self):
        """End every sign-in of your account, this one included; API keys go on"""
        service.sign_out_everywhere(current_caller)


@blp.route("/users/me")
class Me(MethodView):
    @blp.doc(operationId="getCurrentUser")
    @blp.authenticated(budget="default")
    @blp.response(200, UserSchema)
    def get(self):
        """Your own profile"""
        return current_caller
