"""Quantitative targets from clean plan text: each written form, years, nodes, false positives,
the Nanjing seed's 2025 targets, and a property test that no text crashes the extractor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from yrdplan.domain.plans import ExtractedTarget, ParsedNode
from yrdplan.ingest.targets import (
    DEFAULT_BAND_TOLERANCE,
    band_bounds,
    extract_targets,
    parse_chinese_number,
)

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def clean_seed(name: str) -> str:
    """A stand-in for ingest.clean: t2s and pinyin glosses removed (enough for targets)."""
    text = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    return _GLOSS.sub("", OpenCC("t2s").convert(text))


def only(text: str, nodes: list[ParsedNode] | None = None) -> ExtractedTarget:
    targets, _ = extract_targets(text, nodes or [])
    assert len(targets) == 1, [t.to_dict() for t in targets]
    return targets[0]


def fields(t: ExtractedTarget) -> tuple:
    return (t.indicator_code, t.value, t.value_high, t.unit, t.comparator, t.year)


# --- each written form ----------------------------------------------------------------------

FORMS = [
    # ≥ : 以上, 不低于, 超过, 突破, 提高到, 力争
    ("到2025年，研发投入强度达到3.2%以上。", ("RD_INTENSITY", 3.2, None, "%", ">=", 2025)),
    ("到2025年，科技进步贡献率不低于70%。", ("TECH_PROGRESS_CONTRIB", 70.0, None, "%", ">=", 2025)),
    ("到2027年，人均GDP超过15万元。", ("GDP_PER_CAPITA", 15.0, None, "万元", ">=", 2027)),
    ("到2027年，地区生产总值突破1万亿元。", ("GDP", 1.0, None, "万亿元", ">=", 2027)),
    ("到2025年，常住人口城镇化率提高到86%。", ("URBANIZATION", 86.0, None, "%", ">=", 2025)),
    ("到2025年，高铁营业里程力争达到1500公里。", ("HSR_KM", 1500.0, None, "公里", ">=", 2025)),
    ("到2025年，常住人口达到1,000万人。", ("POP", 1000.0, None, "万人", ">=", 2025)),
    # plain 达到: the direction decides; a higher-is-better rate is a floor
    ("到2025年，5G网络覆盖率达到90%。", ("G5_COVERAGE", 90.0, None, "%", ">=", 2025)),
    # plain 达到 on a lower-is-better indicator is a ceiling
    ("到2025年，PM2.5年均浓度达到30微克/立方米。", ("PM25", 30.0, None, "微克/立方米", "<=", 2025)),
    # ≤ : 以下, 以内, 不超过, 控制在…以内, 降低到
    (
        "到2025年，PM2.5平均浓度控制在30微克/立方米以内。",
        ("PM25", 30.0, None, "微克/立方米", "<=", 2025),
    ),
    (
        "到2025年，单位GDP能耗不超过0.3吨标准煤/万元。",
        ("ENERGY_INTENSITY", 0.3, None, "吨标准煤/万元", "<=", 2025),
    ),  # fmt: skip
    ("到2025年，能源消费总量在3500万吨标准煤以下。", None),  # no verb governs 3500: not a target
    (
        "到2025年，能源消费总量降低到3400万吨标准煤以下。",
        ("ENERGY_CONSUMPTION", 3400.0, None, "万吨标准煤", "<=", 2025),
    ),  # fmt: skip
    # ~ : a band (左右, ratio)
    (
        "到2025年，全市城乡居民收入差距缩小到2:1左右。",
        ("URBAN_RURAL_INCOME_RATIO", 2.0, None, ":1", "~", 2025),
    ),  # fmt: skip
    (
        "到2025年，城乡居民收入比缩小到2.2∶1左右。",
        ("URBAN_RURAL_INCOME_RATIO", 2.2, None, ":1", "~", 2025),
    ),  # fmt: skip
    ("到2025年，森林覆盖率保持在25%。", ("FOREST_COVERAGE", 25.0, None, "%", "~", 2025)),
    ("到2025年，地区生产总值年均增长6%左右。", ("GDP_GROWTH", 6.0, None, "%", "~", 2025)),
    # between: ranges and counts
    (
        "到2025年，数字经济核心产业增加值占比达到10%—12%。",
        ("DIGITAL_CORE_SHARE", 10.0, 12.0, "%", "between", 2025),
    ),  # fmt: skip
    ("到2025年，研发投入强度达到3-3.5%。", ("RD_INTENSITY", 3.0, 3.5, "%", "between", 2025)),
    (
        "到2025年，聚力打造2—3个“全省第一、全国前三”产业地标。",
        ("INDUSTRY_LANDMARKS", 2.0, 3.0, "个", "between", 2025),
    ),  # fmt: skip
    ("到2025年，建设5G基站1万个。", ("G5_BASE_STATIONS", 1.0, None, "万个", ">=", 2025)),
    # Chinese numerals, unit kept as written
    ("到2025年，高铁营业里程达到一千五百公里。", ("HSR_KM", 1500.0, None, "公里", ">=", 2025)),
    ("到2030年，地区生产总值突破三万亿元。", ("GDP", 3.0, None, "万亿元", ">=", 2030)),
    (
        "到2025年，劳动年龄人口平均受教育年限达到十二点九年。",
        ("SCHOOLING_YEARS", 12.9, None, "年", ">=", 2025),
    ),  # fmt: skip
]


@pytest.mark.parametrize(("text", "expected"), FORMS)
def test_written_forms(text, expected):
    targets, _ = extract_targets(text, [])
    if expected is None:
        assert targets == []
    else:
        assert len(targets) == 1
        assert fields(targets[0]) == expected


def test_relative_to_base_year():
    t = only("到2025年，单位GDP能耗较2017年下降10%。")
    assert (t.indicator, t.indicator_code, t.comparator) == (
        "单位GDP能耗",
        "ENERGY_INTENSITY",
        "<=",
    )
    assert (t.base_year, t.relative_change, t.year, t.value) == (2017, -0.10, 2025, None)
    assert t.unit == "吨标准煤/万元"  # the indicator's unit: value = base value × (1 − 0.10)


def test_relative_increase_and_at_least():
    up = only("到2027年，研发经费支出与2020年相比增长50%。")
    assert (up.comparator, up.base_year, up.relative_change) == (">=", 2020, 0.5)
    # 以上 qualifies the size of the fall, so the target stays a ceiling
    down = only("到2027年，单位GDP能耗较2020年下降13.5%以上。")
    assert (down.comparator, down.base_year, down.relative_change) == ("<=", 2020, -0.135)


def test_relative_without_base_year_and_percentage_points():
    t = only("到2025年，单位GDP二氧化碳排放下降18%。")
    assert (t.comparator, t.base_year, t.relative_change, t.value) == ("<=", None, -0.18, None)
    pp = only("到2025年，空气质量优良天数比率提高5个百分点。")
    assert (pp.comparator, pp.value, pp.unit, pp.relative_change) == (">=", 5.0, "个百分点", None)


@pytest.mark.parametrize(
    ("text", "value", "standard"),
    [
        ("到2025年，细颗粒物(PM2.5)平均浓度达到国家标准。", 35.0, "GB 3095-2012"),
        ("到2025年，细颗粒物年均浓度达到国家二级标准。", 35.0, "GB 3095-2012"),
        ("到2025年，PM2.5平均浓度达到国家一级标准。", 15.0, "GB 3095-2012"),
    ],
)
def test_named_standard_resolved(text, value, standard):
    t = only(text)
    # GB 3095-2012 Table 1: PM2.5 annual mean, grade II 35 µg/m³, grade I 15 µg/m³.
    assert (t.indicator_code, t.value, t.unit, t.comparator, t.standard) == (
        "PM25",
        value,
        "微克/立方米",
        "<=",
        standard,
    )


def test_unknown_standard_is_kept_and_reported():
    targets, problems = extract_targets("到2025年，噪声达标率达到国家标准。", [])
    assert targets[0].standard == "国家标准" and targets[0].value is None
    assert "target_standard_unresolved" in {p.kind for p in problems}


def test_offsets_cover_name_and_value():
    text = "到2025年，全市城乡居民收入差距缩小到2:1左右，常住人口城镇化率达到85%。"
    targets, _ = extract_targets(text, [])
    spans = [text[t.start : t.end] for t in targets]
    assert spans == ["城乡居民收入差距缩小到2:1左右", "常住人口城镇化率达到85%"]


def test_several_targets_in_one_sentence_keep_order():
    text = "到2025年，研发投入强度达到3.2%以上，科技进步贡献率达到70%以上，5G网络覆盖率达到90%。"
    codes = [t.indicator_code for t in extract_targets(text, [])[0]]
    assert codes == ["RD_INTENSITY", "TECH_PROGRESS_CONTRIB", "G5_COVERAGE"]


def test_respectively_pairs_names_with_values():
    text = "到2025年，全市研发投入强度、科技进步贡献率和5G网络覆盖率分别达到3%、70%和90%。"
    targets, problems = extract_targets(text, [])
    assert [(t.indicator_code, t.value, t.year) for t in targets] == [
        ("RD_INTENSITY", 3.0, 2025),
        ("TECH_PROGRESS_CONTRIB", 70.0, 2025),
        ("G5_COVERAGE", 90.0, 2025),
    ]
    assert problems == []
    rel = extract_targets("PM2.5平均浓度、单位GDP能耗分别较2020年下降10%、13.5%。", [])[0]
    assert [(t.indicator_code, t.relative_change) for t in rel] == [
        ("PM25", -0.1),
        ("ENERGY_INTENSITY", -0.135),
    ]


def test_respectively_that_cannot_be_paired_is_not_guessed():
    targets, problems = extract_targets("到2025年，研发投入强度、科技进步贡献率分别达到3%。", [])
    assert [(t.indicator, t.value) for t in targets] == [("", 3.0)]
    assert [p.kind for p in problems] == ["target_indicator_missing"]


# --- not targets ----------------------------------------------------------------------------

NOT_TARGETS = [
    "《长三角地区一体化发展三年行动计划(2024—2026年)》正式发布。",  # a plan name
    "按照“十四五”结束的2025年和基本实现社会主义现代化的2035年两个关键时间节点。",
    "1.增强城市空间统筹能力。①提高政治站位。(三)确立发展目标",  # item numbers
    "4月1日,省政府举行新闻发布会。日期:2020-05-11 点击:次",  # dates
    "2020年3月8日印发",
    "9个方面165项重点工作明确，设置28项具体指标。",  # counts with no target verb
    "建立16个市、104个县(市、区)全面对照学习机制。",
    "到2035年达到较高水平，打造一批科技产业孵化基地。",  # no number / 一批
    "推进沪宁杭合4个城市联合共建技术转移转化服务平台。",
    "加快建设淮南—南京—上海1000千伏特高压交流输电工程。",
    "深入实施创新驱动发展“121”战略，建设G42沪宁沿线人才创新走廊，深入推进IPv6规模部署。",
    "广东36选7中奖说明 上海11选5定胆 一分彩是什么",  # page spam
    "截至去年底，长三角高铁营业里程超7100公里。",  # reports the past
    "目前累计结算超3800万人次，已覆盖长三角全域41个城市。",
    "第一轮三年行动计划320项重点任务、第二轮217项重点任务，完成率均在90%以上。",
    "17条断头路中已有16条建成通车，目前已实现52个服务事项“一卡通”。",
    "打造千亿级产业集群，达到3级，达到5G标准。",
    "总面积约2300平方公里，约占示范区总面积的51%。",
]


@pytest.mark.parametrize("text", NOT_TARGETS)
def test_false_positives(text):
    assert extract_targets(text, [])[0] == []


# --- years ------------------------------------------------------------------------------------


def node(nid, parent, kind, label, start, end, text) -> ParsedNode:
    return ParsedNode(nid, parent, kind, label, 1, "", text[start:end], start, end)


def test_year_from_ancestor_lead_text():
    text = "一、主要目标\n到2025年，主要指标如下：\n1.创新。研发投入强度达到3.2%以上。\n"
    part_end = len(text)
    item_start = text.index("1.创新")
    nodes = [
        node("p1", None, "part", "一、", 0, part_end, text),
        node("i1", "p1", "item", "1.", item_start, part_end, text),
    ]
    t = only(text, nodes)
    assert (t.year, t.node) == (2025, "i1")


def test_own_year_beats_ancestor_and_later_siblings_do_not_leak():
    text = "一、目标\n到2025年：\n1.近期。研发投入强度达到3%。\n2.远期。到2035年，研发投入强度达到4%。\n"
    i1, i2 = text.index("1.近期"), text.index("2.远期")
    nodes = [
        node("p", None, "part", "一、", 0, len(text), text),
        node("a", "p", "item", "1.", i1, i2, text),
        node("b", "p", "item", "2.", i2, len(text), text),
    ]
    targets, _ = extract_targets(text, nodes)
    assert [(t.node, t.year, t.value) for t in targets] == [("a", 2025, 3.0), ("b", 2035, 4.0)]


def test_base_year_and_dates_do_not_govern():
    targets, problems = extract_targets("单位GDP能耗较2017年下降10%。", [])
    assert targets[0].year is None and targets[0].base_year == 2017
    assert "target_year_missing" in {p.kind for p in problems}
    # a date earlier on the line is not a target year; the deadline is
    assert only("2020年3月8日印发。到2022年，5G网络覆盖率达到80%。").year == 2022
    assert only("(2024—2026年)行动计划：5G网络覆盖率达到80%。").year is None


def test_year_search_without_nodes_stays_on_the_line():
    text = "到2025年，研发投入强度达到3%。\n5G网络覆盖率达到90%。"
    assert [t.year for t in extract_targets(text, [])[0]] == [2025, None]


def test_deepest_node_wins():
    text = "一、甲\n(一)乙\n1.丙。研发投入强度达到3%。"
    nodes = [
        node("p", None, "part", "一、", 0, len(text), text),
        node("s", "p", "section", "(一)", text.index("(一)"), len(text), text),
        node("i", "s", "item", "1.", text.index("1.丙"), len(text), text),
    ]
    assert only(text, nodes).node == "i"


# --- problems and helpers ------------------------------------------------------------------


def test_unknown_and_missing_indicator_are_warnings():
    targets, problems = extract_targets("到2025年，幸福指数达到95%，达到3.2%。", [])
    assert [t.indicator for t in targets] == ["幸福指数", ""]
    assert [t.indicator_code for t in targets] == [None, None]
    kinds = {p.kind: p for p in problems}
    assert kinds["target_indicator_unknown"].value == "幸福指数"
    assert kinds["target_indicator_unknown"].severity == "warning"
    assert "target_indicator_missing" in kinds


def test_band_bounds():
    assert band_bounds(2.0) == (1.9, 2.1)
    assert DEFAULT_BAND_TOLERANCE == 0.05
    assert band_bounds(2.2, 0.1) == (1.98, 2.42)
    with pytest.raises(ValueError, match="tolerance"):
        band_bounds(2.0, -0.1)


@pytest.mark.parametrize(
    ("text", "value"),
    [("三", 3.0), ("十", 10.0), ("十二", 12.0), ("二十", 20.0), ("一百零五", 105.0),
     ("一千五百", 1500.0), ("两千", 2000.0), ("十二点九", 12.9), ("二〇二五", 2025.0),
     ("十四五", None), ("一二三", None), ("十百", None), ("", None)],
)  # fmt: skip
def test_parse_chinese_number(text, value):
    assert parse_chinese_number(text) == value


# --- the Nanjing plan (seed 001) ------------------------------------------------------------

# Read from the plan's section (三)确立发展目标 and tasks 8 and 11:
# (indicator as written, code, value, value_high, unit, comparator, year, base_year, change)
NANJING_TARGETS = [
    ("城乡居民收入差距", "URBAN_RURAL_INCOME_RATIO", 2.0, None, ":1", "~", 2025, None, None),
    ("常住人口城镇化率", "URBANIZATION", 85.0, None, "%", ">=", 2025, None, None),
    ("研发投入强度", "RD_INTENSITY", 3.2, None, "%", ">=", 2025, None, None),
    ("科技进步贡献率", "TECH_PROGRESS_CONTRIB", 70.0, None, "%", ">=", 2025, None, None),
    (
        "高新技术产业产值占规模以上工业总产值比重",
        "HITECH_OUTPUT_SHARE",
        51.0,
        None,
        "%",
        ">=",
        2025,
        None,
        None,
    ),  # fmt: skip
    ("铁路网密度", "RAIL_DENSITY", 990.0, None, "公里/万平方公里", ">=", 2025, None, None),
    (
        "高速公路密度",
        "EXPRESSWAY_DENSITY",
        10.17,
        None,
        "公里/百平方公里",
        ">=",
        2025,
        None,
        None,
    ),  # fmt: skip
    ("5G网络覆盖率", "G5_COVERAGE", 90.0, None, "%", ">=", 2025, None, None),
    ("细颗粒物(PM2.5)平均浓度", "PM25", 35.0, None, "微克/立方米", "<=", 2025, None, None),
    ("跨界河流国考断面水质达标率", "CROSS_BORDER_WATER", 100.0, None, "%", ">=", 2025, None, None),
    ("单位GDP能耗", "ENERGY_INTENSITY", None, None, "吨标准煤/万元", "<=", 2025, 2017, -0.1),
    ("人均公共财政支出", "PUBLIC_EXPENDITURE_PC", 2.2, None, "万元", ">=", 2025, None, None),
    ("劳动年龄人口平均受教育年限", "SCHOOLING_YEARS", 12.9, None, "年", ">=", 2025, None, None),
    ("人均期望寿命", "LIFE_EXPECTANCY", 83.0, None, "岁", ">=", 2025, None, None),
    ("万人发明专利拥有量", "PATENTS_PER_10K", 70.0, None, "件", ">=", 2025, None, None),
    # task 11 has no year of its own and its headings give none
    ("产业地标", "INDUSTRY_LANDMARKS", 2.0, 3.0, "个", "between", None, None, None),
]


def summary(t: ExtractedTarget) -> tuple:
    return (t.indicator, t.indicator_code, t.value, t.value_high, t.unit, t.comparator, t.year,
            t.base_year, t.relative_change)  # fmt: skip


@pytest.fixture(scope="module")
def nanjing() -> str:
    return clean_seed("001")


def test_nanjing_targets_without_structure(nanjing):
    targets, problems = extract_targets(nanjing, [])
    assert [summary(t) for t in targets] == NANJING_TARGETS
    assert targets[8].standard == "GB 3095-2012"
    # the only problem is the landmark count's missing year
    assert [(p.kind, p.start) for p in problems] == [("target_year_missing", targets[-1].start)]


def nanjing_nodes(text: str) -> list[ParsedNode]:
    """A hand-made slice of the plan's structure, with offsets found in the text."""

    def at(marker: str) -> int:
        return text.index("\n" + marker) + 1

    spans = [
        ("p1", None, "part", "一、", "一、紧抓", "二、聚焦"),
        ("p1s3", "p1", "section", "(三)", "(三)确立发展目标", "二、聚焦"),
        ("p3", None, "part", "三、", "三、聚力", "四、强化"),
        ("p3s1", "p3", "section", "(一)", "(一)建设协同创新产业体系", "(二)推进基础设施"),
        ("t8", "p3s1", "item", "8.", "8.联合提升", "9.协同推进"),
        ("t11", "p3s1", "item", "11.", "11.推动制造业", "12.加快发展"),
    ]
    return [node(n, p, k, lab, at(a), at(b), text) for n, p, k, lab, a, b in spans]


def test_nanjing_targets_in_their_nodes(nanjing):
    targets, _ = extract_targets(nanjing, nanjing_nodes(nanjing))
    assert [summary(t) for t in targets] == NANJING_TARGETS
    assert [t.node for t in targets] == ["p1s3"] * 14 + ["t8", "t11"]
    for t in targets:
        assert nanjing[t.start : t.end].startswith(t.indicator if t.node != "t11" else "打造")


def test_nanjing_2025_targets_count(nanjing):
    targets, _ = extract_targets(nanjing, [])
    assert sum(t.year == 2025 for t in targets) == 15


# --- no text crashes it -------------------------------------------------------------------

TOKENS = ["达到", "以上", "以下", "左右", "到", "2025年", "较2017年", "下降", "提高", "10", "3.2",
          "%", ":1", "∶", "—", "-", "个", "打造", "新增", "国家标准", "国家二级标准", "万亿元",
          "十四五", "一百", "点", "两", "，", "。", "\n", "“", "”", "截至", "已", "年均", "增长",
          "公里/", "万平方公里", "研发投入强度", "PM2.5", "(", ")", "力争", "控制在", "以内", "0",
          "9" * 30, ",000", "1e5", "∞", "\x00", "較", "區(qū)", "?", "分别", "、", "和"]  # fmt: skip


@st.composite
def documents(draw, alphabet_text):
    text = draw(alphabet_text)
    n = len(text)
    raw = draw(
        st.lists(
            st.tuples(st.integers(-5, n + 5), st.integers(-5, n + 5), st.integers(-1, 6)),
            max_size=6,
        )
    )
    nodes = [
        ParsedNode(f"n{i}", f"n{p}" if p >= 0 else None, "item", "", i, "", "", s, e)
        for i, (s, e, p) in enumerate(raw)
    ]
    return text, nodes


def check_invariants(text: str, nodes: list[ParsedNode]) -> None:
    targets, problems = extract_targets(text, nodes)
    ids = {n.id for n in nodes}
    for t in targets:
        assert 0 <= t.start <= t.end <= len(text)
        assert t.comparator in (">=", "<=", "=", "~", "between")
        assert (t.value_high is not None) == (t.comparator == "between")
        assert t.node is None or t.node in ids
        assert t.year is None or 1900 <= t.year <= 2099
    for p in problems:
        assert p.start is None or 0 <= p.start <= p.end <= len(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(st.text(max_size=300)))
def test_arbitrary_text_never_crashes(doc):
    check_invariants(*doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)))
def test_target_like_text_never_crashes(doc):
    check_invariants(*doc)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_mutated_seed_never_crashes(nanjing, data):
    start = data.draw(st.integers(0, len(nanjing)))
    stop = data.draw(st.integers(start, min(len(nanjing), start + 400)))
    insert = data.draw(st.sampled_from(TOKENS))
    mutated = nanjing[:start] + insert + nanjing[stop:]
    check_invariants(mutated, [])


@pytest.mark.parametrize(
    ("text", "code", "value"),
    [
        ("到2025年，PM10年均浓度达到国家二级标准。", "PM10", 70.0),
        ("到2025年，臭氧浓度达到国家标准。", "O3", 160.0),
        ("到2025年，二氧化氮平均浓度达到国家标准。", "NO2", 40.0),
        ("到2025年，二氧化硫平均浓度达到国家一级标准。", "SO2", 20.0),
    ],
)
def test_other_pollutants_resolve_to_gb3095_limits(text, code, value):
    t = only(text)
    assert (t.indicator_code, t.value, t.comparator, t.standard) == (
        code,
        value,
        "<=",
        "GB 3095-2012",
    )
