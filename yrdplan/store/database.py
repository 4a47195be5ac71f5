"""Opening a yrdplan database: engine, audited session factory, schema check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from yrdplan.errors import ConflictError, DatabaseError
from yrdplan.store.audit import SYSTEM, Actor, acting_as, install_audit
from yrdplan.store.engine import (
    IMMEDIATE,
    make_engine,
    make_session_factory,
    normalise_url,
    transaction,
)
from yrdplan.store.migrate import check_revision, head_revision
from yrdplan.store.schema import Region
from yrdplan.store.versions import install_data_versions


@dataclass
class Database:
    """An open database: where it is, its engine and its audited session factory."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def where(self) -> str:
        return describe_url(self.url)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self, actor: Actor = SYSTEM) -> Iterator[Session]:
        """One audited unit of work by ``actor``: committed at the end, rolled back on any error."""
        try:
            with acting_as(actor), transaction(self.sessions) as session:
                session.connection(execution_options={IMMEDIATE: True})
                yield session
        except StaleDataError as err:
            # Two people saved the same row at once (its row_version moved under this one).
            raise ConflictError(
                "someone else changed this record at the same moment; reload and try again"
            ) from err

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session


def describe_url(url: str) -> str:
    """A URL safe to print: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by normalise_url
        return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for PostgreSQL or in-memory)."""
    parsed = make_url(normalise_url(url))
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def connect(url: str) -> Database:
    """Open an existing database; ``DatabaseError`` naming it if it cannot be used."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise DatabaseError(
            f"{describe_url(url)}: no such database file (run `yrdplan init` first)"
        )
    engine = make_engine(url)
    where = describe_url(url)
    try:
        with engine.connect() as connection:
            revision = check_revision(connection, where)
    except OperationalError as err:
        engine.dispose()
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        raise DatabaseError(f"{where}: cannot open database: {reason}") from err
    except DatabaseError:
        engine.dispose()
        raise
    if revision is None:
        engine.dispose()
        raise DatabaseError(f"{where}: empty database (run `yrdplan init --db {where}` first)")
    if revision != head_revision():
        engine.dispose()
        raise DatabaseError(
            f"{where}: schema revision {revision} is older than {head_revision()} (run `yrdplan init` to migrate)"
        )
    sessions = install_data_versions(install_audit(make_session_factory(engine)))
    return Database(url=url, engine=engine, sessions=sessions)


def has_content(session: Session) -> bool:
    return session.scalar(select(Region.id).limit(1)) is not None


def reason_of(err: SQLAlchemyError) -> str:
    orig = getattr(err, "orig", None)
    return (str(orig) if orig else str(err)).strip().splitlines()[0]
