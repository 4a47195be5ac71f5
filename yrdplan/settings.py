"""Typed settings, built once at start-up (never at import), with defaults and help text.

Every field can be set from the environment as ``YRDPLAN_<NAME>`` (e.g. ``YRDPLAN_DATABASE_URL``);
the README's settings table is checked against this class by ``tests/test_docs.py``.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///yrdplan.db"


class Settings(BaseSettings):
    """yrdplan's configuration."""

    model_config = SettingsConfigDict(env_prefix="YRDPLAN_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="Database URL: a SQLite file (default: yrdplan.db in the working directory) "
        "or postgresql://user:pass@host/db.",
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, description="Port the web server listens on.")
    secret_key: str | None = Field(
        None,
        description="Key that signs session cookies. Unset: a random key is made once and kept in "
        "the database, so every worker on one database shares it.",
    )
    default_language: str = Field(
        "zh", description="UI language when the user has not chosen: zh or en."
    )
    login_max_failures: int = Field(
        5,
        description="Failed log-ins for one user name within login_window_minutes before it is throttled.",
    )
    login_window_minutes: int = Field(15, description="Window for counting failed log-ins.")
    login_max_failures_per_client: int = Field(
        20,
        description="Failed log-ins from one client address (any user names) within "
        "login_window_minutes before it is throttled.",
    )
    session_max_age_hours: int = Field(
        12, description="Longest life of a page session, however active."
    )
    session_idle_minutes: int = Field(60, description="A page session unused for this long ends.")
    max_upload_mb: int = Field(
        20, description="Largest evidence or import file accepted through the web."
    )
    cookie_secure: bool = Field(False, description="Mark cookies Secure (set true behind HTTPS).")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (e.g. a ``--db`` option) on top."""
    values = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**values)
