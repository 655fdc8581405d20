"""What a team writes with the Python client that openapi-python-client generates from the
live document (package ``mlapi_client``, generated under build/python, never committed): sign
in, upload a model, predict, page through models, and handle a problem.

tests/contract/test_typed_clients.py runs ``mypy --strict`` on this module against the
generated package. It is written the way a user would, with no casts, ``assert`` or
``# type: ignore``: a field the document leaves optional (``X | Unset``) or untyped when the
API always sends it shows up as a type error here.
"""

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

from mlapi_client import AuthenticatedClient, Client
from mlapi_client.api.accounts import post_api_v1_auth_login
from mlapi_client.api.models import get_api_v1_models, post_api_v1_models
from mlapi_client.api.predictions import post_api_v1_models_model_id_predict
from mlapi_client.models import (
    LoginRequest,
    ModelPredictRequest,
    ModelRecord,
    Problem,
    UploadForm,
    UploadFormModelType,
    UploadFormVisibility,
)
from mlapi_client.types import File

Answer = TypeVar("Answer")


class ProblemError(Exception):
    """A problem details answer (RFC 9457), raised so that callers branch on its ``code``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.code}: {problem.detail}")
        self.problem = problem


def expected(answer: Answer | Problem | None) -> Answer:
    """The documented success body; a problem raises; ``None`` is a status the document
    does not list (the generated client answers ``None`` rather than guess)."""
    if isinstance(answer, Problem):
        raise ProblemError(answer)
    if answer is None:
        raise RuntimeError("an answer the OpenAPI document does not describe")
    return answer


def sign_in(base_url: str, username: str, password: str) -> AuthenticatedClient:
    """Signs in and answers a client that sends the access token with every request."""
    tokens = expected(post_api_v1_auth_login.sync(
        client=Client(base_url=base_url),
        body=LoginRequest(username=username, password=password),
    ))
    access_token: str = tokens.access_token
    return AuthenticatedClient(base_url=base_url, token=access_token)


def upload_model(api: AuthenticatedClient, name: str, skops_file: Path) -> int:
    """Uploads a skops file as a new private model; answers its id."""
    with skops_file.open("rb") as stream:
        form = UploadForm(file=File(payload=stream, file_name=skops_file.name),
                          model_type=UploadFormModelType.SKLEARN, name=name,
                          visibility=UploadFormVisibility.PRIVATE)
        record = expected(post_api_v1_models.sync(client=api, body=form))
    model_id: int = record.id
    return model_id


def predict(api: AuthenticatedClient, model_id: int, features: list[float]) -> tuple[int, object]:
    """One prediction from a model, by the model's id: (prediction id, predicted value)."""
    result = expected(post_api_v1_models_model_id_predict.sync(
        model_id, client=api, body=ModelPredictRequest(features=features)))
    prediction_id: int = result.prediction_id
    return prediction_id, result.prediction


def all_models(api: AuthenticatedClient, per_page: int = 100) -> Iterator[ModelRecord]:
    """Every model the user may use, one page after the other."""
    page = 1
    while True:
        listing = expected(get_api_v1_models.sync(client=api, page=page, per_page=per_page))
        items: list[ModelRecord] = listing.items
        yield from items
        last_page: int = listing.pages
        if page >= last_page:
            return
        page += 1


def predict_or_explain(api: AuthenticatedClient, model_id: int,
                       features: list[float]) -> tuple[int, object] | str:
    """A prediction, or what to tell the user when the API refuses it."""
    try:
        return predict(api, model_id, features)
    except ProblemError as refused:
        problem = refused.problem
        detail: str = problem.detail
        match problem.code:
            case "validation_error":
                messages = problem.errors.additional_properties if problem.errors else {}
                return "; ".join(f"{field}: {' '.join(texts)}"
                                 for field, texts in messages.items())
            case "not_found":
                status: int = problem.status
                return f"model {model_id} does not exist ({status})"
            case _:
                return detail


def typical_use(base_url: str, username: str, password: str, skops_file: Path,
                features: list[float]) -> dict[str, object]:
    """The whole flow; the models are listed one per page, so that paging is exercised."""
    api = sign_in(base_url, username, password)
    model_id = upload_model(api, "typed-client-example", skops_file)
    prediction_id, value = predict(api, model_id, features)
    return {"model_id": model_id, "prediction_id": prediction_id, "prediction": value,
            "models": [record.name for record in all_models(api, per_page=1)],
            "refused": predict_or_explain(api, model_id, [])}


if __name__ == "__main__":
    # MLAPI_URL=... MLAPI_USERNAME=... MLAPI_PASSWORD=... python typical_use.py MODEL FEATURE...
    outcome = typical_use(os.environ["MLAPI_URL"], os.environ["MLAPI_USERNAME"],
                          os.environ["MLAPI_PASSWORD"], Path(sys.argv[1]),
                          [float(value) for value in sys.argv[2:]])
    print(json.dumps(outcome))
