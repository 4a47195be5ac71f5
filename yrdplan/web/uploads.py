"""Reading uploaded files within the configured size limit."""

from __future__ import annotations

from fastapi import Request, UploadFile

from yrdplan.errors import InputError


def upload_limit(request: Request) -> int:
    """The largest upload accepted, in bytes (setting ``max_upload_mb``)."""
    return request.app.state.settings.max_upload_mb * 1_048_576


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """Read at most one byte more than allowed, so an oversized upload is refused cheaply."""
    content = await upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise InputError(f"{upload.filename}: larger than the limit of {max_bytes // 1_048_576} MB")
    return content
