"""Settings: the command line over the environment over a TOML file; `--version`; bad settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import Settings, SettingsError, load_settings
from api.version import VERSION
from tests.factories import ndjson, signed


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
        check=False,
    )  # fmt: skip


def test_the_version_is_the_package_version() -> None:
    done = cli("--version")
    assert (done.returncode, done.stdout) == (0, f"sla-ledger {VERSION}\n")
    assert VERSION == "0.1.0"


def test_database_url_option_beats_the_environment_and_the_config_file(tmp_path: Path) -> None:
    chosen, other = tmp_path / "chosen.db", tmp_path / "other.db"
    config = tmp_path / "sla.toml"
    config.write_text(f'database_url = "sqlite:///{other}"\n')
    facts = tmp_path / "facts.ndjson"
    facts.write_text(ndjson(signed("acme")))
    env = {"SLA_LEDGER_DATABASE_URL": f"sqlite:///{other}"}
    done = cli("--config", str(config), "--database-url", f"sqlite:///{chosen}", "import",
               str(facts), env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert chosen.exists() and not other.exists()


def test_the_config_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sla.toml"
    config.write_text(
        'database_url = "sqlite:///from-file.db"\npage_size = 7\nlog_level = "DEBUG"\n'
    )
    monkeypatch.setenv("SLA_LEDGER_CONFIG", str(config))
    monkeypatch.setenv("SLA_LEDGER_PAGE_SIZE", "9")
    settings = load_settings()
    assert (settings.database_url, settings.page_size, settings.log_level) == (
        "sqlite:///from-file.db", 9, "DEBUG",
    )  # fmt: skip
    assert load_settings(page_size=3).page_size == 3
    assert Settings().alert_scope_label == "sla_scope"


def test_bad_settings_are_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="page_size"):
        load_settings(page_size=0)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(config_file=tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("page_size = [\n")
    done = cli("--config", str(broken), "events")
    assert done.returncode == 2
    assert f"cannot read configuration file {broken}" in done.stderr
    done = cli("events", env={"SLA_LEDGER_LOG_LEVEL": "loud"})
    assert done.returncode == 2 and "log_level" in done.stderr


def test_shell_completion_is_offered() -> None:
    done = cli("--help")
    assert "--install-completion" in done.stdout and "--database-url" in done.stdout
