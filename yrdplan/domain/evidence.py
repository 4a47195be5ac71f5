"""Evidence files attached to progress reports: which types are accepted and how they are checked.

A file is accepted only when its extension is one of :data:`EVIDENCE_TYPES` *and* its first
bytes are what that type starts with (content sniffing), so a renamed executable or an HTML page
called ``report.pdf`` is refused. The content type served back is ours, never the uploader's.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

_OOXML = "application/vnd.openxmlformats-officedocument"
#: Extension -> content type served on download. ``jpeg`` is the same type as ``jpg``.
EVIDENCE_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": f"{_OOXML}.wordprocessingml.document",
    "xlsx": f"{_OOXML}.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "txt": "text/plain; charset=utf-8",
}
ALLOWED_EXTENSIONS: tuple[str, ...] = ("pdf", "docx", "xlsx", "jpg", "png", "txt")

_MAGIC = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
# The part every Word / Excel package has (ECMA-376 part 2); a bare zip has neither.
_OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
MAX_NAME_CHARS = 200


@dataclass(frozen=True, slots=True)
class EvidenceKind:
    """What an accepted file is: its clean name, extension and the content type to serve."""

    filename: str
    extension: str
    content_type: str


def clean_filename(filename: str) -> str:
    """The last path component, without control or reserved characters, at most 200 chars.

    >>> clean_filename("C:\\\\docs\\\\进展 材料.pdf")
    '进展 材料.pdf'
    """
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = MAX_NAME_CHARS - len(ext) - 1
        name = f"{stem[:keep]}.{ext}" if dot and keep > 0 else name[:MAX_NAME_CHARS]
    return name


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8-sig", "gb18030"):  # offices on Windows still save GBK text
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def _is_ooxml(content: bytes, part: str) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and part in names


def check_evidence(filename: str, content: bytes, max_bytes: int) -> EvidenceKind:
    """Accept ``content`` as evidence or raise ``ValueError`` saying why.

    Parameters
    ----------
    filename
        The name the uploader gave; only its extension decides the claimed type.
    content
        The file's bytes.
    max_bytes
        The largest size accepted.

    Examples
    --------
    >>> check_evidence("进展.txt", "已完成".encode(), 1024).content_type
    'text/plain; charset=utf-8'
    >>> check_evidence("a.pdf", b"MZ\\x90\\x00", 1024)
    Traceback (most recent call last):
    ...
    ValueError: a.pdf: the content is not a pdf file (its first bytes do not match)
    """
    name = clean_filename(filename)
    if not name:
        raise ValueError("the evidence file has no name")
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        allowed = ", ".join(ALLOWED_EXTENSIONS)
        raise ValueError(
            f"{name}: file type .{extension or '?'} is not allowed (allowed: {allowed})"
        )
    if len(content) > max_bytes:
        raise ValueError(
            f"{name}: {len(content) / 1_048_576:.1f} MB is larger than the limit of "
            f"{max_bytes / 1_048_576:.0f} MB"
        )
    if not content:
        raise ValueError(f"{name}: the file is empty")
    if extension in _MAGIC:
        ok = content.startswith(_MAGIC[extension])
    elif extension in _OOXML_PART:
        ok = _is_ooxml(content, _OOXML_PART[extension])
    else:
        ok = _is_text(content)
    if not ok:
        raise ValueError(
            f"{name}: the content is not a {extension} file (its first bytes do not match)"
        )
    return EvidenceKind(filename=name, extension=extension, content_type=EVIDENCE_TYPES[extension])
