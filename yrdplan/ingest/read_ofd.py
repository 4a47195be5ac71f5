"""Read an OFD plan (GB/T 33190-2016, the national format for official electronic documents).

An OFD file is a zip package: ``OFD.xml`` names each document's root (``Doc_0/Document.xml``),
which lists its pages (``Pages/Page_0/Content.xml``); a page's layers hold ``TextObject``s,
each with a ``Boundary`` box and ``TextCode`` runs placed at ``X``/``Y`` (the baseline, in
millimetres from the box's top left) with ``DeltaX`` advances between characters (``g 3 10``
repeats an advance of 10 three times). The characters are placed as glyphs and laid out as a
PDF's are, with the same cleaning (:mod:`yrdplan.ingest.layout`); thin ``PathObject``s are a
ruled table's lines, found as a PDF's are (:func:`~yrdplan.ingest.read_pdf.find_grids`).
Coordinates are turned into points on the way, so both formats share the same tolerances.

A package that is not an OFD, is damaged, or is encrypted fails with an ``InputError``.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from yrdplan.errors import InputError
from yrdplan.ingest.doc_tables import SourceTable
from yrdplan.ingest.layout import Glyph, PageGlyphs, lay_out
from yrdplan.ingest.read_pdf import find_grids, rule_from_box

_A4 = (210.0, 297.0)
_PT = 72 / 25.4  # OFD works in millimetres, the layout in points


def is_ofd(names: set[str]) -> bool:
    return "OFD.xml" in names or "ofd.xml" in names


def read_ofd(path: Path, data: bytes) -> tuple[str, list[SourceTable]]:
    """The text of an OFD package, its pages in order."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        if any(info.flag_bits & 0x1 for info in package.infolist()):
            raise InputError(f"{path}: the OFD file is encrypted; export an unencrypted copy")
        names = set(package.namelist())
        root_name = "OFD.xml" if "OFD.xml" in names else "ofd.xml"
        root = _xml(package, root_name, path)
        if any(_local(el.tag) in ("Encryptions", "Encryption") for el in root.iter()) or any(
            posixpath.basename(n).lower() == "encryptions.xml" for n in names
        ):
            raise InputError(f"{path}: the OFD file is encrypted; export an unencrypted copy")
        pages: list[PageGlyphs] = []
        for doc_root in (el for el in root.iter() if _local(el.tag) == "DocRoot"):
            pages.extend(_document_pages(package, _clean(doc_root.text), path))
    except zipfile.BadZipFile as err:
        raise InputError(f"{path}: a damaged OFD package ({err})") from err
    if not pages:
        raise InputError(f"{path}: not a valid OFD file (OFD.xml names no document with pages)")
    needs_ocr = (
        f"{path}: the OFD file has no text (scanned images); it needs OCR (text recognition) "
        "before it can be imported, so nothing was imported"
    )
    if not any(page.glyphs for page in pages):
        raise InputError(needs_ocr)
    text, tables = lay_out(pages)
    if not text.strip():
        raise InputError(needs_ocr)  # only running heads and page numbers had text
    return text, tables


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _clean(location: str | None) -> str:
    return (location or "").strip().lstrip("/")


def _xml(package: zipfile.ZipFile, name: str, path: Path) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(package.read(name))
    except KeyError as err:
        raise InputError(f"{path}: not a valid OFD file ({name} is missing)") from err
    except ElementTree.ParseError as err:
        raise InputError(f"{path}: not a valid OFD file ({name}: {err})") from err


def _box(text: str | None, default: tuple[float, ...] = (0.0, 0.0, *_A4)) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in (text or "").split())
    except ValueError:
        return default
    return values if len(values) == 4 else default


def _document_pages(package: zipfile.ZipFile, document_name: str, path: Path) -> list[PageGlyphs]:
    document = _xml(package, document_name, path)
    base = posixpath.dirname(document_name)
    page_box = _A4
    for el in document.iter():
        if _local(el.tag) == "PhysicalBox":
            page_box = _box(el.text)[2:]
            break
    pages = []
    for el in document.iter():
        if _local(el.tag) != "Page":
            continue
        location = _clean(el.get("BaseLoc"))
        name = location if location in package.namelist() else posixpath.join(base, location)
        content = _xml(package, name, path)
        box = page_box
        for area in content.iter():
            if _local(area.tag) == "PhysicalBox":
                box = _box(area.text)[2:]
                break
        page = PageGlyphs(box[0] * _PT, box[1] * _PT, _glyphs(content))
        page.tables = find_grids(_rules(content))
        pages.append(page)
    return pages


def _rules(content: ElementTree.Element) -> list[tuple[str, float, float, float]]:
    rules = []
    for obj in content.iter():
        if _local(obj.tag) == "PathObject":
            x, y, w, h = _box(obj.get("Boundary"), (0.0, 0.0, 0.0, 0.0))
            rules += rule_from_box(x * _PT, y * _PT, (x + w) * _PT, (y + h) * _PT, segments=5)
    return rules


def _advances(delta: str | None) -> list[float]:
    """``DeltaX="g 3 10 5"`` → [10, 10, 10, 5]."""
    values, tokens = [], (delta or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            values.extend([float(tokens[i + 2])] * int(float(tokens[i + 1])))
            i += 3
        else:
            values.append(float(tokens[i]))
            i += 1
    return values


def _glyphs(content: ElementTree.Element) -> list[Glyph]:
    glyphs = []
    for obj in content.iter():
        if _local(obj.tag) != "TextObject":
            continue
        x0, y0, _, _ = _box(obj.get("Boundary"), (0.0, 0.0, 0.0, 0.0))
        size = float(obj.get("Size") or 3.5)
        for code in obj:
            if _local(code.tag) != "TextCode" or not code.text:
                continue
            x = x0 + float(code.get("X") or 0)
            baseline = y0 + float(code.get("Y") or 0)
            steps = _advances(code.get("DeltaX"))
            for index, char in enumerate(code.text):
                step = steps[index] if index < len(steps) else size
                if not char.isspace():
                    glyphs.append(
                        Glyph(
                            char,
                            x * _PT,
                            (baseline - size) * _PT,
                            (x + min(step, size)) * _PT,
                            baseline * _PT,
                        )
                    )
                x += step
    return glyphs
