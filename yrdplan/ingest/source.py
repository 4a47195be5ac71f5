"""What every reader reads: a file on disk, or an upload's bytes with the name the user gave it.

The command line hands readers a path; the web hands them the uploaded bytes as a binary file
object and the upload's file name. :func:`as_source` turns either into a :class:`Source`, so a
reader has one way to open its input and one name to put in its problems ("obs.xlsx, row 12,
column value"), and no route needs to write an upload to a temporary folder to get a path.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Union

from yrdplan.errors import InputError

#: What a reader accepts: a path, a binary file object (its ``name`` if it has one, else
#: ``name=`` names it) or a :class:`Source`.
Readable = Union[str, os.PathLike, BinaryIO, "Source"]


@dataclass(frozen=True, slots=True)
class Source:
    """One input: either ``path`` or ``stream`` (seekable, binary), and the name for messages.

    ``name`` is a bare file name (what table problems name); ``label`` is what a whole-file
    message names: the path as given for a file on disk, the name for an upload.
    """

    name: str
    path: Path | None = None
    stream: BinaryIO | None = None

    @property
    def suffix(self) -> str:
        """The file type as the name says it, lower case with its dot (``.xlsx``)."""
        return Path(self.name).suffix.lower()

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else self.name

    def require_file(self) -> None:
        """``InputError`` when a path source names no file (a stream always exists)."""
        if self.path is not None and not self.path.is_file():
            raise InputError(f"{self.path}: no such file")

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The bytes from the start; a stream is rewound, not closed (its owner closes it)."""
        if self.path is not None:
            with self.path.open("rb") as handle:
                yield handle
            return
        assert self.stream is not None
        self.stream.seek(0)
        yield self.stream

    def read_bytes(self) -> bytes:
        """The whole input (``OSError`` from a path that cannot be read)."""
        with self.open() as handle:
            return handle.read()


def as_source(source: Readable, name: str | None = None) -> Source:
    """A :class:`Source` for a path, a binary file object or a source (``name`` renames it).

    >>> as_source("data/obs.csv").name
    'obs.csv'
    >>> upload = as_source(io.BytesIO(b"a,b"), "地区.csv")
    >>> upload.name, upload.suffix, upload.read_bytes()
    ('地区.csv', '.csv', b'a,b')
    """
    if isinstance(source, Source):
        return source if not name else Source(_bare(name), source.path, source.stream)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return Source(_bare(name) if name else path.name, path=path)
    if not hasattr(source, "read"):
        raise InputError(
            f"cannot read from {type(source).__name__}; give a path or a binary file object"
        )
    own = getattr(source, "name", None)
    label = name or (own if isinstance(own, str) else "") or "upload"
    stream = source
    if not (hasattr(stream, "seekable") and stream.seekable()):
        stream = io.BytesIO(stream.read())  # readers may read twice (encoding, then rows)
    return Source(_bare(label), stream=stream)


def _bare(name: str) -> str:
    """A file name without any folder part (uploads may send ``C:\\Users\\…\\obs.csv``)."""
    return Path(name.replace("\\", "/")).name or name
