"""Pieces of an official-document layout in Word that every yrdplan .docx shares: the page number
footer (— 3 —), table header rows repeated on each page, and column widths that count a Chinese
character as two."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def add_field(paragraph, instruction: str):
    """A Word field (``PAGE``, ``NUMPAGES``) at the end of ``paragraph``; returns its run."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    return run


def page_number_footer(section, style_run: Callable[[object], None]) -> None:
    """Centre ``— n —`` in the section's footer (GB/T 9704 style); ``style_run`` sets the font."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    add_field(paragraph, "PAGE")
    paragraph.add_run(" —")
    for run in paragraph.runs:
        style_run(run)


def repeat_header_row(row) -> None:
    """Mark a table row as its header, repeated at the top of every page the table spans."""
    properties = row._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)


def display_width(text: str) -> int:
    """Columns a text takes: a wide (Chinese) character two, anything else one.

    >>> display_width("GDP增速")
    7
    """
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
