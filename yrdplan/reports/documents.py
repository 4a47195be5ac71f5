"""From a snapshot and the office's texts to files: the one entry point for every format.

Reproducible by construction: nothing here reads the database or the clock; the snapshot's own
time (``taken_at``) stands in wherever a format wants a date. The same inputs give byte-identical
.xlsx and .html and a .docx with identical text and tables (its images are PNGs from the same
charts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yrdplan.reports.bulletin import build_bulletin_document
from yrdplan.reports.document import Document
from yrdplan.reports.evaluation import build_evaluation_document

FORMATS: tuple[str, ...] = ("docx", "xlsx", "html", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class RenderedFile:
    format: str
    filename: str
    content_type: str
    content: bytes
    note: str = ""  # e.g. the CJK font a PDF embeds


def parse_formats(text: str | None) -> list[str]:
    """``docx,xlsx`` -> ["docx", "xlsx"], in the canonical order; all four by default.

    >>> parse_formats("pdf, docx")
    ['docx', 'pdf']
    """
    if not text:
        return list(FORMATS)
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(FORMATS))
    if unknown:
        raise ValueError(f"--format: {', '.join(unknown)} is not one of {', '.join(FORMATS)}")
    return [f for f in FORMATS if f in wanted]


def build_document(snapshot: dict, texts: dict | None = None) -> Document:
    if snapshot.get("kind") == "evaluation":
        return build_evaluation_document(snapshot, texts)
    return build_bulletin_document(snapshot, texts)


def file_stem(snapshot: dict, bulletin_id: int | None = None) -> str:
    scope = snapshot["scope"]
    if snapshot["kind"] == "evaluation":
        stem = f"evaluation-{scope['plan']}-{snapshot['stage']}"
    elif scope["type"] == "cycle":
        stem = f"bulletin-{scope['plan']}-cycle{scope['cycle_id']}"
    else:
        stem = f"bulletin-{scope['period']}"
    return f"{stem}-{bulletin_id}" if bulletin_id is not None else stem


def render_documents(
    snapshot: dict,
    texts: dict | None,
    formats: list[str],
    *,
    stem: str | None = None,
    progress=None,
) -> list[RenderedFile]:
    """The documents for ``snapshot`` in ``formats``; ``progress(step_name)`` after each one."""
    from yrdplan.reports.docx_writer import write_docx
    from yrdplan.reports.html_writer import write_html
    from yrdplan.reports.pdf import html_to_pdf
    from yrdplan.reports.xlsx_annex import write_xlsx

    document = build_document(snapshot, texts)
    built_at = datetime.fromisoformat(snapshot["taken_at"])
    stem = stem or file_stem(snapshot)
    out = []
    html = None
    for fmt in formats:
        note = ""
        if fmt == "docx":
            content = write_docx(document, built_at)
        elif fmt == "xlsx":
            content = write_xlsx(document, built_at)
        else:
            html = html or write_html(document)
            if fmt == "html":
                content = html.encode("utf-8")
            else:
                content, font = html_to_pdf(html)
                note = f"CJK font: {font}"
        out.append(RenderedFile(fmt, f"{stem}.{fmt}", CONTENT_TYPES[fmt], content, note))
        if progress is not None:
            progress(fmt)
    return out
