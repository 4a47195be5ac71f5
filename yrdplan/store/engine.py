"""Engines and sessions for SQLite (the embedded default) and PostgreSQL, made by the caller.

Nothing here runs at import time: ``make_engine`` is called from the app factory or a CLI command.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from yrdplan.errors import DatabaseError, FieldError

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
#: Execution option of a connection that will write: on SQLite its transaction begins IMMEDIATE.
IMMEDIATE = "yrdplan_write"


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and pick the psycopg 3 driver for them."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseError(
            f"database URL {url!r} is not a valid URL (expected sqlite:///FILE or postgresql://…)"
        ) from err
    backend = parsed.get_backend_name()
    if backend == "postgres":
        backend = "postgresql"
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseError(
            f"database URL {url!r}: backend {backend!r} is not supported (use sqlite or postgresql)"
        )
    if backend == "postgresql" and parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with the per-backend settings yrdplan relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        pool = {}
        if make_url(url).database not in (None, "", ":memory:"):
            # A connection to a local file costs little: enough for every request thread (40).
            pool = {"pool_size": 20, "max_overflow": 20}
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, **pool)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, echo=echo, pool_pre_ping=True)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling commits before DDL, which would let a killed
    # `yrdplan init` leave half a schema; take over BEGIN so DDL is transactional too.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: a page's open read transaction must not block the write a form post makes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A write transaction takes the write lock up front (BEGIN IMMEDIATE): a deferred one
        # that read first cannot upgrade once another writer committed, and fails at once with
        # "database is locked" whatever the busy timeout; an immediate one waits its turn.
        immediate = connection.get_execution_options().get(IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _check_lengths)
    return factory


def _check_lengths(session: Session, _context, _instances) -> None:
    """A text longer than its column is refused naming the field, on both backends alike.

    PostgreSQL rejects it mid-statement (a server error to the user) and SQLite would keep it,
    so the limit is checked here, before any row is sent.
    """
    for obj in (*session.new, *session.dirty):
        state = inspect(obj)
        for attribute in state.mapper.column_attrs:
            length = getattr(attribute.columns[0].type, "length", None)
            value = state.dict.get(attribute.key)  # what is set; never loads an expired value
            if length and isinstance(value, str) and len(value) > length:
                raise FieldError(
                    attribute.key,
                    f"longer than {length} characters ({len(value):,})",
                    "fe.too_long",
                    limit=length,
                )


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back everything on any error."""
    session = factory()
    try:
        with session.begin():
            yield session
    finally:
        session.close()
