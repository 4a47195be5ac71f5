"""Bad input is refused before any handler sees it: one set of rules for every form and JSON body.

Every text a request carries — a JSON string (keys too), a form field, an upload's text fields and
file name — must be valid UTF-8, at most ``MAX_TEXT_CHARS`` long, and free of control characters
(tab and line breaks aside), U+2028/U+2029 (they end a line in JavaScript and in some CSV readers
but not in ours) and lone surrogates (PostgreSQL cannot store them). JSON may nest at most
``MAX_JSON_DEPTH`` levels. A refusal is a 400 whose message names the field (``FieldError``), or
``request body`` when the body as a whole is broken, and no handler has run, so nothing is written.

JSON and URL-encoded bodies (at most 1 MB, see ``BodySizeLimit``) are checked here as bytes,
before FastAPI parses them (invalid UTF-8 and deep nesting would otherwise reach the parser);
multipart uploads are followed as they stream to the app, their files untouched
(``MultipartTexts``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from python_multipart import MultipartParser
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import parse_options_header

from yrdplan.errors import FieldError
from yrdplan.web.middleware import ASGIApp, Message, Receive, Scope, Send

# Far above any text a person types or a bulletin section holds (the body limit is 1 MB).
MAX_TEXT_CHARS = 100_000
# The API's deepest body is a list of objects (observations); 32 leaves room and stops a
# 100,000-level `[[[…` long before a recursive parser or encoder would fail on it.
MAX_JSON_DEPTH = 32
WHOLE_BODY = "request body"

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def check_text(field: str, value: str) -> None:
    """Refuse text over the length limit or with a character no field may hold, naming ``field``."""
    if len(value) > MAX_TEXT_CHARS:
        raise FieldError(
            field,
            f"longer than {MAX_TEXT_CHARS:,} characters ({len(value):,})",
            "fe.too_long",
            limit=MAX_TEXT_CHARS,
        )
    found = _FORBIDDEN.search(value)
    if found is None:
        return
    code = ord(found.group())
    if code in (0x2028, 0x2029):
        what = f"U+{code:04X} ({'line' if code == 0x2028 else 'paragraph'} separator)"
        raise FieldError(field, f"contains {what}; use an ordinary line break", "fe.line_separator")
    if 0xD800 <= code <= 0xDFFF:
        raise FieldError(
            field, f"contains a lone surrogate U+{code:04X}; not valid Unicode", "fe.surrogate"
        )
    raise FieldError(
        field,
        f"contains the control character U+{code:04X} at position {found.start() + 1}; "
        "only tabs and line breaks are allowed",
        "fe.control_character",
        code=f"U+{code:04X}",
    )


def check_json_value(value: Any, field: str = "", depth: int = 1) -> None:
    """Every key and string in a parsed JSON body, named by its path (``items[3].note``)."""
    if depth > MAX_JSON_DEPTH:
        raise FieldError(
            field or WHOLE_BODY,
            f"nested deeper than {MAX_JSON_DEPTH} levels",
            "fe.too_deep",
            limit=MAX_JSON_DEPTH,
        )
    if isinstance(value, str):
        check_text(field or WHOLE_BODY, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else key
            check_text(name, key)
            check_json_value(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{field or WHOLE_BODY}[{index}]", depth + 1)


def check_json_body(body: bytes) -> None:
    if not body.strip():
        return  # no body: the handler says what it needs
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FieldError(
            WHOLE_BODY,
            f"not valid UTF-8 (byte 0x{body[err.start]:02X} at offset {err.start}); send UTF-8",
            "fe.bad_encoding",
        ) from err
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise FieldError(
            WHOLE_BODY,
            f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
            "fe.too_deep",
            limit=MAX_JSON_DEPTH,
        ) from err
    except json.JSONDecodeError as err:
        raise FieldError(
            WHOLE_BODY,
            f"not valid JSON ({err.msg} at line {err.lineno} column {err.colno})",
            "fe.not_json",
        ) from err
    check_json_value(value)


def check_form_body(body: bytes) -> None:
    """A URL-encoded form: each name and value percent-decoded as strict UTF-8, then checked."""
    for pair in body.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8", "replace")
        field = name or WHOLE_BODY
        for part in (raw_name, raw_value):
            if not part.isascii():  # a browser percent-encodes every byte beyond ASCII
                raise _not_utf8(field)
            check_text(field, _strict(unquote_to_bytes(part.replace(b"+", b" ")), field))


class MultipartTexts:
    """Follows a multipart body as it streams, keeping only its text fields: files pass by.

    Starlette decodes a text field that is not UTF-8 as Latin-1 without a word, so the bytes
    are checked here, as they arrive. ``problem`` is the first ``FieldError`` found.
    """

    def __init__(self, boundary: bytes) -> None:
        self.problem: FieldError | None = None
        self._header = [b"", b""]
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._data = bytearray()
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._begin,
                "on_header_field": lambda d, a, b: self._add_header(0, d[a:b]),
                "on_header_value": lambda d, a, b: self._add_header(1, d[a:b]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        if self.problem is not None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except FieldError as err:
            self.problem = err
        except MultipartParseError:
            self.problem = None  # a broken body: the app's own parser says so

    def _begin(self) -> None:
        self._headers, self._data, self._is_file = {}, bytearray(), False

    def _add_header(self, index: int, data: bytes) -> None:
        self._header[index] += data

    def _header_end(self) -> None:
        self._headers[self._header[0].lower()] = self._header[1]
        self._header = [b"", b""]

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = _strict(options.get(b"name", b""), WHOLE_BODY)
        check_text(WHOLE_BODY, self._name)
        filename = options.get(b"filename")
        self._is_file = filename is not None
        if filename:
            field = f"{self._name} (file name)"
            check_text(field, _strict(filename, field))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        # Kept only up to what the length rule needs to see (4 bytes a character at most).
        if not self._is_file and len(self._data) <= 4 * MAX_TEXT_CHARS:
            self._data += data[start:end]

    def _end(self) -> None:
        if not self._is_file:
            check_text(self._name, _strict(bytes(self._data), self._name))


def _strict(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _not_utf8(field) from err


def _not_utf8(field: str) -> FieldError:
    return FieldError(field, "not valid UTF-8 (a browser sends forms as UTF-8)", "fe.bad_encoding")


ErrorAnswer = Callable[[Request, Exception], Awaitable[Response]]


class InputGuard:
    """Checks JSON and URL-encoded bodies before the app reads them, and replays them unchanged.

    The body is already bounded by ``BodySizeLimit`` (outside this middleware). A refused form
    is answered as the app answers any error (``answer``: an HTML page, or JSON); a refused
    JSON body in JSON.
    """

    def __init__(self, app: ASGIApp, answer: ErrorAnswer) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type, boundary = _content_type(scope)
        if content_type == "application/json" or content_type.endswith("+json"):
            check = check_json_body
        elif content_type == "application/x-www-form-urlencoded":
            check = check_form_body
        elif content_type == "multipart/form-data" and boundary:
            await self._follow_multipart(scope, receive, send, boundary)
            return
        else:
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            check(body)
        except FieldError as err:
            if check is check_json_body:
                response = JSONResponse({"error": str(err), "field": err.field}, status_code=400)
            else:
                response = await self.answer(Request(scope), err)
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _follow_multipart(
        self, scope: Scope, receive: Receive, send: Send, boundary: bytes
    ) -> None:
        """Let the app stream the upload while its text fields are checked on the way; at the
        first bad one the app's reading is cut off, whatever it answers dropped, and the
        refusal sent instead (the app has not run a handler yet: it was still reading)."""
        texts = MultipartTexts(boundary)
        started = False

        async def following_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                texts.feed(message.get("body", b""))
                if texts.problem is not None:
                    raise texts.problem
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if texts.problem is not None:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, following_receive, guarded_send)
        except Exception:
            if texts.problem is None:
                raise
        if texts.problem is not None and not started:
            response = await self.answer(Request(scope), texts.problem)
            await response(scope, receive, send)


def _content_type(scope: Scope) -> tuple[str, bytes]:
    """The media type, lower case, and the multipart boundary if any."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            media, options = parse_options_header(value)
            return media.decode("latin-1").lower(), options.get(b"boundary", b"")
    return "", b""
