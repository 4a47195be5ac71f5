"""Suggest which node of a higher plan a lower plan's node implements, by text similarity.

City plans restate provincial and national tasks in their own words ("共建轨道上的长三角" in
Nanjing's plan, "打造轨道上的长三角" in the action plan), so links are suggested from character
bigrams — Chinese has no spaces to split words on — weighted by TF-IDF and compared by cosine.
The user confirms each suggestion; nothing here writes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LinkSuggestion", "suggest_links"]

_SEGMENT_RE = re.compile(r"[0-9a-z\u3400-\u9fff]+")
_CHUNK_ROWS = 256  # bounds the dense lower-by-shared-vocabulary block to a few MB


@dataclass(frozen=True, slots=True)
class LinkSuggestion:
    """A suggested link: lower text ``lower_index`` may implement upper text ``upper_index``."""

    lower_index: int
    upper_index: int
    score: float


def _tokens(text: str) -> list[str]:
    """Character bigrams inside runs of CJK, Latin letters and digits (a lone character counts)."""
    tokens: list[str] = []
    for segment in _SEGMENT_RE.findall(unicodedata.normalize("NFKC", text).lower()):
        if len(segment) == 1:
            tokens.append(segment)
        else:
            tokens.extend(segment[i : i + 2] for i in range(len(segment) - 1))
    return tokens


def _check_texts(name: str, texts: object) -> list[str]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ValueError(f"{name} must be a list of strings, got {type(texts).__name__}")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"{name}[{i}] must be a string, got {type(text).__name__}")
    return list(texts)


def _check_options(top_k: object, min_score: object) -> None:
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if isinstance(min_score, bool) or not isinstance(min_score, int | float | np.floating):
        raise ValueError(f"min_score must be a number in [0, 1], got {min_score!r}")
    if not 0.0 <= float(min_score) <= 1.0:
        raise ValueError(f"min_score must be a number in [0, 1], got {min_score!r}")


def _weights(docs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sparse L2-normalised TF-IDF as (doc, term, weight) arrays, and the vocabulary size.

    tf is sublinear (1 + ln count) so a phrase repeated in one long paragraph does not drown
    the rest; idf is smoothed, ln((1 + n) / (1 + df)) + 1, so no weight is zero or infinite.
    """
    vocabulary: dict[str, int] = {}
    doc_ids: list[int] = []
    term_ids: list[int] = []
    for d, text in enumerate(docs):
        for token in _tokens(text):
            doc_ids.append(d)
            term_ids.append(vocabulary.setdefault(token, len(vocabulary)))
    n_terms = len(vocabulary)
    if not term_ids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), 0
    keys = np.asarray(doc_ids, dtype=np.int64) * n_terms + np.asarray(term_ids, dtype=np.int64)
    unique, counts = np.unique(keys, return_counts=True)
    rows, cols = unique // n_terms, unique % n_terms
    df = np.bincount(cols, minlength=n_terms)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    weight = (1.0 + np.log(counts)) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=weight**2, minlength=len(docs)))
    return rows, cols, weight / norms[rows], n_terms


def _dense(rows, cols, weight, doc_range: range, column_of: np.ndarray, width: int) -> np.ndarray:
    """Rows ``doc_range`` as a dense block over the shared vocabulary (other terms dropped)."""
    block = np.zeros((len(doc_range), width))
    keep = (rows >= doc_range.start) & (rows < doc_range.stop) & (column_of[cols] >= 0)
    block[rows[keep] - doc_range.start, column_of[cols[keep]]] = weight[keep]
    return block


def suggest_links(
    lower_texts: Sequence[str],
    upper_texts: Sequence[str],
    *,
    top_k: int = 3,
    min_score: float = 0.2,
) -> list[LinkSuggestion]:
    """Suggest, for each lower-plan text, the upper-plan texts it most resembles.

    Parameters
    ----------
    lower_texts : sequence of str
        Texts of the lower plan's nodes (e.g. a city's tasks, title plus text).
    upper_texts : sequence of str
        Texts of the higher plan's nodes.
    top_k : int, keyword-only
        At most this many suggestions per lower text (>= 1).
    min_score : float, keyword-only
        Lowest cosine similarity suggested, in [0, 1].

    Returns
    -------
    list of LinkSuggestion
        Sorted by ``lower_index``, then by descending ``score`` (ties by ``upper_index``).
        Scores are cosine similarities of character-bigram TF-IDF vectors, in [0, 1].

    Raises
    ------
    ValueError
        Naming the argument: texts that are not a list of strings, ``top_k`` < 1, or
        ``min_score`` outside [0, 1].

    Examples
    --------
    >>> lower = ["加快建设城际铁路网，推动市域郊铁路延伸", "推进大气污染防治"]
    >>> upper = ["共建轨道上的长三角，建设城际铁路网", "加强生态环境共保联治，推进大气污染联防联控"]
    >>> [(s.lower_index, s.upper_index) for s in suggest_links(lower, upper, top_k=1)]
    [(0, 0), (1, 1)]
    >>> suggest_links(lower, upper, top_k=0)
    Traceback (most recent call last):
    ...
    ValueError: top_k must be a positive integer, got 0
    """
    lower = _check_texts("lower_texts", lower_texts)
    upper = _check_texts("upper_texts", upper_texts)
    _check_options(top_k, min_score)
    if not lower or not upper:
        return []
    n_lower = len(lower)
    rows, cols, weight, n_terms = _weights(lower + upper)
    if n_terms == 0:
        return []
    # Only terms on both sides contribute to a lower·upper dot product.
    in_lower = np.zeros(n_terms, dtype=bool)
    in_upper = np.zeros(n_terms, dtype=bool)
    in_lower[cols[rows < n_lower]] = True
    in_upper[cols[rows >= n_lower]] = True
    shared = np.flatnonzero(in_lower & in_upper)
    if shared.size == 0:
        return []
    column_of = np.full(n_terms, -1, dtype=np.int64)
    column_of[shared] = np.arange(shared.size)
    upper_block = _dense(
        rows, cols, weight, range(n_lower, n_lower + len(upper)), column_of, shared.size
    )
    k = min(int(top_k), len(upper))
    out: list[LinkSuggestion] = []
    for start in range(0, n_lower, _CHUNK_ROWS):
        chunk = range(start, min(start + _CHUNK_ROWS, n_lower))
        scores = np.clip(
            _dense(rows, cols, weight, chunk, column_of, shared.size) @ upper_block.T, 0.0, 1.0
        )
        # Stable sort on -score keeps ties in upper_index order.
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        for offset, row in enumerate(best):
            for j in row:
                score = float(scores[offset, j])
                if score >= min_score and score > 0.0:
                    out.append(LinkSuggestion(chunk.start + offset, int(j), score))
    return out
