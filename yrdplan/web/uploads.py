"""Reading uploaded files within the configured size limit."""

from __future__ import annotations

import io

from fastapi import Request, UploadFile

from yrdplan.errors import InputError
from yrdplan.ingest.source import Source, as_source


def upload_limit(request: Request) -> int:
    """The largest upload accepted, in bytes (setting ``max_upload_mb``)."""
    return request.app.state.settings.max_upload_mb * 1_048_576


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """Read at most one byte more than allowed, so an oversized upload is refused cheaply."""
    content = await upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InputError(f"{upload.filename}: larger than the limit of {max_bytes // 1_048_576} MB")
    return content


async def upload_source(upload: UploadFile, max_bytes: int, default_name: str) -> Source:
    """An upload as what every reader reads: its bytes (within the limit) and its file name
    without any folder part, so problems name the file the user chose."""
    content = await read_upload(upload, max_bytes)
    return as_source(io.BytesIO(content), upload.filename or default_name)
