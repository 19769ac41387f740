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
    # --- staff sign-in and protection (issue 5) ---
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Mark the staff session cookie Secure: `always`, `never` (plain http "
        "only), or `auto` (Secure unless the request is plain http to a loopback address).",
    )
    session_idle_minutes: int = Field(
        default=15, ge=1, le=1440, description="A staff session ends after this many idle minutes."
    )
    session_absolute_hours: int = Field(
        default=10, ge=1, le=168, description="A staff session ends this many hours after sign-in."
    )
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,::1",
        description="Comma-separated host names the server answers to (`*.example.org` "
        "allowed); other Host headers get 400.",
    )
    signin_attempts_per_account: int = Field(
        default=5, ge=1, description="Refused sign-ins per account in the window before throttling."
    )
    signin_attempts_per_ip: int = Field(
        default=20, ge=1, description="Refused sign-ins per address in the window before throttling."
    )
    signin_window_minutes: int = Field(
        default=15, ge=1, description="Window (minutes) over which refused sign-ins are counted."
    )
    channels_backend: Literal["memory", "redis"] = Field(
        default="memory",
        description="Where live updates (SSE) are published: `memory` (one worker) or `redis`.",
    )
    redis_url: str | None = Field(
        default=None, description="Redis URL for CRENEAU_CHANNELS_BACKEND=redis."
    )
    role: Literal["all", "web", "video"] = Field(
        default="all",
        description="What this process serves: `all` (everything, one worker), `web` (a worker "
        "that forwards video consultations to CRENEAU_VIDEO_URL) or `video` (the one process "
        "holding the consultation rooms). `creneau serve --workers N` sets it itself.",
    )
    video_url: str | None = Field(
        default=None,
        description="Internal address (http://127.0.0.1:PORT) of the video process, for "
        "CRENEAU_ROLE=web. `creneau serve --workers N` sets it itself.",
    )
    # --- video consultations (issue 6) ---
    ice_servers: str = Field(
        default="",
        description="STUN/TURN servers for video: a JSON list of URLs (or of RTCIceServer "
        "objects), or a comma list of stun:/turn: URLs. Empty: no public server is ever used.",
    )
    ice_username: str | None = Field(default=None, description="TURN user name.")
    ice_credential: str | None = Field(default=None, description="TURN password.")
    ice_host_addresses: str = Field(
        default="",
        description="Comma list of addresses the server announces to browsers (empty: every "
        "interface but loopback). Tests use 127.0.0.1.",
    )
    ice_accept_networks: str = Field(
        default="0.0.0.0/0,::/0",
        description="Comma list of CIDR networks whose remote candidates are accepted.",
    )
    video_open_before_minutes: int = Field(
        default=15, ge=0, le=1440, description="A consultation room opens this long before the start."
    )
    video_close_after_minutes: int = Field(
        default=30, ge=0, le=1440, description="A consultation room closes this long after the end."
    )
    video_token_minutes: int = Field(
        default=60, ge=1, le=1440, description="Lifetime of a join token minted for one visit."
    )
    # --- patient booking and e-mails (issue 4) ---
    public_base_url: str | None = Field(
        default=None,
        description="Address patients use to reach the server (e.g. https://rdv.example.org), "
        "put in e-mailed links; defaults to the request's address, or http://HOST:PORT.",
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for patient e-mails; unset = e-mails stay queued."
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="Port of the SMTP server.")
    smtp_username: str | None = Field(default=None, description="SMTP user name, if it asks for one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="Créneau <no-reply@localhost>", description="Sender (From) of patient e-mails."
    )
    smtp_starttls: bool = Field(default=False, description="Upgrade the SMTP connection with STARTTLS.")
    mail_interval_seconds: float = Field(
        default=15.0, gt=0, le=3600,
        description="How often the background sender sends queued e-mails, queues reminders "
        "and expires waitlist offers.",
    )
    rate_limit_api: int = Field(
        default=120, ge=0,
        description="Requests per minute per client on /api/v1 booking routes; 0 = no limit.",
    )

    retention_days: int = Field(
        default=1095, ge=0,
        description="Patients with no appointment for this many days are pseudonymised (0 = never).",
    )
    maintenance_hour: int = Field(
        default=3, ge=0, le=23,
        description="Local hour from which the daily jobs (retention, clean-ups) run.",
    )
    maintenance_interval_seconds: float = Field(
        default=300.0, ge=0, le=86400,
        description="How often each web worker checks whether the daily jobs are due (0 = never: "
        "run `creneau privacy retention` from cron instead).",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        return value

    @property
    def allowed_host_list(self) -> list[str]:
        """The allowed hosts as a list."""
        return [host.strip() for host in self.allowed_hosts.split(",") if host.strip()]

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
