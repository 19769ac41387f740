"""One settings object, read from ``CRENEAU_*`` environment variables.

Every field is documented here and in the README; the README table is checked against
this class by a test so the two cannot drift apart.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from planner.errors import ConfigError

ENV_PREFIX = "CRENEAU_"

#: Variables with the prefix that belong to the test tooling, not to the application.
NON_APP_VARIABLES = {"CRENEAU_TEST_DATABASE_URL", "CRENEAU_TEST_REDIS_URL", "CRENEAU_REQUIRE_SERVICES"}


class Settings(BaseSettings):
    """Runtime configuration of Créneau."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    database_url: str = Field(
        default="sqlite:///var/creneau.db",
        description="SQLAlchemy URL of the database. SQLite file by default; "
        "use postgresql://user@host/db for production.",
    )
    data_dir: Path = Field(
        default=Path("var"),
        description="Folder for the SQLite file, the generated secret key and backups.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key that signs links and tokens. When unset, a random key is created "
        "once in DATA_DIR/secret.key.",
    )
    host: str = Field(default="127.0.0.1", description="Address `creneau serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `creneau serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes of `creneau serve`.")
    default_locale: Literal["fr", "en"] = Field(
        default="fr", description="Language used when the browser asks for none we have."
    )
    centre_name: str | None = Field(
        default=None,
        description="Name shown in the header; defaults to the first site in the database.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Level of the server's log."
    )
    debug: bool = Field(default=False, description="Show tracebacks in error pages (never in production).")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        return value

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is an embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    def signing_key(self) -> bytes:
        """The key that signs links and tokens, created on first use when not configured."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    value = os.environ.get(ENV_PREFIX + field.upper(), "")
    return f"{ENV_PREFIX}{field.upper()}={value!r} is not valid: {first['msg']}."


def unknown_variables() -> list[str]:
    """Names of ``CRENEAU_*`` variables in the environment that no setting reads."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    return sorted(
        name for name in os.environ
        if name.startswith(ENV_PREFIX) and name not in known and name not in NON_APP_VARIABLES
    )


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning any problem into one :class:`ConfigError` sentence."""
    unknown = unknown_variables()
    if unknown:
        raise ConfigError(
            f"Unknown setting {unknown[0]}: see the configuration table in README.md "
            "for the variables Créneau reads."
        )
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return load_settings()
