"""HTTP caching: ETags from data versions, so a repeat request is answered 304 without work.

Every successful GET (page, JSON twin, API, map) gets an ETag made of

* which tables the request read (a bit mask over the schema's tables, noted while it ran by
  :func:`yrdplan.store.versions.tracking_reads`), and
* a digest of those tables' versions, the request (path, query, ``Accept``, ``Authorization``,
  ``Host``, and the cookies for language, session, CSRF and one-time messages), today's date
  and the code and settings serving it.

A request that brings that tag back in ``If-None-Match`` is checked *before* any handler runs:
one query reads the versions, and if none of the tables changed the answer is ``304 Not
Modified``. The mask travels inside the tag, so any worker on any machine checks any tag; the
versions are read before the handler reads its data, so a tag never claims newer data than the
body has. Handlers must derive their answer from the database, the request and the date only
(the rule :mod:`yrdplan.store.computed` also relies on); a handler that does not (a clock,
a random draw, a file) must set its own ``Cache-Control`` and is then left alone.

Responses carry ``Cache-Control: no-cache`` (keep, but ask each time; ``private`` when a user or
session is involved), ``Vary: Accept, Authorization, Cookie`` and ``Last-Modified`` (when the
tables read last changed). Static files under ``/static`` keep Starlette's own ETag and
Last-Modified; asked for with a ``?v=`` version (:func:`static_url`) they are cached for a year.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date
from email.utils import format_datetime
from functools import cache
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yrdplan.store.computed import code_digest, deferring_shares, save_shares
from yrdplan.store.schema import Base, DataVersion
from yrdplan.store.versions import tracking_reads, versions_known

VARY = "Accept, Authorization, Cookie"
STATIC_FOREVER = "public, max-age=31536000, immutable"
_HEADERS = (b"accept", b"authorization", b"host", b"x-forwarded-proto", b"x-forwarded-host")


@cache
def _table_index() -> dict[str, int]:
    return {name: i for i, name in enumerate(sorted(Base.metadata.tables))}


def _mask(tables: set[str]) -> int:
    index = _table_index()
    return sum(1 << index[name] for name in tables if name in index)


def _tables_of(mask: int) -> list[str]:
    return [name for name, i in _table_index().items() if mask >> i & 1]


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return ""


# The cookies an answer may depend on: the language, the session (who; its CSRF token), the
# anonymous CSRF cookie and a one-time message. Others (a proxy's, say) do not split the cache.
_COOKIES = ("lang", "yrdplan_session", "yrdplan_csrf", "yrdplan_flash")


def _cookies(scope: Scope) -> dict[str, str]:
    found = {}
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key in _COOKIES:
            found[key] = value
    return found


def _identity(scope: Scope, settings_token: str) -> bytes:
    """Everything about the request (besides the data) that the answer may depend on."""
    parts = [
        code_digest(),
        settings_token,
        date.today().isoformat(),
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        json.dumps(_cookies(scope), sort_keys=True),
        *(_header(scope, name) for name in _HEADERS),
    ]
    return "\x1f".join(parts).encode()


def _tag(identity: bytes, mask: int, versions: dict[str, int]) -> str:
    digest = hashlib.sha256(identity)
    for name in _tables_of(mask):
        digest.update(f"\x1e{name}={versions.get(name, 0)}".encode())
    return f'W/"{mask:x}-{digest.hexdigest()[:24]}"'


def _sent_tags(scope: Scope) -> list[tuple[int, str]]:
    """(mask, tag) of each of our tags in ``If-None-Match``."""
    out = []
    for raw in _header(scope, b"if-none-match").split(","):
        tag = raw.strip()
        body = tag.removeprefix("W/").strip('"')
        mask, _, digest = body.partition("-")
        try:
            out.append((int(mask, 16), f'W/"{mask}-{digest}"'))
        except ValueError:
            continue
    return out


def static_url(path: str) -> str:
    """``/static/<path>?v=<digest of the file>``: a URL that changes when the file does."""
    return f"/static/{path}?v={_static_version(path)}"


@cache
def _static_version(path: str) -> str:
    if path.startswith("vendor/"):
        import plotly

        return plotly.__version__
    file = Path(str(resources.files("yrdplan.web") / "static")) / path
    return hashlib.sha256(file.read_bytes()).hexdigest()[:12]


class HttpCacheMiddleware:
    """Conditional GET for every page and API answer; long-lived versioned static files.

    Add it inside the middleware that adds security headers, so that its 304s carry them too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/static/"):
            await self.app(scope, receive, self._static_send(scope, send))
            return
        state = scope["app"].state
        # In a worker thread: the event loop must never wait for a pooled connection, which
        # the requests it is serving hold until their answers are sent.
        versions, changed = await run_in_threadpool(_read_versions, state.database)
        settings_token = _settings_token(state.settings)
        identity = _identity(scope, settings_token)
        for mask, sent in _sent_tags(scope):
            if _tag(identity, mask, versions) == sent:
                headers = self._headers(scope, sent, _tables_of(mask), changed)
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return

        with tracking_reads() as tables, versions_known(versions), deferring_shares() as pending:

            async def send_with_tag(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] == 200:
                    present = {key.lower() for key, _ in message.get("headers", [])}
                    if b"etag" not in present and b"cache-control" not in present:
                        tag = _tag(_identity(scope, settings_token), _mask(tables), versions)
                        message["headers"] = [
                            *message.get("headers", []),
                            *self._headers(scope, tag, tables, changed),
                        ]
                await send(message)

            await self.app(scope, receive, send_with_tag)
        if pending:  # the answer is sent and its connection back in the pool
            await run_in_threadpool(save_shares, pending)

    def _headers(self, scope: Scope, tag: str, tables, changed: dict) -> list[tuple[bytes, bytes]]:
        personal = "yrdplan_session" in _cookies(scope) or bool(_header(scope, b"authorization"))
        headers = [
            (b"etag", tag.encode()),
            (b"cache-control", b"private, no-cache" if personal else b"no-cache"),
            (b"vary", VARY.encode()),
        ]
        stamps = [changed[name] for name in tables if name in changed]
        if stamps:
            modified = format_datetime(max(stamps).replace(tzinfo=UTC), usegmt=True)
            headers.append((b"last-modified", modified.encode()))
        return headers

    def _static_send(self, scope: Scope, send: Send) -> Send:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_static(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                value = STATIC_FOREVER if versioned else "no-cache"
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", value.encode()),
                ]
            await send(message)

        return send_static


def _read_versions(database) -> tuple[dict[str, int], dict]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(DataVersion.name, DataVersion.version, DataVersion.changed_at)
        ).all()
    return {r.name: r.version for r in rows}, {r.name: r.changed_at for r in rows}


@cache
def _settings_digest(dump: str) -> str:
    return hashlib.sha256(dump.encode()).hexdigest()[:16]


def _settings_token(settings) -> str:
    return _settings_digest(settings.model_dump_json())
