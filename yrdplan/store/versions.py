"""Data versions: a counter per table that every write bumps, and the tables a computation reads.

Writes: ``install_data_versions`` hooks a session factory (beside the audit log) so that each
transaction notes the tables it inserts into, updates or deletes from — ORM flushes and Core
statements run through the session alike — and, just before it commits, adds one to their rows
in ``data_versions`` (an upsert, in table-name order so that concurrent writers cannot deadlock).
The counters change in the same transaction as the data, so a reader never sees new data under
an old version or the other way round; SQLite and PostgreSQL behave the same.

Reads: inside :func:`tracking_reads` every SELECT a session runs (lazy loads included) adds the
tables it touches to a set. A result computed inside it depends on exactly those tables; it stays
valid while their versions do (:mod:`yrdplan.store.computed`, :mod:`yrdplan.web.http_cache`).

Writes that bypass a session from an installed factory (psql, another program) do not bump the
versions; everything in yrdplan writes through ``Database.write`` or ``yrdplan init``/restore.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Table, event, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.sql.util import find_tables

from yrdplan.store.schema import DataVersion, utcnow

_CHANGED = "_data_versions_changed"
_BUMPED = "_data_versions_bumped"  # what a transaction bumped, told to listeners once committed
# Tables whose writes change no computed result: the audit trail, the counters themselves and
# the shared computed results.
UNVERSIONED = frozenset({"audit_log", "data_versions", "computed_results"})

logger = logging.getLogger(__name__)
#: Called with the engine and the tables a transaction changed, once it has committed.
_committed_listeners: list[Callable[[Engine, frozenset[str]], None]] = []

_known: contextvars.ContextVar[dict[str, int] | None] = contextvars.ContextVar(
    "yrdplan_known_versions", default=None
)
_reads: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "yrdplan_tracked_reads", default=None
)


# -- reading -----------------------------------------------------------------------------------


def read_versions(session_or_connection: Session | Connection) -> dict[str, int]:
    """Every table's version (a table never written has none: read it as 0)."""
    rows = session_or_connection.execute(select(DataVersion.name, DataVersion.version)).all()
    return {name: version for name, version in rows}


@contextmanager
def versions_known(versions: dict[str, int]) -> Iterator[None]:
    """Let :func:`current_versions` answer ``versions`` inside the block without a query.

    For a request whose versions were read as it began: data read later are at least as new,
    so results built then are kept under versions no newer than their data (never stale).
    """
    token = _known.set(versions)
    try:
        yield
    finally:
        _known.reset(token)


def current_versions(session: Session) -> dict[str, int]:
    """The versions the enclosing :func:`versions_known` block gave, else read them now."""
    known = _known.get()
    return known if known is not None else read_versions(session)


def last_change(session_or_connection: Session | Connection, tables: Iterable[str]):
    """When any of ``tables`` last changed (naive UTC), or None if none ever did."""
    names = list(tables)
    if not names:
        return None
    rows = session_or_connection.execute(
        select(DataVersion.changed_at).where(DataVersion.name.in_(names))
    ).all()
    return max((row[0] for row in rows), default=None)


@contextmanager
def tracking_reads() -> Iterator[set[str]]:
    """Collect, into the yielded set, the tables every session reads inside the block.

    Blocks nest: an inner block's tables are added to the outer one's too.
    """
    outer = _reads.get()
    tables: set[str] = set()
    token = _reads.set(tables)
    try:
        yield tables
    finally:
        _reads.reset(token)
        if outer is not None:
            outer |= tables


def note_reads(tables: Iterable[str]) -> None:
    """Count ``tables`` as read by the enclosing :func:`tracking_reads` block (if any).

    For a result taken from a cache: the block that uses it depends on what it was built from.
    """
    current = _reads.get()
    if current is not None:
        current.update(tables)


# -- writing -----------------------------------------------------------------------------------


def bump_versions(connection: Connection, tables: Iterable[str]) -> None:
    """Add one to the version of each of ``tables`` (creating rows as needed)."""
    names = sorted(set(tables) - UNVERSIONED)
    if not names:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    for name in names:  # one row at a time, in name order: concurrent writers lock alike
        statement = insert(DataVersion).values(name=name, version=1, changed_at=now)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[DataVersion.name],
                set_={"version": DataVersion.version + 1, "changed_at": now},
            )
        )


def _changed(session: Session) -> set[str]:
    return session.info.setdefault(_CHANGED, set())


def has_uncommitted_writes(session: Session) -> bool:
    """Whether the session's transaction changed data (flushed or not) it has not committed."""
    written = session.info.get(_CHANGED, set()) - UNVERSIONED
    return bool(written or session.new or session.deleted or session.dirty)


def _note_flush(session: Session, _flush_context, _instances) -> None:
    changed = _changed(session)
    for obj in (*session.new, *session.deleted):
        changed.add(obj.__tablename__)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            changed.add(obj.__tablename__)


def _note_statement(state: ORMExecuteState) -> None:
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if table is not None and getattr(table, "name", None):
            _changed(state.session).add(table.name)
        return
    tables = _reads.get()
    if tables is not None and state.is_select:
        for table in find_tables(statement, include_aliases=True, include_joins=True):
            if isinstance(table, Table) and table.name not in UNVERSIONED:
                tables.add(table.name)


def _bump_before_commit(session: Session) -> None:
    session.flush()  # what is still pending is part of this transaction: note it first
    changed = session.info.pop(_CHANGED, set())
    if changed:
        bump_versions(session.connection(), changed)
        session.info[_BUMPED] = frozenset(changed - UNVERSIONED)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_BUMPED, None)


def on_commit(listener: Callable[[Engine, frozenset[str]], None]) -> None:
    """Call ``listener(engine, tables)`` after each commit that changed ``tables``."""
    if listener not in _committed_listeners:
        _committed_listeners.append(listener)


def _tell_listeners(session: Session) -> None:
    tables = session.info.pop(_BUMPED, None)
    if not tables:
        return
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    for listener in _committed_listeners:
        try:
            listener(engine, tables)
        except Exception:  # the data are committed; a listener's trouble must not undo that
            logger.exception("a listener of committed writes failed")


def install_data_versions(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Make every transaction of sessions from ``factory`` bump the versions of what it wrote."""
    event.listen(factory, "before_flush", _note_flush)
    event.listen(factory, "before_commit", _bump_before_commit)
    event.listen(factory, "after_rollback", _forget)
    event.listen(factory, "after_commit", _tell_listeners)
    if not event.contains(Session, "do_orm_execute", _note_statement):
        # On the class: sessions made elsewhere (bound to a page's connection) are tracked too.
        event.listen(Session, "do_orm_execute", _note_statement)
    return factory
