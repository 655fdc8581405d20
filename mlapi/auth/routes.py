"""Accounts: register, sign in, refresh, sign out, and the caller's own profile."""

from flask.views import MethodView
from flask_jwt_extended import get_jwt

from ..api import ApiBlueprint
from ..errors import InvalidCredentials
from ..limits import spend_failed_sign_in
from . import service
from .credentials import current_caller
from .schemas import AccessTokenSchema, LoginRequest, RegisterRequest, TokenPairSchema, UserSchema

blp = ApiBlueprint("accounts", __name__, url_prefix="/api/v1",
                   description="Register, sign in, refresh and end sessions; read your profile.")


@blp.route("/auth/register")
class Register(MethodView):
    @blp.arguments(RegisterRequest)
    @blp.response(201, UserSchema)
    @blp.problems(409)
    def post(self, body):
        """Create an account"""
        return service.register(**body), 201


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginRequest)
    @blp.response(200, TokenPairSchema)
    @blp.problems(401, 403)
    def post(self, body):
        """Sign in with a username or email address and get a token pair"""
        identifier = body.get("username") or body["email"]
        try:
            user = service.authenticate(identifier, body["password"])
        except InvalidCredentials:
            spend_failed_sign_in()  # 429 instead, once the account's budget is spent
            raise
        return service.sign_in(user)


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.authenticated(refresh=True)
    @blp.response(200, AccessTokenSchema)
    def post(self):
        """Get a new access token with the refresh token of a sign-in"""
        return service.refresh(current_caller, get_jwt()["jti"])


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.authenticated(session_only=True)
    @blp.response(204)
    def post(self):
        """End this sign-in: its access and refresh tokens stop working everywhere"""
        service.sign_out(current_caller, get_jwt()["jti"])


@blp.route("/users/me")
class Me(MethodView):
    @blp.authenticated
    @blp.response(200, UserSchema)
    def get(self):
        """Your own profile"""
        return current_caller

