"""Who may import whom, made executable: the floor plan of `ledger/` -> `projections/` -> `api/`.

Rule modules are pure: no database driver, no `orjson`, no store, no read-model machinery.
Adapters (the store, the application service, the read side's loader, tables, runner and report
service, and everything in `api/`) may use them. Nothing imports upwards, and no module imports
itself back through a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "api")

ADAPTERS = {
    "ledger.application",
    "ledger.log_signing",
    "ledger.store",
    "projections.dialect",
    "projections.loader",
    "projections.log",
    "projections.parallel",
    "projections.projection",
    "projections.reports",
    "projections.runner",
    "projections.tracking",
}
"""Modules (and packages) allowed to do I/O; every other module of ledger/ and projections/
is a rule module."""

FORBIDDEN_IN_RULES = (
    "psycopg",
    "sqlite3",
    "orjson",
    "eventsourcing.application",
    "eventsourcing.persistence",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
    "eventsourcing.projection",
    *sorted(ADAPTERS),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(name: str, prefixes: set[str] | tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _is_adapter(module: str) -> bool:
    return _within(module, ADAPTERS) or module.endswith(".table") or module.startswith("api")


SOURCES = _sources()
RULE_MODULES = sorted(m for m in SOURCES if not _is_adapter(m))


def test_the_rule_modules_are_the_ones_the_layout_names() -> None:
    assert "projections.availability.rules" in RULE_MODULES
    assert "ledger.state" in RULE_MODULES and "ledger.handlers" in RULE_MODULES
    assert "projections.availability.table" not in RULE_MODULES
    assert len(RULE_MODULES) > 30


@pytest.mark.parametrize("module", RULE_MODULES)
def test_a_rule_module_does_no_io(module: str) -> None:
    imported = _imports(SOURCES[module])
    assert not [name for name in imported if _within(name, FORBIDDEN_IN_RULES)], module


@pytest.mark.parametrize("module", sorted(m for m in SOURCES if not m.startswith("api")))
def test_nothing_imports_upwards(module: str) -> None:
    imported = _imports(SOURCES[module])
    assert not [name for name in imported if _within(name, ("api",))], module
    if module.startswith("ledger"):
        assert not [name for name in imported if _within(name, ("projections",))], module


def test_no_module_imports_itself_back() -> None:
    graph = {
        module: {
            target
            for name in _imports(path, top_level_only=True)
            for target in (name, name.rpartition(".")[0])
            if target in SOURCES and target != module
        }
        for module, path in SOURCES.items()
    }
    # a package importing its own submodules (its public face) is not a cycle
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not t.startswith(module + ".")}
    cycles = [m for m in graph if _reaches(graph, m, m)]
    assert cycles == []


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    stack = list(graph[start])
    while stack:
        current = stack.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            stack.extend(graph.get(current, ()))
    return False


def test_the_check_would_catch_a_driver_in_a_rule_module(tmp_path: Path) -> None:
    rule = tmp_path / "rule.py"
    rule.write_text("import orjson\nfrom ledger.store.ports import LogRow\n", encoding="utf-8")
    caught = sorted(name for name in _imports(rule) if _within(name, FORBIDDEN_IN_RULES))
    assert caught == ["ledger.store.ports", "ledger.store.ports.LogRow", "orjson"]


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [m for m in graph if _reaches(graph, m, m)] == ["a", "b", "c"]
