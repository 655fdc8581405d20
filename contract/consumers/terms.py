"""What the five teams' consumer tests share: the provider states (exact names from the
shared list the provider implements), the test accounts, and matchers for what mlapi
varies per run (tokens, keys, ids, timestamps).

A state's name is its template (``"{user} has an account"``) and its parameters fill it
in, so the provider matches one name per state. Secrets and ids a request carries come
from the provider's state handler (``access_token``, ``refresh_token``, ``api_key``,
``model_id``, ``prediction_id``, ``key_id``) through provider-state generators: the pact
files hold only example values.
"""

from pathlib import Path

from pact import generate, match
from pact.match.matcher import AbstractMatcher

PROVIDER = "mlapi"
PACT_DIR = Path(__file__).resolve().parents[1] / "pacts"
PASSWORD = "correct horse battery staple 42"  # every team account's, in every state
PROBLEM = "application/problem+json"
JSON = "application/json"

# Provider states (their exact text is the contract with the provider's handlers).
ACCOUNT = "{user} has an account"
PRIVATE_MODEL = "{user} has a private model named {model}"
PREDICTION = "{user} has made a prediction with {model}"
FEEDBACK = "{user} has given feedback on a prediction"
API_KEY = "{user} has an API key named {key}"
HIDDEN_MODEL = "{owner} has a private model named {model} that {user} cannot see"
NO_MODEL = "no model has the id 999999"
WEBHOOK = "{user} has a webhook for model events"

FEATURE_NAMES = ["age", "bmi", "bp", "glucose"]  # every team model's inputs
JWT = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$"
KEY_PREFIX = r"^mlapi_[0-9a-f]{12}$"
KEY = r"^mlapi_[0-9a-f]{12}_[A-Za-z0-9_-]+$"
SHA256 = r"^[0-9a-f]{64}$"


def from_state(example: str, expression: str) -> AbstractMatcher:
    """A string the provider fills in from its state, e.g. ``"Bearer ${access_token}"``."""
    return match.like(example, generator=generate.provider_state(expression))


def bearer(token: str = "access_token") -> AbstractMatcher:
    """The ``Authorization`` value for a token the provider's state handler returned."""
    return from_state(f"Bearer example-{token.replace('_', '-')}", f"Bearer ${{{token}}}")


def api_key() -> AbstractMatcher:
    """The ``X-API-Key`` value for the key of the state ``{user} has an API key named {key}``."""
    return from_state("mlapi_0123456789ab_example-secret", "${api_key}")


def path_with(template: str, **examples: int) -> AbstractMatcher:
    """A path holding provider ids, ``/api/v1/models/{model_id}`` with ``model_id=7``."""
    example = template.format(**examples)
    expression = template.format(**{name: f"${{{name}}}" for name in examples})
    return from_state(example, expression)


def timestamp(example: str = "2026-12-07T09:30:00.123456+00:00") -> AbstractMatcher:
    return match.regex(example, regex=TIMESTAMP)


def problem(status: int, code: str, **extra: object) -> dict:
    """A problem+json body: the fixed ``status`` and ``code`` a client branches on."""
    return {
        "status": status,
        "code": code,
        "title": match.str("Title"),
        "detail": match.str("What went wrong."),
        **extra,
    }


def field_errors(*fields: str) -> dict:
    """The ``errors`` member of a 422: messages for each named field."""
    return {"errors": {field: match.each_like("Why it was refused.") for field in fields}}


def page_of(item: dict, page: int = 1, per_page: int = 20) -> dict:
    """The envelope of every collection GET, holding at least one ``item``."""
    return {
        "items": match.each_like(item),
        "page": page,
        "per_page": per_page,
        "total": match.int(1),
        "pages": match.int(1),
    }
