"""Benchmark: parse a ~50,000-character plan, with the cleaning step alone as the baseline.

The document is fixed: the Nanjing implementation plan (seed 001, traditional characters with
pinyin glosses and mojibake, the hardest input we have) followed by the Jiangsu coordination
mechanism (seed 004), repeated until it reaches 50,000 characters, cut at a line break. Both
steps run on the same text in the same process; each time is the best of ``--repeat`` runs
(time.perf_counter), which is the least disturbed by other work on a shared machine.

PDF: the same seed text as an HTML page (each line a paragraph, and one 主要指标 table every
ten pages or so), printed by headless Chromium to a PDF of ``--pdf-pages`` pages (100 by
default; printing is not timed), is parsed from the PDF and, beside it, from a .txt holding the
text read from that PDF: the ratio is what reading the PDF (text layer, furniture, wrapped
lines, tables) costs over the plain-text path. Skipped with a note when Chromium is missing.

Run: ``python bench/bench_parse.py [--repeat N] [--chars N] [--pdf-pages N]``. Not a test: it
prints numbers.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from yrdplan.ingest.clean import clean_text
from yrdplan.ingest.plan_text import parse_plan

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
SEED_FILES = ("001_367836f755e79c44.txt", "004_53aeeafed972d841.txt")
TARGET_CHARS = 50_000


def build_document(chars: int = TARGET_CHARS) -> str:
    """Cycle the seed texts up to ``chars`` characters, ending at a line break."""
    texts = [(SEEDS / name).read_text(encoding="utf-8") for name in SEED_FILES]
    pieces: list[str] = []
    size = 0
    while size < chars:
        for text in texts:
            pieces.append(text.rstrip("\n") + "\n")
            size += len(pieces[-1])
    document = "".join(pieces)[:chars]
    return document[: document.rfind("\n") + 1]


def best_time(func: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


# Characters of seed text per printed page at the bench's page style (measured: ~1,550; a little more so that the PDF reaches the pages asked for).
_CHARS_PER_PAGE = 1600
_TABLE = (
    "<table><tr><th>类别</th><th>指标</th><th>单位</th><th>2020年</th><th>2025年</th>"
    "<th>属性</th></tr><tr><td rowspan='2'>经济</td><td>常住人口城镇化率</td><td>%</td>"
    "<td>86.8</td><td>88</td><td>预期性</td></tr><tr><td>研发经费投入强度</td><td>%</td>"
    "<td>3.5</td><td>4</td><td>预期性</td></tr></table>"
)


def print_pdf(text: str, folder: Path) -> Path | None:
    """The text as a printed PDF (Chromium), or None when Chromium is not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    paragraphs = []
    for number, line in enumerate(text.splitlines()):
        paragraphs.append(f"<p>{html.escape(line)}</p>")
        if number % 150 == 149:
            paragraphs.append(_TABLE)
    page = (
        '<!doctype html><html><head><meta charset="utf-8"><title>bench</title><style>'
        'body{font-family:"Noto Sans CJK SC",sans-serif;font-size:12pt}'
        "table{border-collapse:collapse}td,th{border:1px solid #000}</style></head><body>"
        + "".join(paragraphs)
        + "</body></html>"
    )
    source = folder / "bench_plan.html"
    source.write_text(page, encoding="utf-8")
    pdf = folder / "bench_plan.pdf"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    subprocess.run(
        [chromium, *flags, f"--print-to-pdf={pdf}", source.as_uri()],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return pdf


def bench_pdf(chars_text: str, pages: int, repeat: int) -> None:
    import pypdfium2

    from yrdplan.ingest.read import read_document

    with tempfile.TemporaryDirectory() as folder:
        pdf = print_pdf(chars_text, Path(folder))
        if pdf is None:
            print("PDF: skipped, Chromium is not installed")
            return
        printed = len(pypdfium2.PdfDocument(str(pdf)))
        same_text = Path(folder) / "from_pdf.txt"
        same_text.write_text(read_document(pdf).text, encoding="utf-8")
        plan = parse_plan(pdf)
        repeat = max(1, min(repeat, 3))
        from_pdf = best_time(lambda: parse_plan(pdf), repeat)
        from_txt = best_time(lambda: parse_plan(same_text), repeat)
    print(
        f"PDF:      {printed} pages, {len(plan.nodes)} nodes, {len(plan.targets)} targets, "
        f"{len(plan.tables)} tables, {len(plan.baselines)} baselines"
    )
    print(f"{'parse_plan(.pdf)':<46}{from_pdf * 1000:8.1f} ms per document")
    print(f"{'parse_plan(.txt), the same text':<46}{from_txt * 1000:8.1f} ms per document")
    print(f"{'ratio .pdf / .txt':<46}{from_pdf / from_txt:8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per step (best is kept)")
    parser.add_argument("--chars", type=int, default=TARGET_CHARS, help="document size")
    parser.add_argument("--pdf-pages", type=int, default=100, help="PDF size (0: no PDF)")
    args = parser.parse_args(argv)

    document = build_document(args.chars)
    plan = parse_plan(document, name="bench")  # warm-up: OpenCC, regexes, the catalogue
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_plan.txt"
        path.write_text(document, encoding="utf-8")
        clean = best_time(lambda: clean_text(document), args.repeat)
        parse = best_time(lambda: parse_plan(document, name="bench"), args.repeat)
        from_file = best_time(lambda: parse_plan(path), args.repeat)

    print(f"document: {len(document):,} characters, {document.count(chr(10)):,} lines")
    print(
        f"parsed:   {len(plan.nodes)} nodes, {len(plan.targets)} targets, "
        f"{len(plan.problems)} problems"
    )
    rows = [
        ("clean_text alone (baseline)", clean),
        ("parse_plan(text): clean, structure, targets", parse),
        ("parse_plan(file): read and decode, then all", from_file),
    ]
    for label, seconds in rows:
        print(f"{label:<46}{seconds * 1000:8.1f} ms per document")
    print(f"{'ratio parse_plan(text) / clean_text':<46}{parse / clean:8.2f}")
    print(f"best of {args.repeat} runs each")
    if args.pdf_pages:
        bench_pdf(build_document(args.pdf_pages * _CHARS_PER_PAGE), args.pdf_pages, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
