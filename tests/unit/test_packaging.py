"""Packaging: one version everywhere, a licence, typed packages, development tools pinned."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import metadata
from pathlib import Path

from api.app import create_app
from api.settings import Settings
from api.version import VERSION

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_one_version_everywhere() -> None:
    assert VERSION == PROJECT["version"] == metadata("sla-ledger")["Version"]
    app = create_app(Settings(database_url="sqlite:///:memory:", follow=False))
    assert app.version == VERSION
    assert app.openapi()["info"]["version"] == VERSION


def test_licence_classifiers_and_typed_packages() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert PROJECT["license"] == "MIT"
    assert "Typing :: Typed" in PROJECT["classifiers"]
    for package in ("ledger", "projections", "api"):
        assert (ROOT / package / "py.typed").is_file()


def test_every_development_tool_is_pinned_exactly() -> None:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name] = version
    tools = {
        re.split(r"[<>=\[ ]", spec, maxsplit=1)[0]
        for spec in PROJECT["optional-dependencies"]["dev"]
    }
    assert tools <= set(pins), f"not pinned in constraints.txt: {sorted(tools - set(pins))}"
    assert "-c constraints.txt" in (ROOT / "scripts" / "lib.sh").read_text()
