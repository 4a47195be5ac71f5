"""Read a plan document's text from a file: plain text, an HTML page, a .docx, a PDF or an OFD.

Plans reach the offices as scraped web pages, saved text in whatever encoding the site used
(UTF-8, GB18030/GBK, Big5), Word files, PDFs from the government portals and OFD files (GB/T
33190). The encoding is detected from the bytes, never assumed; anything that is not one of
these kinds fails with an ``InputError`` naming the file, before any parsing starts.

Each format has one small reader (``_read_text``, ``_read_html``, ``_read_docx``,
:func:`~yrdplan.ingest.read_pdf.read_pdf`, :func:`~yrdplan.ingest.read_ofd.read_ofd`) that
turns bytes into text and the document's tables; :func:`read_document` does the plumbing common
to all of them.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

from yrdplan.errors import InputError
from yrdplan.ingest.doc_tables import (
    SourceTable,
    attach_notes,
    html_tables,
    join_cell_lines,
    locate_rows,
)
from yrdplan.ingest.read_ofd import is_ofd, read_ofd
from yrdplan.ingest.read_pdf import read_pdf
from yrdplan.ingest.source import Readable, Source, as_source

SourceFormat = Literal["text", "html", "docx", "pdf", "ofd"]

TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".csv", ""})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
DOCX_SUFFIXES = frozenset({".docx"})
PDF_SUFFIXES = frozenset({".pdf"})
OFD_SUFFIXES = frozenset({".ofd"})
_EXPECTED = "expected .txt, .html, .docx, .pdf or .ofd"

# Magic numbers of files people will try to load and that we cannot read, with what to say.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"BM", "a bitmap image"),
    (b"RIFF", "a media file"),
    (b"\xd0\xcf\x11\xe0", "a legacy Office file (.doc/.xls); save it as .docx"),
    (b"{\\rtf", "an RTF file; save it as .docx"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)
_CHINESE_ENCODINGS = ["gb18030", "big5"]
# Share of control characters above which decoded "text" is really binary.
_MAX_CONTROL_SHARE = 0.02
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
# GB2312 and GBK are subsets of GB18030; decoding with the superset never loses a character.
_ENCODING_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


@dataclass(frozen=True, slots=True)
class SourceDocument:
    """A document's text as read from its file.

    ``text`` is what every offset of a parsed plan refers to: the decoded file for plain text
    (without a byte-order mark), the text of the page with block elements as line breaks for
    HTML, and the paragraphs and table rows, one a line, for .docx; for PDF and OFD the text
    layer without page furniture, wrapped lines re-joined, table rows one a line.
    ``tables`` are the document's tables as grids, each row's span pointing into ``text``.
    """

    name: str
    text: str
    encoding: str
    format: SourceFormat
    tables: tuple[SourceTable, ...] = ()


def read_document(source: Readable, *, name: str | None = None) -> SourceDocument:
    """Read a plan document.

    Parameters
    ----------
    source : path, binary file object or Source
        A .txt (or other plain-text), .html/.htm, .docx, .pdf or .ofd file, on disk or uploaded.
    name : str, optional
        The file name the document is known by (an upload's own name; default the path's).

    Returns
    -------
    SourceDocument

    Raises
    ------
    InputError
        The file is missing, empty, binary, or of a kind that is not supported (Excel, images,
        legacy .doc …), or a PDF/OFD that is damaged, locked or a scan without text; the
        message is one line and names the file.
    """
    found = as_source(source, name)
    # Messages name the path as given on the command line, the file name for an upload.
    path = Path(found.label)
    data = _read_bytes(found)
    source_format = _detect_format(path, data)
    reader: Callable[[Path, bytes], tuple[str, str, list[SourceTable]]] = _READERS[source_format]
    text, encoding, tables = reader(path, data)
    if not text.strip():
        raise InputError(f"{path}: the document has no text")
    attach_notes(text, tables)
    return SourceDocument(
        name=found.name, text=text, encoding=encoding, format=source_format, tables=tuple(tables)
    )


def _read_bytes(source: Source) -> bytes:
    path = source.label
    try:
        data = source.read_bytes()
    except FileNotFoundError as err:
        raise InputError(f"{path}: no such file") from err
    except IsADirectoryError as err:
        raise InputError(f"{path}: is a directory, not a document") from err
    except OSError as err:
        raise InputError(f"{path}: cannot be read ({err.strerror or err})") from err
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    return data


def _detect_format(path: Path, data: bytes) -> SourceFormat:
    """The format from the bytes first (a renamed PDF is still a PDF), then the suffix."""
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF"):
        return "pdf"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{path}: unsupported file type, {what} ({_EXPECTED})")
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(path, data)
    if suffix in DOCX_SUFFIXES:
        raise InputError(f"{path}: not a valid .docx file (it is not a zip package)")
    if suffix in OFD_SUFFIXES:
        raise InputError(f"{path}: not a valid OFD file (it is not a zip package)")
    if suffix in PDF_SUFFIXES:
        raise InputError(f"{path}: not a readable PDF file (no %PDF header)")
    if suffix in HTML_SUFFIXES or _looks_like_html(data):
        return "html"
    if suffix in TEXT_SUFFIXES or suffix not in _KNOWN_BINARY_SUFFIXES:
        return "text"
    raise InputError(f"{path}: unsupported file type '{suffix}' ({_EXPECTED})")


_KNOWN_BINARY_SUFFIXES = frozenset(
    {".pdf", ".doc", ".xls", ".xlsx", ".xlsm", ".ppt", ".pptx", ".png", ".jpg", ".jpeg", ".gif"}
    | {".bmp", ".tif", ".tiff", ".webp", ".zip", ".rar", ".7z", ".gz", ".wps", ".et", ".odt"}
)


def _zip_format(path: Path, data: bytes) -> SourceFormat:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile as err:
        raise InputError(f"{path}: a damaged zip package, not a readable document") from err
    if "word/document.xml" in names:
        return "docx"
    if is_ofd(names):
        return "ofd"
    if "xl/workbook.xml" in names:
        raise InputError(f"{path}: unsupported file type, an Excel workbook ({_EXPECTED})")
    raise InputError(f"{path}: unsupported file type, a zip package ({_EXPECTED})")


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


# -- plain text --------------------------------------------------------------------------------


def _read_text(path: Path, data: bytes) -> tuple[str, str, list[SourceTable]]:
    return (*decode_text(data, name=str(path)), [])


def decode_text(data: bytes, *, name: str = "<bytes>") -> tuple[str, str]:
    """Decode text bytes whose encoding is unknown; return ``(text, encoding)``.

    A byte-order mark decides first; then strict UTF-8 (which almost never decodes text in
    another encoding by accident); then charset-normalizer's best guess.

    Examples
    --------
    >>> decode_text("一、总体要求".encode("gbk"))
    ('一、总体要求', 'gb18030')
    >>> decode_text("一、總體要求".encode("big5"))
    ('一、總體要求', 'big5')
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    if b"\x00" in data:
        raise InputError(f"{name}: a binary file, not text")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = _detect_and_decode(data, name)
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise InputError(f"{name}: a binary file, not text")
    return text, encoding


def _detect_and_decode(data: bytes, name: str) -> tuple[str, str]:
    import charset_normalizer

    # Plans are Chinese, so the encodings Chinese text comes in are tried first: on short
    # excerpts of the seeds an open search guessed Shift-JIS or CP949 for 80 of 390 GBK/Big5
    # samples, the restricted one for 6 (all under 11 characters). Anything else still gets
    # the open search.
    best = charset_normalizer.from_bytes(data, cp_isolation=_CHINESE_ENCODINGS).best()
    if best is None:
        best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise InputError(f"{name}: a binary file or an unknown text encoding")
    encoding = codecs.lookup(best.encoding).name
    return str(best), encoding


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\f")
    return controls / max(len(text), 1)


# -- HTML ----------------------------------------------------------------------------------------


def _read_html(path: Path, data: bytes) -> tuple[str, str, list[SourceTable]]:
    markup, encoding = _decode_html(data, str(path))
    text = html_to_text(markup)
    return text, encoding, locate_rows(text, html_tables(markup))


def _decode_html(data: bytes, name: str) -> tuple[str, str]:
    """Decode with the charset the page declares, if it decodes; else detect it."""
    m = _CHARSET_RE.search(data[:4096])
    if m and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = m.group(1).decode("ascii").lower()
        declared = _ENCODING_ALIASES.get(declared, declared)
        try:
            return data.decode(declared), codecs.lookup(declared).name
        except (LookupError, UnicodeDecodeError):
            pass  # pages lie about their charset; fall back to detection
    return decode_text(data, name=name)


_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table"}
    | {"section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "hr"}
    | {"dd", "dt", "dl", "main", "figure", "figcaption", "form", "address", "center", "title"}
)
_CELL_TAGS = frozenset({"td", "th"})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe"})
_VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area"})


class _TextExtractor(HTMLParser):
    """Collect a page's text; block elements become line breaks, script/style are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        if tag not in _VOID_TAGS:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if not self.pre_depth:
            # HTML collapses runs of whitespace, line breaks included, to one space.
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
        self.pieces.append(data)

    def _break(self, tag: str) -> None:
        if self.skip_depth:
            return
        if tag in _BLOCK_TAGS:
            self.pieces.append("\n")
        elif tag in _CELL_TAGS and self.pieces and not self.pieces[-1][-1:].isspace():
            self.pieces.append(" ")  # one space between cells, however they are nested


def html_to_text(markup: str) -> str:
    """The text of an HTML page, one block element a line, without script and style.

    Examples
    --------
    >>> html_to_text("<html><head><style>p{}</style></head><body><h1>规划</h1>"
    ...              "<p>一、总体要求</p><script>x()</script><p>1.加快&amp;推进</p></body></html>")
    '规划\\n一、总体要求\\n1.加快&推进'
    """
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.pieces).split("\n"))
    return "\n".join(line for line in lines if line)


# -- .docx ---------------------------------------------------------------------------------------


def _read_docx(path: Path, data: bytes) -> tuple[str, str, list[SourceTable]]:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as err:  # python-docx raises several unrelated types on a bad package
        raise InputError(f"{path}: not a readable .docx file ({type(err).__name__})") from err
    lines: list[str] = []
    tables: list[SourceTable] = []
    length = 0
    for block in document.iter_inner_content():
        rows = _table_rows(block) if isinstance(block, Table) else [block.text]
        spans = []
        for row in rows:
            length += 1 if lines else 0  # the line break before it
            spans.append((length, length + len(row)))
            length += len(row)
            lines.append(row)
        if isinstance(block, Table):
            grid = [[join_cell_lines(cell.text) for cell in row.cells] for row in block.rows]
            tables.append(SourceTable(rows=grid, row_spans=spans))
    return "\n".join(lines), "utf-8", tables


def _table_rows(table) -> list[str]:
    """One line per row, cells separated by a space; a merged cell is written once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.replace("\n", " ").strip())
        rows.append(" ".join(c for c in cells if c))
    return rows


def _read_pdf(path: Path, data: bytes) -> tuple[str, str, list[SourceTable]]:
    text, tables = read_pdf(path, data)
    return text, "utf-8", tables


def _read_ofd(path: Path, data: bytes) -> tuple[str, str, list[SourceTable]]:
    text, tables = read_ofd(path, data)
    return text, "utf-8", tables


_READERS: dict[str, Callable[[Path, bytes], tuple[str, str, list[SourceTable]]]] = {
    "text": _read_text,
    "html": _read_html,
    "docx": _read_docx,
    "pdf": _read_pdf,
    "ofd": _read_ofd,
}
