"""Request and response bodies of the account endpoints."""

import marshmallow as ma
from marshmallow import validate

from ..document import ResponseSchema
from ..timeutil import UTCDateTime
from . import password_rules

USERNAME_PATTERN = r"^[A-Za-z0-9_.-]{3,32}$"
MAX_EMAIL_LENGTH = 254

# The request bodies Swagger UI fills in: sent in this order on a fresh instance, each one
# works (tests/contract/test_examples.py).
EXAMPLE_PASSWORD = "correct-horse-battery"  # noqa: S105  (published in the docs, not a secret)
REGISTER_EXAMPLE = {
    "username": "alice",
    "email": "alice@example.com",
    "password": EXAMPLE_PASSWORD,
    "full_name": "Alice Liddell",
}
LOGIN_EXAMPLE = {"username": "alice", "password": EXAMPLE_PASSWORD}
NEW_EXAMPLE_PASSWORD = "staple-horse-correct-battery"  # noqa: S105  (published in the docs)
CHANGE_PASSWORD_EXAMPLE = {
    "current_password": EXAMPLE_PASSWORD,
    "new_password": NEW_EXAMPLE_PASSWORD,
}


def email_fits_when_lower_cased(value: str) -> None:
    """The account keeps the lower-cased address too (to find it in any case), and some
    characters grow when lower-cased ('\u0130' becomes 'i' + a combining dot): the limit
    holds for that form, or the database refuses the row."""
    if len(value.lower()) > MAX_EMAIL_LENGTH:
        raise ma.ValidationError(f"At most {MAX_EMAIL_LENGTH} characters once lower-cased.")


class FullMatch(validate.Regexp):
    """``Regexp`` matched against the whole value: Python's ``$`` also matches before a
    trailing newline, so plain ``Regexp`` would accept ``"alice\\n"``."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


# The rule of every name in the namespace users and teams share (mlapi/teams/models.py).
NAME_RULE = FullMatch(USERNAME_PATTERN, error="Use 3 to 32 letters, digits, '_', '.' or '-'.")


NEW_PASSWORD_DESCRIPTION = (
    f"{password_rules.MIN_LENGTH} to {password_rules.MAX_LENGTH} characters, not easy to guess: "
    "a common password, or one built on the username or email address, is refused (422 on "
    "this field, saying why). A few unrelated words make a good one."
)


def new_password_field(example: str = EXAMPLE_PASSWORD) -> ma.fields.String:
    """The length rule of a password an account is given, at registration and at a change;
    the rest of ``password_rules`` needs the account's names (checked with them)."""
    return ma.fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(
            min=password_rules.MIN_LENGTH,
            max=password_rules.MAX_LENGTH,
            error=password_rules.LENGTH_RULE,
        ),
        metadata={"example": example, "description": NEW_PASSWORD_DESCRIPTION},
    )


class RegisterRequest(ma.Schema):
    username = ma.fields.String(required=True, validate=NAME_RULE, metadata={"example": "alice"})
    email = ma.fields.Email(
        required=True,
        validate=[validate.Length(max=MAX_EMAIL_LENGTH), email_fits_when_lower_cased],
        metadata={"example": "alice@example.com"},
    )
    password = new_password_field()
    full_name = ma.fields.String(
        allow_none=True, validate=validate.Length(max=100), metadata={"example": "Alice Liddell"}
    )

    @ma.validates_schema(skip_on_field_errors=False)
    def password_hard_to_guess(self, data, **_kwargs):
        """Checked with the names of the body (the ones that are valid): all the problems of a
        sign-up are told at once."""
        if "password" in data:
            problem = password_rules.weakness(
                data["password"], username=data.get("username"), email=data.get("email")
            )
            if problem is not None:
                raise ma.ValidationError(problem, "password")


def _identifier(*, required: bool = False, **metadata) -> ma.fields.String:
    return ma.fields.String(
        required=required, validate=validate.Length(min=1, max=254), metadata=metadata
    )


def _login_password() -> ma.fields.String:
    return ma.fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=128),
        metadata={"example": EXAMPLE_PASSWORD},
    )


class LoginWithUsername(ma.Schema):
    """The document's first form of ``LoginRequest``."""

    username = _identifier(required=True, description="Username or email address.", example="alice")
    password = _login_password()


class LoginWithEmail(ma.Schema):
    """The document's second form of ``LoginRequest``."""

    email = _identifier(
        required=True,
        example="alice@example.com",
        description="The account's email address (its username works too).",
    )
    password = _login_password()


class LoginRequest(ma.Schema):
    """What login checks; the document shows it as its two forms (both at once is 422), so
    generated clients take one or the other."""

    DOCUMENTED_ALTERNATIVES = (LoginWithUsername, LoginWithEmail)

    username = _identifier()
    email = _identifier()
    password = _login_password()

    @ma.validates_schema
    def one_identifier(self, data, **_kwargs):
        if ("username" in data) == ("email" in data):
            raise ma.ValidationError("Send either 'username' or 'email'.", "username")


class ChangePasswordRequest(ma.Schema):
    current_password = _login_password()
    new_password = new_password_field(NEW_EXAMPLE_PASSWORD)

    @ma.validates_schema
    def new_differs(self, data, **_kwargs):
        """The same password again would end every other sign-in and change nothing else:
        most likely a mistake (a password manager's field filled twice)."""
        if data.get("new_password") == data.get("current_password"):
            raise ma.ValidationError("Must differ from the current password.", "new_password")


class UserSchema(ResponseSchema):
    id = ma.fields.Integer(metadata={"example": 42})
    username = ma.fields.String(metadata={"example": "alice"})
    email = ma.fields.String(metadata={"example": "alice@example.com"})
    full_name = ma.fields.String(allow_none=True)
    role = ma.fields.String(metadata={"enum": ["user", "admin"]})
    is_active = ma.fields.Boolean()
    created_at = UTCDateTime()


class UserRefSchema(ResponseSchema):
    """A user named in another record (a team's member, a model's uploader)."""

    id = ma.fields.Integer(metadata={"example": 42})
    username = ma.fields.String(metadata={"example": "alice"})


class AccessTokenSchema(ResponseSchema):
    access_token = ma.fields.String()
    token_type = ma.fields.String(metadata={"example": "bearer"})
    expires_in = ma.fields.Integer(
        metadata={"description": "Seconds until the access token expires.", "example": 900}
    )


class TokenPairSchema(AccessTokenSchema):
    refresh_token = ma.fields.String()
