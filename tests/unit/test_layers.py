"""Imports point one way: a module may import its own layer and the layers below, never one
above. Every import of every module under mlapi/ counts, at module level or inside a
function (a deferred import is still a dependency).

The layers, bottom to top, by top-level name under ``mlapi``:

- foundation: plumbing every domain may use, knowing no domain;
- auth: who the caller is (and ``api``, the Blueprint whose ``authenticated`` runs that check),
  the teams they belong to, what they may do (``policy``) and the audit log of changes to it;
- keys and registry: what a caller holds;
- predictions: answers from a registry's model;
- webhooks, admin, ops, bootstrap, retention: listen to the domains, report on them, start
  them, clear out what they no longer need;
- the app: the factory, the command line, the migrations (only ``wsgi.py`` imports it).

Domains tell the layers above what happened through blinker signals
(``mlapi/registry/signals.py``, ``mlapi/predictions/signals.py``), never by calling them.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mlapi"

LAYERS = [
    (
        "foundation",
        {
            "access_cache",
            "access_listener",
            "config",
            "cors",
            "counters",
            "database",
            "document",
            "errors",
            "extensions",
            "http",
            "limits",
            "lru",
            "pagination",
            "process_threads",
            "strict_json",
            "timeutil",
            "version",
        },
    ),
    ("auth, teams and policy", {"auth", "api", "audit", "policy", "teams"}),
    ("keys and registry", {"keys", "registry"}),
    ("predictions", {"predictions"}),
    ("listeners and operations", {"webhooks", "admin", "ops", "bootstrap", "retention"}),
    ("the app", {"app", "cli", "migrations", "pipeline", "__init__"}),
]
LAYER_OF = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The mlapi modules ``path`` (module ``name``) imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:  # ``from . import tokens`` imports a module
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else source)
    return {module for module in found if module == "mlapi" or module.startswith("mlapi.")}


def layer(module: str) -> int:
    """The rank of a module: its top-level name under mlapi (the package itself is the
    app's entry point, ``from mlapi import create_app``)."""
    parts = module.split(".")
    return LAYER_OF[parts[1] if len(parts) > 1 else "__init__"]


def upward_imports() -> list[str]:
    found = modules()
    known = set(found)
    return sorted(
        f"{name} ({LAYERS[layer(name)][0]}) imports {target} ({LAYERS[layer(target)][0]})"
        for name, path in found.items()
        for target in imported(name, path, known)
        if layer(target) > layer(name)
    )


def test_every_module_has_a_layer():
    names = {module.split(".")[1] if "." in module else "__init__" for module in modules()}
    assert names - set(LAYER_OF) == set(), "place each new module or package in LAYERS"


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports() == []


def test_the_check_sees_deferred_and_relative_imports(tmp_path):
    """The check itself: an import inside a function, written relatively, is found."""
    module = tmp_path / "service.py"
    module.write_text("def f():\n    from ..webhooks import events\n    from .. import cli\n")
    found = imported("mlapi.registry.service", module, {"mlapi.webhooks.events", "mlapi.cli"})
    assert found == {"mlapi.webhooks.events", "mlapi.cli"}
    assert [layer(target) > layer("mlapi.registry.service") for target in sorted(found)] == [
        True,
        True,
    ]
