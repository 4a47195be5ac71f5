"""Benchmark: parse a ~50,000-character plan, with the cleaning step alone as the baseline.

The document is fixed: the Nanjing implementation plan (seed 001, traditional characters with
pinyin glosses and mojibake, the hardest input we have) followed by the Jiangsu coordination
mechanism (seed 004), repeated until it reaches 50,000 characters, cut at a line break. Both
steps run on the same text in the same process; each time is the best of ``--repeat`` runs
(time.perf_counter), which is the least disturbed by other work on a shared machine.

Run: ``python bench/bench_parse.py [--repeat N] [--chars N]``. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per step (best is kept)")
    parser.add_argument("--chars", type=int, default=TARGET_CHARS, help="document size")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
