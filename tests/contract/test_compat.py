"""The compatibility checker, on hand-made documents, and the live API against its snapshot."""

import copy
import json
from pathlib import Path

import pytest

from mlapi.ops.contract import DEFAULT_SNAPSHOT, breaking_changes

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "openapi": "3.0.3",
    "paths": {
        "/things": {
            "get": {
                "operationId": "listThings",
                "parameters": [{"in": "query", "name": "page", "required": False}],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    }
                },
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "maxLength": 100},
                                    "score": {"type": "integer", "minimum": 1, "maximum": 5},
                                    "colour": {"type": "string", "enum": ["red", "blue"]},
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    }
                },
            },
        },
        "/other": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id", "state"],
                "properties": {
                    "id": {"type": "integer"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "state": {"type": "string", "enum": ["new", "done"]},
                    "parent": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Ref"},
                            {"type": "object", "nullable": True, "enum": [None]},
                        ]
                    },
                },
            },
            "Ref": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "integer"}},
            },
        }
    },
}


def changed(edit) -> dict:
    document = copy.deepcopy(BASE)
    edit(document)
    return document


def _post_body(d):
    return d["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def _thing(d):
    return d["components"]["schemas"]["Thing"]["properties"]


def _list_things(d):
    return d["paths"]["/things"]["get"]


BREAKING = {
    "path removed": lambda d: d["paths"].pop("/other"),
    "method removed": lambda d: d["paths"]["/things"].pop("post"),
    "response field removed": lambda d: _thing(d).pop("state"),
    "response field renamed": lambda d: _thing(d).update(identifier=_thing(d).pop("id")),
    "new required request field": lambda d: _post_body(d)["required"].append("colour"),
    "new required request field that did not exist": lambda d: (
        _post_body(d)["properties"].update(size={"type": "integer"}),
        _post_body(d)["required"].append("size"),
    ),
    "request maximum lowered": lambda d: _post_body(d)["properties"]["score"].update(maximum=3),
    "request minimum raised": lambda d: _post_body(d)["properties"]["score"].update(minimum=2),
    "request length bound added": lambda d: _post_body(d)["properties"]["colour"].update(
        maxLength=3
    ),
    "request length bound tightened": lambda d: _post_body(d)["properties"]["name"].update(
        maxLength=50
    ),
    "request pattern added": lambda d: _post_body(d)["properties"]["name"].update(
        pattern="^[a-z]+$"
    ),
    "request enum narrowed": lambda d: _post_body(d)["properties"]["colour"].update(enum=["red"]),
    "response enum narrowed": lambda d: _thing(d)["state"].update(enum=["new"]),
    "response type changed": lambda d: _thing(d)["id"].update(type="string"),
    "request type changed": lambda d: _post_body(d)["properties"]["name"].update(type="integer"),
    "array item type changed": lambda d: _thing(d)["tags"]["items"].update(type="integer"),
    "new required query parameter": lambda d: d["paths"]["/things"]["get"]["parameters"].append(
        {"in": "query", "name": "owner", "required": True}
    ),
    "success response removed": lambda d: d["paths"]["/things"]["post"]["responses"].pop("201"),
    "operationId changed": lambda d: _list_things(d).update(operationId="getThings"),
    "operationId removed": lambda d: _list_things(d).pop("operationId"),
    "response field no longer always sent": lambda d: d["components"]["schemas"]["Thing"][
        "required"
    ].remove("state"),
    "field of a nullable nested object removed": lambda d: d["components"]["schemas"]["Ref"][
        "properties"
    ].pop("id"),
}

ADDITIVE = {
    "nothing changed": lambda d: None,
    "new path": lambda d: d["paths"].update({"/new": {"get": {"responses": {}}}}),
    "new method": lambda d: d["paths"]["/other"].update(post={"responses": {}}),
    "new response field": lambda d: _thing(d).update(size={"type": "integer"}),
    "new optional request field": lambda d: _post_body(d)["properties"].update(
        note={"type": "string"}
    ),
    "request field no longer required": lambda d: _post_body(d)["required"].clear(),
    "request bounds relaxed": lambda d: _post_body(d)["properties"]["score"].update(
        minimum=0, maximum=10
    ),
    "response bound added": lambda d: _thing(d)["id"].update(maximum=10),
    "enum widened": lambda d: _post_body(d)["properties"]["colour"]["enum"].append("green"),
    "new optional query parameter": lambda d: d["paths"]["/things"]["get"]["parameters"].append(
        {"in": "query", "name": "q", "required": False}
    ),
    "new error response": lambda d: d["paths"]["/other"]["get"]["responses"].update(
        {"404": {"description": "missing"}}
    ),
    "operationId given where there was none": lambda d: d["paths"]["/other"]["get"].update(
        operationId="getOther"
    ),
    "response field now always sent": lambda d: d["components"]["schemas"]["Thing"][
        "required"
    ].append("tags"),
}


@pytest.mark.parametrize("edit", BREAKING.values(), ids=BREAKING.keys())
def test_breaking_change_is_reported(edit):
    assert breaking_changes(BASE, changed(edit)) != []


@pytest.mark.parametrize("edit", ADDITIVE.values(), ids=ADDITIVE.keys())
def test_additive_change_is_allowed(edit):
    assert breaking_changes(BASE, changed(edit)) == []


def test_report_names_the_operation_and_the_field():
    problems = breaking_changes(BASE, changed(BREAKING["response field removed"]))
    # Thing is shared by two operations: each of them breaks.
    assert problems == [
        "GET /things response 200: field 'state' removed",
        "POST /things response 201: field 'state' removed",
    ]


def test_live_document_keeps_every_promise_of_the_snapshot(app):
    snapshot = json.loads((ROOT / DEFAULT_SNAPSHOT).read_text())
    live = json.loads(json.dumps(app.extensions["mlapi.api"].spec.to_dict()))
    assert breaking_changes(snapshot, live) == []


def test_cli_update_then_check_round_trips(app, tmp_path):
    runner = app.test_cli_runner()
    snapshot = tmp_path / "snapshot.json"
    updated = runner.invoke(args=["contract", "update", "--snapshot", str(snapshot)])
    assert updated.exit_code == 0, updated.output
    checked = runner.invoke(args=["contract", "check", "--snapshot", str(snapshot)])
    assert checked.exit_code == 0, checked.output
    assert "no breaking changes" in checked.output


def test_cli_check_fails_on_a_snapshot_promising_more(app, tmp_path):
    runner = app.test_cli_runner()
    snapshot = tmp_path / "snapshot.json"
    runner.invoke(args=["contract", "update", "--snapshot", str(snapshot)])
    promised = json.loads(snapshot.read_text())
    promised["paths"]["/api/v1/retired"] = {"get": {"responses": {"200": {}}}}
    snapshot.write_text(json.dumps(promised))
    result = runner.invoke(args=["contract", "check", "--snapshot", str(snapshot)])
    assert result.exit_code != 0
    assert "GET /api/v1/retired: path removed" in result.output
