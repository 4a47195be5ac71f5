"""Link suggestions between a lower and a higher plan by character-bigram TF-IDF cosine."""

from __future__ import annotations

import math
import re
import time
from collections import Counter

import numpy as np
import pytest

from yrdplan.analytics.link_suggest import LinkSuggestion, suggest_links

# Nanjing tasks (lower) against lines of the Jiangsu plan / action plan (upper).
LOWER = [
    "共建轨道上的长三角。加快南沿江高铁项目建设，加快建设城际铁路网",
    "推进大气污染防治。推进实施细颗粒物和臭氧浓度双控双减",
    "营造良好就业创业环境。共同成立区域公共创业就业联盟",
]
UPPER = [
    "加强大气污染联防联控，重点推进臭氧和细颗粒物协同治理",
    "打造轨道上的长三角，加快建设城际铁路和高铁网络",
    "深化长三角政务服务一网通办",
    "推进就业创业服务一体化，建设区域公共创业服务联盟",
]


def reference_scores(lower: list[str], upper: list[str], rows: range | None = None) -> np.ndarray:
    """The same TF-IDF cosine written the slow, obvious way (for ``rows`` of ``lower``)."""
    docs = lower + upper

    def grams(text: str) -> list[str]:
        out: list[str] = []
        for run in re.findall(r"[0-9a-z\u3400-\u9fff]+", text.lower()):
            out += [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
        return out

    counts = [Counter(grams(d)) for d in docs]
    df = Counter(g for c in counts for g in c)
    vectors = []
    for c in counts:
        v = {
            g: (1 + math.log(k)) * (math.log((1 + len(docs)) / (1 + df[g])) + 1)
            for g, k in c.items()
        }
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({g: x / norm for g, x in v.items()})
    rows = rows or range(len(lower))
    out = np.zeros((len(rows), len(upper)))
    for r, i in enumerate(rows):
        for j in range(len(upper)):
            a, b = vectors[i], vectors[len(lower) + j]
            out[r, j] = sum(x * b.get(g, 0.0) for g, x in a.items())
    return out


def test_each_task_links_to_the_line_it_implements():
    best = suggest_links(LOWER, UPPER, top_k=1)
    assert [(s.lower_index, s.upper_index) for s in best] == [(0, 1), (1, 0), (2, 3)]
    assert all(isinstance(s, LinkSuggestion) and 0.2 <= s.score <= 1 for s in best)


def test_scores_equal_the_reference_implementation():
    scores = reference_scores(LOWER, UPPER)
    got = suggest_links(LOWER, UPPER, top_k=len(UPPER), min_score=0.0)
    for s in got:
        assert s.score == pytest.approx(scores[s.lower_index, s.upper_index], abs=1e-12)
    # every positive reference score is suggested
    assert len(got) == int((scores > 0).sum())


def test_order_top_k_and_min_score():
    got = suggest_links(LOWER, UPPER, top_k=2, min_score=0.0)
    for i in range(len(LOWER)):
        mine = [s for s in got if s.lower_index == i]
        assert 1 <= len(mine) <= 2
        assert [s.score for s in mine] == sorted((s.score for s in mine), reverse=True)
    assert [s.lower_index for s in got] == sorted(s.lower_index for s in got)
    strict = suggest_links(LOWER, UPPER, top_k=4, min_score=0.3)
    assert strict and all(s.score >= 0.3 for s in strict)
    assert len(strict) < len(suggest_links(LOWER, UPPER, top_k=4, min_score=0.0))


def test_identical_text_scores_one_and_disjoint_text_nothing():
    [s] = suggest_links(["推进长三角科创圈建设"], ["推进长三角科创圈建设"])
    assert s.score == pytest.approx(1.0)
    assert suggest_links(["推进大气污染防治"], ["深化政务服务改革"], min_score=0.0) == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [([], UPPER), (LOWER, []), (["", "  ", "。"], UPPER), (["、、"], ["，，"])],
)
def test_empty_inputs_give_no_suggestions(lower, upper):
    assert suggest_links(lower, upper) == []


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"lower_texts": "推进"}, "lower_texts"),
        ({"lower_texts": ["推进", 3]}, "lower_texts[1]"),
        ({"upper_texts": None}, "upper_texts"),
        ({"top_k": 0}, "top_k"),
        ({"top_k": 1.5}, "top_k"),
        ({"top_k": True}, "top_k"),
        ({"min_score": -0.1}, "min_score"),
        ({"min_score": 1.1}, "min_score"),
        ({"min_score": "0.2"}, "min_score"),
    ],
)
def test_bad_arguments_are_named(kwargs, argument):
    args = {"lower_texts": LOWER, "upper_texts": UPPER, **kwargs}
    lower, upper = args.pop("lower_texts"), args.pop("upper_texts")
    with pytest.raises(ValueError, match=argument.replace("[", r"\[").replace("]", r"\]")):
        suggest_links(lower, upper, **args)


def test_chunks_agree_with_one_block_and_stay_fast():
    # More lower texts than one chunk (256 rows), so chunk boundaries are exercised.
    rng = np.random.default_rng(20240725)
    alphabet = list("长三角一体化发展推进建设协同创新产业生态环境公共服务交通铁路港口开放合作机制")
    make = lambda k: ["".join(rng.choice(alphabet, size=40)) for _ in range(k)]  # noqa: E731
    lower, upper = make(600), make(400)
    started = time.perf_counter()
    got = suggest_links(lower, upper, top_k=3, min_score=0.0)
    elapsed = time.perf_counter() - started
    assert len(got) == 3 * len(lower)
    reference = reference_scores(lower, upper, rows=range(250, 262))
    for r, i in enumerate(range(250, 262)):
        mine = [s.score for s in got if s.lower_index == i]
        assert mine == pytest.approx(sorted(reference[r], reverse=True)[:3], abs=1e-9)
    assert elapsed < 5.0
