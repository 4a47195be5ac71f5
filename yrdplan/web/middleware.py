"""ASGI middleware: security headers and queued cookies on every response; request body limits.

Both are plain ASGI (not ``BaseHTTPMiddleware``) so that they add no task switch per request and
never buffer a body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.responses import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# No inline script anywhere (pages put data in <script type="application/json"> blocks and their
# code in /static files). Inline *styles* stay allowed: plotly.js writes style elements at run
# time, and a style cannot run code.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",  # a bulletin's preview is framed by its own page
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def queue_cookie(scope_state: dict, name: str, value: str | None, **options: Any) -> None:
    """Set (or, with ``value=None``, delete) a cookie on whatever response this request gets.

    Dependencies and helpers that run before the response exists use this; the middleware adds
    the header when the response starts.
    """
    response = Response()
    if value is None:
        response.delete_cookie(name, path="/")
    else:
        response.set_cookie(name, value, path="/", httponly=True, samesite="lax", **options)
    scope_state.setdefault("queued_cookies", {})[name] = response.raw_headers[-1]


class ResponseHeaders:
    """Adds the security headers and any cookies queued during the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present
                ]
                queued = scope.get("state", {}).get("queued_cookies", {})
                headers += list(queued.values())
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(Exception):
    """The request body passed its limit while it was being read."""


class BodySizeLimit:
    """Refuses a request body over its limit while it streams in, before anything stores it.

    A declared ``Content-Length`` over the limit is refused before a byte is read; a body without
    one (chunked) is counted as it arrives and cut off at the limit. Uploads (multipart) may be up
    to ``upload_bytes``; every other body (JSON, forms) up to ``other_bytes``.
    """

    def __init__(self, app: ASGIApp, upload_bytes: int, other_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.other_bytes = other_bytes

    def _limit_of(self, scope: Scope) -> int:
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.lower().startswith(b"multipart/"):
                return self.upload_bytes
        return self.other_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the app makes of the cut body is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await _refuse(send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send: Send, limit: int) -> None:
    mb = limit / (1024 * 1024)
    body = json.dumps(
        {"error": f"request body: larger than the limit of {mb:g} MB (max_upload_mb)"},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
