"""The CLI's edges: usage errors, missing stores, unreachable stores, and secrets never echoed."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.e2e.test_cli_import import run
from tests.factories import ndjson, signed


@pytest.mark.parametrize(
    "args",
    [
        ("stats",),
        ("events",),
        ("credits", "--account", "acme"),
        ("availability", "--account", "acme", "--month", "2026-04"),
        ("project", "--once"),
    ],
)
def test_a_read_only_command_on_a_missing_store_creates_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "typo" / "ledger.db"
    result = run(f"sqlite:///{missing}", *args)
    assert result.returncode == 3, result.stderr
    assert f"no store at {missing}" in result.stderr
    assert not (tmp_path / "typo").exists()


def test_credits_term_zero_is_a_usage_error(sqlite_url: str) -> None:
    assert run(sqlite_url, "import", "-", stdin=ndjson(signed("acme"))).returncode == 0
    result = run(sqlite_url, "credits", "--account", "acme", "--term", "0")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "--term" in result.stderr


def test_serve_against_an_unreachable_store_says_so_in_one_line() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(f"postgresql://postgres@127.0.0.1:{port}/nothing", "serve", "--port", "1")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: store unavailable")


def test_keys_revoke_accepts_the_whole_key_and_never_echoes_it(database_url: str) -> None:
    created = run(database_url, "keys", "create", "--role", "auditor")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    key_id = secret.split("_")[1]
    revoked = run(database_url, "keys", "revoke", secret)
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked key {key_id}" in revoked.stdout
    assert secret.split("_", 2)[2] not in revoked.stdout + revoked.stderr
    unknown = run(database_url, "keys", "revoke", "slk_000000000000_secretpart")
    assert unknown.returncode == 4
    assert "secretpart" not in unknown.stdout + unknown.stderr


def test_a_customer_key_for_the_reserved_account_star_is_refused(sqlite_url: str) -> None:
    result = run(sqlite_url, "keys", "create", "--role", "customer", "--account", "*")
    assert result.returncode == 2, result.stderr
    assert "not an account id" in result.stderr
