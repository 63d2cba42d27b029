"""The README's Rules tables name the function of every rule: each must exist and be used.

A rule renamed, moved or left dead makes this fail, so the tables stay a map of the code.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "api")


def rules_section(readme: str) -> str:
    start = readme.index("\n## Rules\n")
    end = readme.index("\n## ", start + 1)
    return readme[start:end]


def named_functions(section: str) -> list[str]:
    """The dotted names in the last column of every table row of `section`."""
    names: list[str] = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or set(cells[-1]) <= {"-"} or cells[-1] in {"Function"}:
            continue
        names += re.findall(r"`([A-Za-z_][\w.]*)`", cells[-1])
    return names


def resolve(dotted: str) -> object:
    """The object a dotted name names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise LookupError(f"{dotted}: no such module")


def used_names() -> set[str]:
    """Every name the sources read: names, attributes and imported names (not definitions)."""
    used: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    used.add(node.id)
                elif isinstance(node, ast.Attribute):
                    used.add(node.attr)
                elif isinstance(node, ast.ImportFrom):
                    used.update(alias.name for alias in node.names)
    return used


README = (ROOT / "README.md").read_text(encoding="utf-8")
NAMES = named_functions(rules_section(README))
USED = used_names()


def test_the_rules_tables_name_functions() -> None:
    assert len(NAMES) >= 50
    assert all(name.split(".")[0] in PACKAGES for name in NAMES), NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_named_rule_exists_and_is_used(name: str) -> None:
    resolve(name)  # raises if it does not exist
    assert name.rsplit(".", 1)[-1] in USED, f"{name} is never called"


def test_a_rule_that_is_not_there_is_caught() -> None:
    section = "\n## Rules\n| a | b | Function |\n|---|---|---|\n| x | y | `ledger.money.nope` |\n"
    (name,) = named_functions(rules_section(section + "\n## Next\n"))
    with pytest.raises(AttributeError):
        resolve(name)
    assert "an_unused_rule_name" not in USED
