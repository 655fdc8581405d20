"""Backward compatibility of the OpenAPI document against a committed snapshot.

Five teams build on this API, some through clients generated from the document: a change
that breaks a client must be deliberate. The checker lists breaking changes between two
documents — a removed path or method, a changed operationId (a generated client's function
name), a removed (or renamed) response field, a response field no longer always sent (no
longer ``required``: generated clients type it as present), a new required request field
or parameter, a narrowed enum, a request bound added or tightened (maximum, minimum,
lengths, items, pattern), a changed type — and lets additive changes through: a new
operationId, a response field newly ``required``, a bound relaxed. ``flask contract check``
runs it against the snapshot; ``flask contract update`` rewrites the snapshot.
"""

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

DEFAULT_SNAPSHOT = Path("contract") / "openapi.v1.json"
_METHODS = ("get", "put", "post", "delete", "patch")


class _Document:
    def __init__(self, document: dict):
        self.raw = document

    def resolve(self, node: dict | None) -> dict:
        """The schema ``node`` stands for, past references and the wrappers that only say
        "this schema, or null" (``mlapi.document.nullable_reference``)."""
        seen = 0
        while node and seen < 32:
            if "$ref" in node:
                *_, section, name = node["$ref"].split("/")
                node = self.raw["components"][section][name]
            elif _wrapped(node) is not None:
                node = _wrapped(node)
            else:
                break
            seen += 1
        return node or {}

    def operations(self) -> dict[tuple[str, str], dict]:
        return {
            (path, method): item[method]
            for path, item in self.raw.get("paths", {}).items()
            for method in _METHODS
            if method in item
        }


def _wrapped(node: dict) -> dict | None:
    """The one schema of ``allOf: [schema]``, or of ``oneOf``/``anyOf`` whose other members
    only admit null; None for any other node."""
    for keyword in ("allOf", "oneOf", "anyOf"):
        members = [m for m in node.get(keyword, ()) if keyword == "allOf" or not _null_only(m)]
        if keyword in node and len(members) == 1:
            return members[0]
    return None


def _null_only(node: dict) -> bool:
    return node.get("nullable") is True and node.get("enum") == [None]


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Every change from ``old`` to ``new`` that could break an existing client."""
    before, after = _Document(old), _Document(new)
    old_ops, new_ops = before.operations(), after.operations()
    problems = []
    for (path, method), old_op in old_ops.items():
        where = f"{method.upper()} {path}"
        new_op = new_ops.get((path, method))
        if new_op is None:
            problems.append(
                f"{where}: removed" if path in new.get("paths", {}) else f"{where}: path removed"
            )
            continue
        if old_op.get("operationId") and new_op.get("operationId") != old_op["operationId"]:
            problems.append(
                f"{where}: operationId changed from {old_op['operationId']!r} "
                f"to {new_op.get('operationId')!r}"
            )
        problems += _parameters(where, old_op, new_op)
        old_body = _json_schema(before, old_op.get("requestBody"))
        new_body = _json_schema(after, new_op.get("requestBody"))
        if new_body is not None:
            problems += _compare(
                before, after, old_body or {}, new_body, f"{where} request", request=True
            )
        for status, old_response in old_op.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            old_schema = _json_schema(before, old_response)
            new_response = new_op.get("responses", {}).get(status)
            if new_response is None:
                problems.append(f"{where}: response {status} removed")
                continue
            if old_schema is not None:
                problems += _compare(
                    before,
                    after,
                    old_schema,
                    _json_schema(after, new_response) or {},
                    f"{where} response {status}",
                    request=False,
                )
    return problems


def _json_schema(document: _Document, holder: dict | None) -> dict | None:
    content = document.resolve(holder).get("content", {})
    for media_type, body in content.items():
        if "json" in media_type:
            return body.get("schema", {})
    return None


def _parameters(where: str, old_op: dict, new_op: dict) -> list[str]:
    old_names = {(p["in"], p["name"]) for p in old_op.get("parameters", [])}
    return [
        f"{where}: new required {p['in']} parameter '{p['name']}'"
        for p in new_op.get("parameters", [])
        if p.get("required") and (p["in"], p["name"]) not in old_names
    ]


def _compare(
    before: _Document,
    after: _Document,
    old: dict,
    new: dict,
    where: str,
    *,
    request: bool,
    depth: int = 0,
) -> list[str]:
    old, new = before.resolve(old), after.resolve(new)
    if depth > 20 or (not old and not request):
        return []
    problems = []
    if old.get("type") and new.get("type") and old["type"] != new["type"]:
        return [f"{where}: type changed from {old['type']} to {new['type']}"]
    if "enum" in old and "enum" in new:
        dropped = [v for v in old["enum"] if v not in new["enum"]]
        if dropped:
            problems.append(f"{where}: enum narrowed, {dropped} no longer allowed")
    if request:
        newly_required = set(new.get("required", [])) - set(old.get("required", []))
        problems += [f"{where}: new required field '{name}'" for name in sorted(newly_required)]
        problems += _narrowed_bounds(old, new, where)
    else:
        optional = set(old.get("required", [])) - set(new.get("required", []))
        problems += [
            f"{where}: field '{name}' no longer always sent"
            for name in sorted(optional)
            if name in new.get("properties", {})
        ]
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            if not request:
                problems.append(f"{where}: field '{name}' removed")
            continue
        problems += _compare(
            before,
            after,
            old_prop,
            new_props[name],
            f"{where}.{name}",
            request=request,
            depth=depth + 1,
        )
    if "items" in old and "items" in new:
        problems += _compare(
            before,
            after,
            old["items"],
            new["items"],
            f"{where}[]",
            request=request,
            depth=depth + 1,
        )
    return problems


# A request value's bounds: (keyword, True when a larger value admits more).
_UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")
_LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")


def _narrowed_bounds(old: dict, new: dict, where: str) -> list[str]:
    """A request value the old document admitted that the new one refuses: a bound added or
    tightened, a pattern added or changed."""
    problems = []
    for keyword in _UPPER_BOUNDS + _LOWER_BOUNDS:
        if keyword not in new:
            continue
        upper = keyword in _UPPER_BOUNDS
        before = old.get(keyword)
        if before is None or (new[keyword] < before if upper else new[keyword] > before):
            problems.append(f"{where}: {keyword} narrowed from {before} to {new[keyword]}")
    if "pattern" in new and new["pattern"] != old.get("pattern"):
        problems.append(f"{where}: pattern changed to {new['pattern']!r}")
    return problems


contract_cli = AppGroup("contract", help="Compare the OpenAPI document with its snapshot.")


def _live_document() -> dict:
    return json.loads(json.dumps(current_app.extensions["mlapi.api"].spec.to_dict()))


@contract_cli.command("check")
@click.option("--snapshot", type=click.Path(path_type=Path), default=DEFAULT_SNAPSHOT)
def check_command(snapshot: Path) -> None:
    """Fail when the live document breaks the snapshot's clients."""
    problems = breaking_changes(json.loads(snapshot.read_text()), _live_document())
    if problems:
        raise click.ClickException(
            "breaking changes against the snapshot:\n  " + "\n  ".join(problems)
        )
    click.echo(f"no breaking changes against {snapshot}")


@contract_cli.command("update")
@click.option("--snapshot", type=click.Path(path_type=Path), default=DEFAULT_SNAPSHOT)
def update_command(snapshot: Path) -> None:
    """Rewrite the snapshot from the live document (a deliberate contract change)."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    snapshot.write_text(json.dumps(_live_document(), indent=2, sort_keys=True) + "\n")
    click.echo(f"wrote {snapshot}")
