"""Schema migrations (one Alembic history for SQLite and PostgreSQL), run on a given connection.

Running on the caller's connection keeps a migration and the data load that follows it in one
transaction: a killed ``yrdplan init`` leaves the database as it was.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from yrdplan.errors import DatabaseError


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("yrdplan.store") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def check_revision(connection: Connection, where: str) -> str | None:
    """The database's revision; ``DatabaseError`` if a newer yrdplan made it or it is foreign."""
    revision = current_revision(connection)
    if revision is None:
        tables = set(inspect(connection).get_table_names())
        if tables - {"alembic_version"}:
            raise DatabaseError(
                f"{where}: not a yrdplan database (it has tables but no yrdplan schema version)"
            )
        return None
    script = ScriptDirectory.from_config(_config())
    try:
        script.get_revision(revision)
    except Exception as err:  # alembic raises several kinds for an unknown id
        raise DatabaseError(
            f"{where}: made by a newer yrdplan (schema revision {revision} is unknown to this version, "
            f"whose newest is {head_revision()}); upgrade yrdplan"
        ) from err
    return revision


def upgrade(connection: Connection, where: str) -> None:
    """Bring the schema to head on ``connection`` (no commit: the caller owns the transaction)."""
    check_revision(connection, where)
    command.upgrade(_config(connection), "head")


def is_current(connection: Connection, where: str) -> bool:
    return check_revision(connection, where) == head_revision()
