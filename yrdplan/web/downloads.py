"""Files the web app hands out: one media type per format, one way to answer with a file, and the
OpenAPI declaration that says a route answers a file (so that every route declares its answer)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from fastapi.responses import Response

from yrdplan.domain.evidence import EVIDENCE_TYPES
from yrdplan.reports.documents import CONTENT_TYPES

MEDIA_TYPES: dict[str, str] = {**EVIDENCE_TYPES, **CONTENT_TYPES, "csv": "text/csv; charset=utf-8"}


def file_responses(formats: Iterable[str], description: str = "The file") -> dict:
    """``responses=`` of a route that answers a file in one of ``formats``."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    content = {MEDIA_TYPES[fmt].split(";")[0]: binary for fmt in formats}
    return {200: {"description": description, "content": content}}


def file_response(
    content: bytes,
    filename: str,
    *,
    media_type: str | None = None,
    inline: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """``content`` as a download named ``filename`` (its type from the extension unless given)."""
    fmt = filename.rsplit(".", 1)[-1].lower()
    disposition = "inline" if inline else "attachment"
    return Response(
        content,
        media_type=media_type or MEDIA_TYPES.get(fmt, "application/octet-stream"),
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
            **(headers or {}),
        },
    )
