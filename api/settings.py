"""Settings: where the store is, how the server keeps its read models current, and what it logs.

Read by pydantic-settings, highest first: the values a caller passes (the CLI's `--database-url`,
`--log-level`), the environment (`SLA_LEDGER_<FIELD>`), the TOML file named by `--config` or
`SLA_LEDGER_CONFIG` (top-level keys named like the fields), then the defaults below.
`load_settings` is the one place the environment is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ledger.store.location import DEFAULT_DATABASE_URL, StoreLocation

__all__ = [
    "CONFIG_VARIABLE",
    "Settings",
    "SettingsError",
    "load_settings",
    "settings_from_environment",
]

CONFIG_VARIABLE = "SLA_LEDGER_CONFIG"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class SettingsError(ValueError):
    """The configuration cannot be used; the message names the setting and where it came from."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLA_LEDGER_", frozen=True, extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    follow: bool = True  # keep the read models current from a background thread
    poll_seconds: float = Field(0.2, gt=0)
    page_size: int = Field(500, ge=1)  # events the read models apply per transaction
    log_level: LogLevel = "INFO"  # JSON lines on stderr: writes, refusals, projection pages
    alert_scope_label: str = "sla_scope"  # an alert with this label = "all" concerns every account
    alert_accounts_label: str = "sla_accounts"  # or this label: comma-separated account ids
    metrics_public: bool = False  # GET /metrics without a key (else an operator or auditor key)
    connect_timeout: float = Field(2.0, gt=0)  # seconds to wait for PostgreSQL (then 503 / exit 3)

    signing_key_file: str | None = None  # None: beside an SQLite store, else in the cwd
    ui_secret: str | None = None  # signs web-view cookies; None: a new one per process

    def key_file(self) -> Path:
        """The signing key's file: the setting, else `<sqlite file>.signing-key` beside an
        SQLite store, else `sla-ledger-signing.key` in the working directory."""
        if self.signing_key_file:
            return Path(self.signing_key_file)
        location = StoreLocation.parse(self.database_url)
        if location.backend == "sqlite" and not location.path.startswith(("file:", ":memory:")):
            return Path(f"{location.path}.signing-key")
        return Path("sla-ledger-signing.key")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources = [init_settings, env_settings]
        config = os.environ.get(CONFIG_VARIABLE)
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)


def load_settings(config_file: Path | None = None, **values: Any) -> Settings:
    """The settings: `values` (None = not given) over the environment over the TOML file.

    Raises:
        SettingsError: the TOML file is missing or malformed, or a value is invalid.
    """
    given = {name: value for name, value in values.items() if value is not None}
    path = config_file or (
        Path(os.environ[CONFIG_VARIABLE]) if os.environ.get(CONFIG_VARIABLE) else None
    )
    if path is not None and not path.is_file():
        raise SettingsError(f"configuration file {path} does not exist")
    previous = os.environ.get(CONFIG_VARIABLE)
    try:
        if path is not None:
            os.environ[CONFIG_VARIABLE] = str(path)
        return Settings(**given)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SettingsError(f"invalid settings ({problems})") from None
    except ValueError as error:  # a malformed TOML file
        raise SettingsError(f"cannot read configuration file {path}: {error}") from None
    finally:
        if previous is None:
            os.environ.pop(CONFIG_VARIABLE, None)
        else:
            os.environ[CONFIG_VARIABLE] = previous


def settings_from_environment(*, follow: bool | None = None) -> Settings:
    """The environment's settings (and its TOML file's), with `follow` if given."""
    return load_settings(follow=follow)
