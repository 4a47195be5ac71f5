"""Computed results kept ready: built once per change of the data they were built from.

A page that shows something costly to build (the rows of a monitoring run, a completion roll-up,
the region map) asks for it through :func:`cached`::

    page = cached(session, ("completion", plan), lambda s: completion_page(s, plan))

The first call builds it in a session of its own on the same connection (so on the same
snapshot) while :func:`yrdplan.store.versions.tracking_reads` notes every table the build reads.
The result is kept in this process with those tables' versions, read *before* the build. Later
calls read the versions again (one small query, or the request's own from
:mod:`yrdplan.web.http_cache`) and return the kept result while none of those
tables changed; otherwise they take what another worker stored in ``computed_results`` under
the same versions, or build it again and store it there. Every write bumps the versions of what it wrote in
its own transaction (:mod:`yrdplan.store.versions`), so the result is never older than the data:
any number of worker processes on any number of machines behind one database each keep their own
copy and all answer the same.

Rules for a ``build`` function: it reads the database only through the session it is given,
returns plain data (dicts, lists, dataclasses; no ORM rows), depends on nothing else but its key (and today's date, which is part of every key: task statuses
depend on it), and its result is treated as read-only by every caller (copy before changing).
Dependencies are discovered, not declared, so a page that starts reading another table is kept
correct without anyone remembering to say so. Builds nest: a kept result used inside another
build makes the outer one depend on its tables too.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import os
import pickle
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from yrdplan import __version__
from yrdplan.domain.people import UserInfo
from yrdplan.store.engine import IMMEDIATE
from yrdplan.store.schema import ComputedResult, utcnow
from yrdplan.store.versions import (
    current_versions,
    has_uncommitted_writes,
    note_reads,
    on_commit,
    tracking_reads,
)

logger = logging.getLogger(__name__)
_pending: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "yrdplan_pending_shares", default=None
)
T = TypeVar("T")
_BUILD = "yrdplan_build_memo"  # session.info key: marks a build's session and holds its memo
#: Results kept per database and process; the least recently used go first.
MAX_ENTRIES = 512
#: A result asked for within this many seconds is built again as soon as a write changes its
#: data (compute on write), so that the next page view finds it ready; at most this many per write.
IN_DEMAND_SECONDS = 60.0
MAX_REBUILDS_PER_WRITE = 32
#: Off unless ``YRDPLAN_COMPUTE_ON_WRITE=1``: measured, rebuilding every result in demand after
#: each write cost more than it saved (docs/performance.md, "Compute on write").
COMPUTE_ON_WRITE = os.environ.get("YRDPLAN_COMPUTE_ON_WRITE", "0") == "1"
_rebuilding: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "yrdplan_rebuilding", default=False
)


@dataclass(frozen=True)
class _Entry:
    versions: tuple[tuple[str, int], ...]  # the tables read, with their versions
    value: object

    def valid(self, current: dict[str, int]) -> bool:
        return all(current.get(name, 0) == version for name, version in self.versions)


@dataclass
class _Recipe:
    """How to build a result again without a request: its key, build function, when last asked."""

    key: tuple
    build: Callable[[Session], object]
    share: bool
    asked_at: float


class _Store:
    def __init__(self) -> None:
        self.entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.building: dict[Hashable, threading.Lock] = {}
        self.builds = 0  # how many times something was built (tests and benchmarks read it)
        self.recipes: dict[Hashable, _Recipe] = {}
        self.pending: OrderedDict[Hashable, None] = OrderedDict()  # to build again, in order
        self.rebuilder: threading.Thread | None = None
        self.idle = threading.Condition(self.lock)  # notified when the rebuilder is done

    def note_asked(self, full_key: Hashable, recipe: _Recipe) -> None:
        with self.lock:
            self.recipes[full_key] = recipe

    def get(self, key: Hashable) -> _Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: _Entry) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def build_lock(self, key: Hashable) -> threading.Lock:
        with self.lock:
            return self.building.setdefault(key, threading.Lock())


_stores: WeakKeyDictionary[Engine, _Store] = WeakKeyDictionary()
_stores_lock = threading.Lock()


def _store_for(session: Session) -> _Store:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    with _stores_lock:
        store = _stores.get(engine)
        if store is None:
            store = _stores[engine] = _Store()
        return store


def cached(session: Session, key: tuple, build: Callable[[Session], T], *, share: bool = True) -> T:
    """``build(session)``'s result for ``key``, built again only when its data changed.

    ``key`` names the result and holds every argument ``build`` depends on (hashable values);
    the caller's user belongs in it when the result depends on who asks. With ``share`` the
    result is also stored in the database (``computed_results``) for the other workers; turn it
    off for results that are stored elsewhere already or too big to copy.
    """
    if has_uncommitted_writes(session):
        # Built from data that may yet roll back, under versions not yet bumped: not to be kept.
        return build(session)
    store = _store_for(session)
    full_key = (*key, date.today())
    if not _rebuilding.get():
        store.note_asked(full_key, _Recipe(key, build, share, time.monotonic()))
    current = current_versions(session)
    entry = store.get(full_key)
    if entry is None or not entry.valid(current):
        with store.build_lock(full_key):
            # Another thread may have built it while this one waited.
            entry = store.get(full_key)
            if entry is None or not entry.valid(current):
                entry = _load_shared(session, full_key, current) if share else None
                if entry is None:
                    entry = _build(session, build, current)
                    store.builds += 1
                    if share:
                        _save_shared(session, full_key, entry)
                store.put(full_key, entry)
    note_reads(name for name, _ in entry.versions)
    return entry.value  # type: ignore[return-value]


def _shared_key(full_key: tuple) -> str:
    return hashlib.sha256(f"{code_digest()}{full_key!r}".encode()).hexdigest()


def _load_shared(session: Session, full_key: tuple, current: dict[str, int]) -> _Entry | None:
    """What another worker built for ``full_key``, if it is still valid."""
    row = session.execute(
        select(ComputedResult.versions, ComputedResult.value).where(
            ComputedResult.key == _shared_key(full_key)
        )
    ).first()
    if row is None:
        return None
    entry = _Entry(tuple(sorted(row.versions.items())), None)
    if not entry.valid(current):
        return None
    return _Entry(entry.versions, pickle.loads(zlib.decompress(row.value)))


@contextmanager
def deferring_shares() -> Iterator[list]:
    """Inside the block, results to share are collected instead of written: the caller writes
    them with :func:`save_shares` once its own connection is back in the pool (a request that
    waited for a second connection while holding one could wait for ever when all do)."""
    pending: list = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def save_shares(pending: list) -> None:
    for engine, full_key, entry in pending:
        _write_shared(engine, full_key, entry)


def _save_shared(session: Session, full_key: tuple, entry: _Entry) -> None:
    """Offer ``entry`` to the other workers: now, or when the enclosing request is done."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    pending = _pending.get()
    if pending is not None:
        pending.append((engine, full_key, entry))
    else:
        _write_shared(engine, full_key, entry)


def _write_shared(engine: Engine, full_key: tuple, entry: _Entry) -> None:
    values = {
        "key": _shared_key(full_key),
        "versions": dict(entry.versions),
        "value": zlib.compress(pickle.dumps(entry.value, pickle.HIGHEST_PROTOCOL), 1),
        "built_at": utcnow(),
    }
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ComputedResult).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[ComputedResult.key],
        set_={k: v for k, v in values.items() if k != "key"},
    )
    try:
        with engine.connect() as connection:
            connection.execution_options(**{IMMEDIATE: True})
            with connection.begin():
                connection.execute(statement)
                if secrets.randbelow(100) == 0:  # now and then, forget what no key asks again
                    old = utcnow() - timedelta(days=2)
                    connection.execute(delete(ComputedResult).where(ComputedResult.built_at < old))
    except SQLAlchemyError as err:  # sharing is an optimisation: the answer stands without it
        logger.warning("could not share a computed result: %s", err)


@cache
def code_digest() -> str:
    """A digest of the code and templates: results built by other code are not reused."""
    digest = hashlib.sha256(__version__.encode())
    root = Path(str(resources.files("yrdplan")))
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".html", ".css", ".toml") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _build(session: Session, build: Callable[[Session], T], current: dict[str, int]) -> _Entry:
    # A session of its own on the caller's connection: the same snapshot, but an empty identity
    # map, so that every row the build uses is read (and so noted) inside the block.
    with tracking_reads() as tables, Session(bind=session.connection()) as own:
        own.info[_BUILD] = {}
        value = build(own)
    return _Entry(tuple(sorted((name, current.get(name, 0)) for name in tables)), value)


def shared(session: Session, key: tuple, make: Callable[[], T]) -> T:
    """``make()`` once per build: parts of one build that need the same thing share it.

    Inside a :func:`cached` build (a read-only session of its own, gone when the build ends) the
    first call's result is reused by later calls with the same ``key``; anywhere else (a write
    session, which may change what ``make`` reads) ``make()`` runs every time.
    """
    memo = session.info.get(_BUILD)
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def who(user: UserInfo | None) -> tuple | None:
    """The part of a key that says who asks: what decides what a user may see."""
    if user is None:
        return None
    return (user.id, user.role, user.unit_id, tuple(user.region_codes))


def build_count(session: Session) -> int:
    """How many results this process built for the session's database (for tests)."""
    return _store_for(session).builds


def forget_all() -> None:
    """Drop every kept result of this process (tests; never needed for correctness)."""
    with _stores_lock:
        _stores.clear()


# -- compute on write ---------------------------------------------------------------------------


def rebuild_after_write(engine: Engine, tables: frozenset[str]) -> None:
    """Queue the results in demand that were built from ``tables`` for building again, in a
    thread of their own, so that the page views after a write do not each wait for one."""
    if not COMPUTE_ON_WRITE:
        return
    with _stores_lock:
        store = _stores.get(engine)
    if store is None:
        return
    now = time.monotonic()
    with store.lock:
        for full_key in [
            k for k, r in store.recipes.items() if now - r.asked_at > IN_DEMAND_SECONDS
        ]:
            del store.recipes[full_key]
        stale = [
            full_key
            for full_key in store.recipes
            if (entry := store.entries.get(full_key)) is not None
            and any(name in tables for name, _ in entry.versions)
        ]
        stale.sort(key=lambda k: store.recipes[k].asked_at, reverse=True)
        for full_key in stale[:MAX_REBUILDS_PER_WRITE]:
            store.pending[full_key] = None
        if store.pending and store.rebuilder is None:
            store.rebuilder = threading.Thread(
                target=_rebuild_pending, args=(engine, store), name="yrdplan-rebuild", daemon=True
            )
            store.rebuilder.start()


def _rebuild_pending(engine: Engine, store: _Store) -> None:
    _rebuilding.set(True)  # what the rebuilder asks for is not demand (threads start context-free)
    while True:
        with store.lock:
            if not store.pending:
                store.rebuilder = None
                store.idle.notify_all()
                return
            full_key, _ = store.pending.popitem(last=False)
            recipe = store.recipes.get(full_key)
        if recipe is None or full_key[-1] != date.today():
            continue
        try:
            # Shares are written once the read connection is back in the pool (see
            # deferring_shares); a request waiting for this build holds a connection too.
            with deferring_shares() as shares:
                with Session(bind=engine) as session:
                    cached(session, recipe.key, recipe.build, share=recipe.share)
            save_shares(shares)
        except Exception as err:  # the next page view builds it itself, as without this
            logger.warning("could not build %r again after a write: %s", recipe.key[:1], err)
            with store.lock:
                store.recipes.pop(full_key, None)


def settle(session: Session, timeout: float = 30.0) -> None:
    """Wait until the results queued by writes are built again (tests and benchmarks)."""
    store = _store_for(session)
    with store.lock:
        store.idle.wait_for(lambda: store.rebuilder is None, timeout=timeout)


on_commit(rebuild_after_write)
