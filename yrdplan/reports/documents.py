"""From a snapshot and the office's texts to files: the one entry point for every format.

Reproducible by construction: nothing here reads the database or the clock; the snapshot's own
time (``taken_at``) stands in wherever a format wants a date. The same inputs give byte-identical
.xlsx and .html and a .docx with identical text and tables (its images are PNGs from the same
charts).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from yrdplan.reports.bulletin import build_bulletin_document
from yrdplan.reports.document import Document
from yrdplan.reports.evaluation import build_evaluation_document
from yrdplan.reports.static_charts import ChartRenderer

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
    charts = ChartRenderer()
    contents: dict[str, bytes] = {}
    notes: dict[str, str] = {}
    done = []

    def finished(fmt: str) -> None:
        done.append(fmt)
        if progress is not None:
            progress(fmt)

    printing = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        if "html" in formats or "pdf" in formats:
            html = write_html(document, charts)
            if "html" in formats:
                contents["html"] = html.encode("utf-8")
                finished("html")
            if "pdf" in formats:
                # chromium prints in its own process while this one writes Word and Excel
                printing = pool.submit(html_to_pdf, html)
        if "docx" in formats:
            contents["docx"] = write_docx(document, built_at, charts)
            finished("docx")
        if "xlsx" in formats:
            contents["xlsx"] = write_xlsx(document, built_at)
            finished("xlsx")
        if printing is not None:
            contents["pdf"], font = printing.result()
            notes["pdf"] = f"CJK font: {font}"
            finished("pdf")
    return [
        RenderedFile(f, f"{stem}.{f}", CONTENT_TYPES[f], contents[f], notes.get(f, ""))
        for f in formats
    ]
