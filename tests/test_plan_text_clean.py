"""Cleaning plan text: furniture, traditional -> simplified, pinyin, widths, mojibake, offsets."""

from __future__ import annotations

import re
from pathlib import Path

import opencc
import pytest

from yrdplan.ingest import clean
from yrdplan.ingest.clean import clean_text, find_unreadable_spans, simplify

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
NANJING = SEEDS / "001_367836f755e79c44.txt"
MECHANISM = SEEDS / "004_53aeeafed972d841.txt"
GLOSS = re.compile(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")


@pytest.fixture(scope="module")
def nanjing():
    return clean_text(NANJING.read_text(encoding="utf-8"))


def test_nanjing_seed_has_1645_pinyin_glosses_and_none_survive(nanjing):
    assert len(GLOSS.findall(nanjing.original)) == 1645
    assert nanjing.stats["pinyin_glosses"] == 1645
    assert not GLOSS.search(nanjing.text)
    assert "区域" in nanjing.text and "區(qū)" not in nanjing.text


def test_nanjing_seed_is_simplified(nanjing):
    t2s = opencc.OpenCC("t2s")
    assert t2s.convert(nanjing.text) == nanjing.text
    assert nanjing.stats["chars_simplified"] > 3000
    assert "增强城市空间统筹能力" in nanjing.text


def test_nanjing_seed_furniture_is_gone_and_content_stays(nanjing):
    lines = nanjing.text.split("\n")
    for furniture in ("Network", "- 高新院新闻", "- 园区规划", "▼", "相关文章推荐：", "01", "04"):
        assert furniture not in lines
    assert not any(line.startswith("当前位置") for line in lines)
    assert "点击" not in nanjing.text
    assert lines[0] == "《长江三角洲区域一体化发展规划纲要》 南京实施方案来了！"
    assert "来源：未知 日期：2020-05-11" in lines
    assert "(四)抓好督促落实" in lines
    # 13 menu lines, "Network", the breadcrumb, four "0x" markers, "▼" and "相关文章推荐".
    assert nanjing.stats["furniture_lines"] == 21
    assert nanjing.stats["counters"] == 1


def test_nanjing_mojibake_is_reported_with_original_offsets(nanjing):
    unreadable = [p for p in nanjing.problems if p.kind == "unreadable"]
    found = [nanjing.original[p.start : p.end] for p in unreadable]
    # A gloss glued to the damage belongs to it: "?;A(chǔ)" was 基礎(chǔ).
    assert found == ["?yún)⑴c", "??苿?chuàng)", "?;A(chǔ)", "??品?wù)", "?zhí)?", "??鐓^(qū)"]
    assert all(p.severity == "warning" for p in unreadable)
    assert nanjing.stats["unreadable_spans"] == 6
    # Each span is marked in the clean text, never dropped silently.
    assert nanjing.text.count("\ufffd") == 6
    assert "比重达到51%以上\ufffd设施互联互通基本实现" in nanjing.text
    assert "?" not in nanjing.text


def test_every_clean_character_maps_to_its_source(nanjing):
    t2s = opencc.OpenCC("t2s")
    starts, ends, text, original = nanjing.starts, nanjing.ends, nanjing.text, nanjing.original
    assert len(starts) == len(ends) == len(text)
    for i, ch in enumerate(text):
        assert starts[i] < ends[i]
        if i:
            assert ends[i - 1] <= starts[i]
        if "\u4e00" <= ch <= "\u9fff":
            # a Chinese character comes from the same character, simplified
            assert t2s.convert(original[starts[i]]) == ch


def test_spans_map_back_to_the_clause_including_glosses(nanjing):
    title = "增强城市空间统筹能力"
    start = nanjing.text.index(title)
    lo, hi = nanjing.span_to_original(start, start + len(title))
    assert nanjing.original[lo:hi] == "增強城市空間統(tǒng)籌能力"
    region = nanjing.text.index("区域")
    lo, hi = nanjing.span_to_original(region, region + 1)
    assert nanjing.original[lo:hi] == "區(qū)"


def test_offset_edges():
    cleaned = clean_text("區(qū)域")
    assert cleaned.text == "区域"
    assert cleaned.to_original(0) == 0
    assert cleaned.to_original(2, end=True) == 6
    assert cleaned.to_original(2) == 6  # a start at the end of the text
    assert cleaned.to_original(99) == 6  # clamped
    assert cleaned.span_to_original(1, 1) == (5, 5)  # an empty span stays empty
    empty = clean_text("")
    assert (empty.text, empty.to_original(0), empty.to_original(0, end=True)) == ("", 0, 0)


def test_width_and_punctuation_convention():
    cleaned = clean_text(
        "１．研发投入强度达到３．２％以上,比例2:1左右;时间16:13:00\n（一）保留(二)保留　全角空格"
    )
    assert cleaned.text == (
        "1.研发投入强度达到3.2%以上，比例2:1左右；时间16:13:00\n（一）保留(二)保留 全角空格"
    )
    assert cleaned.stats["chars_normalised"] == 8  # １．３．２％,; (the space is a control step)
    assert cleaned.original[cleaned.to_original(0)] == "１"


def test_line_endings_and_invisible_characters():
    cleaned = clean_text("一、总体\r\n\r\n\r\n二、任\u200b务\r三、保障\x07")
    assert cleaned.text == "一、总体\n\n二、任务\n三、保障"
    second = cleaned.text.index("二")
    assert cleaned.original[cleaned.to_original(second)] == "二"
    assert cleaned.original[cleaned.to_original(cleaned.text.index("务"))] == "务"


PAGE = """Network
当前位置：首页 > 政策文件
- 首页
- 新闻
- 政策
关于推进一体化的实施方案
来源：省发展改革委 日期：2020-04-01 点击：35次
【字号：大 中 小】【打印】
0
一、总体要求，到2025年，区域一体化发展取得实质性进展，现代化经济体系基本建成。
- 沪宁合高铁
- 北沿江高铁
- 通苏嘉甬铁路
▼
二、重点任务。推进基础设施互联互通，加快建设轨道上的长三角。
作者：  编辑：张三
分享到：
相关文章：
长三角一体化三年行动计划发布
南京都市圈规划获批
赚钱宝还赚钱吧 时时彩软件杀百十位 一分彩是什么 广东36选7中奖说明 上海11选5定胆 贵阳麻将单机版
"""


def test_page_furniture_is_dropped_and_body_kept():
    cleaned = clean_text(PAGE)
    assert cleaned.text.split("\n") == [
        "关于推进一体化的实施方案",
        "来源：省发展改革委 日期：2020-04-01",
        "一、总体要求，到2025年，区域一体化发展取得实质性进展，现代化经济体系基本建成。",
        # a short list inside the running text is content, not a menu
        "- 沪宁合高铁",
        "- 北沿江高铁",
        "- 通苏嘉甬铁路",
        "二、重点任务。推进基础设施互联互通，加快建设轨道上的长三角。",
    ]
    assert cleaned.stats["furniture_lines"] == 14
    assert cleaned.stats["counters"] == 1


def test_mechanism_seed_spam_toolbar_and_byline_are_dropped():
    cleaned = clean_text(MECHANISM.read_text(encoding="utf-8"))
    assert "时时彩" not in cleaned.text
    assert "字号" not in cleaned.text and "打印" not in cleaned.text
    assert "编辑" not in cleaned.text
    assert cleaned.text.endswith("中共江苏省委办公厅\n\n2020年3月8日印发")
    assert "\n0\n" not in cleaned.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("数据\ufffd\ufffd\ufffd丢失", ["\ufffd\ufffd\ufffd"]),
        ("全部????????乱码", ["????????"]),
        ("基础?;A(chǔ)设施", ["?;A(chǔ)"]),
        ("要不要？好吗?好的", []),  # a question mark is not damage
        ("见 index.php?id=3 页面", []),
    ],
)
def test_unreadable_spans(text, expected):
    cleaned = clean_text(text)
    found = [cleaned.original[p.start : p.end] for p in cleaned.problems if p.kind == "unreadable"]
    assert found == expected


def test_a_lone_question_mark_becomes_chinese_punctuation():
    assert clean_text("要不要?好的").text == "要不要？好的"
    assert find_unreadable_spans("为什么?因为") == []


def test_simplify_keeps_the_map_when_a_conversion_changes_length(monkeypatch):
    def fake(text: str) -> str:  # a converter that expands one character into two
        return text.replace("乾", "QQ").replace("這", "这")

    monkeypatch.setattr(clean, "_opencc_t2s", lambda: fake)
    assert simplify("這乾", convert=fake) == [(0, 1, "这"), (1, 2, "QQ")]
    cleaned = clean_text("第一行\n這是乾坤")
    assert cleaned.text == "第一行\n这是QQ坤"
    for offset, source in zip(range(4, 9), "這是乾乾坤", strict=True):
        assert cleaned.original[cleaned.to_original(offset)] == source
    assert cleaned.span_to_original(6, 8) == (6, 7)
