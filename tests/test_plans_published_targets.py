"""Targets from indicator tables, past results as baselines, inline sub-items, named standards."""

import pytest
from plan_documents import INDICATOR_PLAN, docx_to_pdf, print_pdf, write_docx

from yrdplan.ingest.catalogue import load_catalogue
from yrdplan.ingest.inline_items import split_inline_items
from yrdplan.ingest.plan_tables import TableContext, parse_cell, read_indicator_table
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.ingest.targets import extract_targets

# (indicator, code, value, comparator, unit, year, base_year, relative_change, kind), worked
# out by hand from the table in plan_documents.INDICATOR_PLAN.
EXPECTED_TABLE_TARGETS = {
    ("地区生产总值年均增长", "GDP_GROWTH", 6.0, "~", "%", 2025, None, None, "indicative"),
    ("全员劳动生产率", None, 28.0, ">=", "万元/人", 2025, None, None, "indicative"),
    ("全员劳动生产率", None, 40.0, ">=", "万元/人", 2035, None, None, "indicative"),
    ("全员劳动生产率年均增长", None, 5.0, ">=", "%", 2025, None, None, "indicative"),
    ("单位地区生产总值能源消耗", "ENERGY_INTENSITY", None, "<=", "吨标准煤/万元", 2025, 2020, -0.14, "binding"),
    ("细颗粒物(PM2.5)平均浓度", "PM25", 30.0, "<=", "微克/立方米", 2025, None, None, "binding"),
    ("细颗粒物(PM2.5)平均浓度", "PM25", 25.0, "<=", "微克/立方米", 2035, None, None, "binding"),
    ("森林覆盖率", "FOREST_COVERAGE", 1.0, ">=", "个百分点", 2025, 2020, None, "binding"),
}  # fmt: skip
EXPECTED_TABLE_BASELINES = {
    ("地区生产总值增长", "GDP_GROWTH", 4.6, 2020),
    ("全员劳动生产率", None, 22.0, 2020),
    ("细颗粒物(PM2.5)平均浓度", "PM25", 31.0, 2020),
    ("森林覆盖率", "FOREST_COVERAGE", 26.5, 2020),
}


def _table_targets(plan):
    return {
        (t.indicator, t.indicator_code, t.value, t.comparator, t.unit, t.year, t.base_year,
         t.relative_change, t.kind)
        for t in plan.targets
        if t.table
    }  # fmt: skip


def _table_baselines(plan):
    return {(b.indicator, b.indicator_code, b.value, b.year) for b in plan.baselines if b.table}


@pytest.fixture(scope="module")
def html_plan(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "plan.html"
    path.write_text(INDICATOR_PLAN, encoding="utf-8")
    return parse_plan(path)


def test_html_indicator_table_gives_every_target_and_baseline(html_plan):
    assert _table_targets(html_plan) == EXPECTED_TABLE_TARGETS
    assert _table_baselines(html_plan) == EXPECTED_TABLE_BASELINES
    (table,) = html_plan.tables
    assert table.is_indicator_table and table.id == "t1"
    # each target points at its own row of the table in the original text
    pm = [t for t in html_plan.targets if t.indicator_code == "PM25" and t.table]
    assert all(html_plan.original_text[t.start : t.end].startswith("细颗粒物") for t in pm)
    labour = [t for t in html_plan.targets if t.indicator == "全员劳动生产率"]
    assert all(t.note == "全员劳动生产率按2020年价格计算。" for t in labour)


def test_word_table_with_merged_cells_reads_the_same(tmp_path, html_plan):
    plan = parse_plan(write_docx(tmp_path / "plan.docx"))
    assert _table_targets(plan) == EXPECTED_TABLE_TARGETS
    assert _table_baselines(plan) == EXPECTED_TABLE_BASELINES


@pytest.mark.browser
def test_pdf_table_reads_the_same_as_the_page_it_was_printed_from(tmp_path, html_plan):
    plan = parse_plan(print_pdf(INDICATOR_PLAN, tmp_path / "plan.pdf"))
    assert _table_targets(plan) == EXPECTED_TABLE_TARGETS
    assert _table_baselines(plan) == EXPECTED_TABLE_BASELINES
    text_targets = lambda p: {(t.indicator, t.value, t.year) for t in p.targets if not t.table}  # noqa: E731
    assert text_targets(plan) == text_targets(html_plan)
    assert [n.label for n in plan.nodes] == [n.label for n in html_plan.nodes]


def test_pdf_printed_from_word_by_libreoffice_reads_the_same(tmp_path):
    pdf = docx_to_pdf(write_docx(tmp_path / "plan.docx"), tmp_path)
    if pdf is None:
        pytest.skip("LibreOffice is not installed")
    plan = parse_plan(pdf)
    assert plan.source_format == "pdf"
    assert _table_targets(plan) == EXPECTED_TABLE_TARGETS
    assert _table_baselines(plan) == EXPECTED_TABLE_BASELINES


# Header wordings seen in published plans, each with the roles it must take.
HEADERS = [
    (["指标", "单位", "2020年", "2025年", "属性"], 2020, 2025),
    (["指标名称", "计量单位", "基期值", "目标值", "指标属性"], None, None),
    (["主要指标", "单位", "2020年基数", "2025年目标", "性质"], 2020, 2025),
    (["指标", "单位", "现状值（2020年）", "规划目标（2025年）", "属性"], 2020, 2025),
    (["具体指标", "单位", "“十三五”末", "“十四五”末", "指标类型"], 2020, 2025),
    (["指标", "单位", "2020年（基期）", "2025年（预期）", "属性"], 2020, 2025),
    (["指标", "单位", "起始值", "2025年目标值", "属性"], None, 2025),
]


@pytest.mark.parametrize(("header", "base", "year"), HEADERS, ids=lambda h: str(h))
def test_header_wordings(header, base, year):
    rows = [header, ["常住人口城镇化率", "%", "86.8", "≥88", "预期性"]]
    context = TableContext("t1", [(0, 1), (2, 3)], [], caption="", year=2025, base_year=2020)
    reading = read_indicator_table(rows, context, load_catalogue())
    (target,) = reading.targets
    assert (target.indicator_code, target.value, target.comparator) == ("URBANIZATION", 88.0, ">=")
    assert target.year == (year or 2025) and target.kind == "indicative"
    (baseline,) = reading.baselines
    assert (baseline.value, baseline.year) == (86.8, base or 2020)


def test_a_table_without_indicator_column_is_not_an_indicator_table():
    rows = [["序号", "项目名称", "建设内容"], ["1", "沪宁合高铁", "新建线路"]]
    assert read_indicator_table(rows, TableContext("t1", [], []), load_catalogue()) is None


def test_starred_rows_are_binding_by_the_note_under_the_table():
    rows = [["指标", "单位", "2025年"], ["单位地区生产总值能源消耗*", "吨标准煤/万元", "0.3"]]
    notes = ["注：带*的为约束性指标。"]
    reading = read_indicator_table(
        rows, TableContext("t1", [(0, 1), (2, 3)], notes), load_catalogue()
    )
    (target,) = reading.targets
    assert target.indicator == "单位地区生产总值能源消耗" and target.kind == "binding"
    assert target.comparator == "<="  # lower is better: a plain value is a ceiling


@pytest.mark.parametrize(
    ("cell", "value", "high", "comparator", "cumulative"),
    [
        ("<5.5", 5.5, None, "<=", False),
        ("≤5.5", 5.5, None, "<=", False),
        ("＜5.5", 5.5, None, "<=", False),
        ("5.5以下", 5.5, None, "<=", False),
        (">3", 3.0, None, ">=", False),
        ("≥3", 3.0, None, ">=", False),
        ("3以上", 3.0, None, ">=", False),
        ("6左右", 6.0, None, "~", False),
        ("约6", 6.0, None, "~", False),
        ("5-6", 5.0, 6.0, "between", False),
        ("5～6", 5.0, 6.0, "between", False),
        ("〔14〕", 14.0, None, None, True),
        ("[3]", 3.0, None, None, True),
        ("【2.5】", 2.5, None, None, True),
        ("1,200", 1200.0, None, None, False),
    ],
)
def test_cell_forms(cell, value, high, comparator, cumulative):
    parsed = parse_cell(cell)
    assert (parsed.value, parsed.value_high, parsed.comparator, parsed.cumulative) == (
        value,
        high,
        comparator,
        cumulative,
    )


@pytest.mark.parametrize("cell", ["—", "-", "", "/", "——", "基本实现"])
def test_empty_cells(cell):
    assert parse_cell(cell) is None


# -- past results are baselines --------------------------------------------------------------

BACKGROUND = (
    "南京市“十四五”规划\n一、发展基础\n“十三五”时期，全市地区生产总值年均增长7.1%，"
    "2020年研发经费投入强度达到3.5%，城镇化率较2015年提高5.2个百分点。\n二、主要目标\n"
    "到2025年，研发经费投入强度达到4%以上。\n"
)


def test_past_results_are_baselines_not_targets():
    plan = parse_plan(BACKGROUND)
    assert [(t.indicator_code, t.value, t.year) for t in plan.targets] == [
        ("RD_INTENSITY", 4.0, 2025)
    ]
    assert [(b.indicator, b.value, b.unit, b.year, b.base_year) for b in plan.baselines] == [
        ("地区生产总值年均增长", 7.1, "%", 2020, 2015),  # a five-year average: a change
        ("研发经费投入强度", 3.5, "%", 2020, None),  # a level: one observation
        ("城镇化率", 5.2, "个百分点", 2020, 2015),
    ]
    assert not any(p.kind == "target_year_missing" for p in plan.problems)


def test_past_results_outside_a_background_section():
    # No 发展基础 heading: the earlier period and the base year give them away.
    text = "“十四五”实施方案\n“十三五”时期，单位地区生产总值能耗累计下降20%。2020年，城镇化率达到86.8%。到2025年，城镇化率达到88%。"
    plan = parse_plan(text)
    assert [(t.indicator_code, t.value, t.year) for t in plan.targets] == [
        ("URBANIZATION", 88.0, 2025)
    ]
    assert {(b.indicator_code, b.year) for b in plan.baselines} == {
        ("ENERGY_INTENSITY", 2020),
        ("URBANIZATION", 2020),
    }


def test_a_plan_with_no_known_period_keeps_its_targets():
    # Neither the date nor the period is known: nothing is reclassified by year.
    plan = parse_plan("实施方案\n2025年，城镇化率达到88%。")
    assert [(t.value, t.year) for t in plan.targets] == [(88.0, 2025)] and not plan.baselines


# -- inline sub-items and named standards ------------------------------------------------------


def test_inline_sub_items_become_child_nodes():
    text = "一、重点任务\n1.加强治理：（1）推进污水管网建设；（2）实施河道综合整治；（3）开展农业面源污染防治。\n2.强化保障。"
    plan = parse_plan(text)
    assert [(n.label, n.kind, n.title, n.parent) for n in plan.nodes] == [
        ("一、", "part", "重点任务", None),
        ("1.", "item", "加强治理", "n1"),
        ("（1）", "subitem", "推进污水管网建设", "n2"),
        ("（2）", "subitem", "实施河道综合整治", "n2"),
        ("（3）", "subitem", "开展农业面源污染防治", "n2"),
        ("2.", "item", "强化保障", "n1"),
    ]
    for node in plan.nodes:
        assert plan.original_text[node.start : node.end] == node.text


def test_inline_markers_out_of_order_stay_text():
    nodes = split_inline_items([], "")
    assert nodes == []
    plan = parse_plan("一、任务\n1.推进（2）号线建设，开展（1）类试点。")
    assert [n.label for n in plan.nodes] == ["一、", "1."]


@pytest.mark.parametrize(
    ("text", "indicator", "code", "value", "unit", "standard"),
    [
        ("到2025年，细颗粒物平均浓度总体达标。", "细颗粒物平均浓度", "PM25", 35.0, "微克/立方米", "GB 3095-2012"),
        ("到2025年，主要河流水质达到Ⅲ类。", "主要河流水质", None, 3.0, "类", "GB 3838-2002"),
        ("到2025年，国考断面水质达到或好于Ⅱ类。", "国考断面水质", None, 2.0, "类", "GB 3838-2002"),
    ],
)  # fmt: skip
def test_attaining_a_named_standard_is_a_target(text, indicator, code, value, unit, standard):
    (target,), _ = extract_targets(text, [])
    assert (target.indicator, target.indicator_code, target.value, target.unit) == (
        indicator,
        code,
        value,
        unit,
    )
    assert (target.comparator, target.standard, target.year) == ("<=", standard, 2025)


def test_達標_as_a_word_is_no_target():
    assert (
        extract_targets("跨界河流断面水质达标率等量化指标，对于能耗强度达标而发展较快地区。", [])[0]
        == []
    )


def test_a_page_laid_out_in_a_table_keeps_its_text_targets(tmp_path):
    body = "到2025年，常住人口城镇化率达到75%以上。" + "推进区域协同发展，" * 40
    page = (
        '<html><head><meta charset="utf-8"></head><body><table>'
        f"<tr><td>首页</td><td>主要指标</td></tr><tr><td>导航</td><td><p>一、总体要求</p><p>{body}</p>"
        "<table><tr><td>指标</td><td>2025年</td></tr><tr><td>研发投入强度</td><td>3%</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    path = tmp_path / "layout.html"
    path.write_text(page, encoding="utf-8")
    plan = parse_plan(path)
    assert {(t.indicator_code, t.value, t.table) for t in plan.targets} == {
        ("URBANIZATION", 75.0, None),
        ("RD_INTENSITY", 3.0, "t1"),
    }
    assert len(plan.tables) == 1


def test_unit_in_the_indicator_name_when_there_is_no_unit_column():
    rows = [
        ["序号", "主要指标", "2020年", "2025年"],
        ["1", "常住人口城镇化率（%）", "86.8", "88左右"],
    ]
    reading = read_indicator_table(rows, TableContext("t1", [(0, 1), (2, 3)], []), load_catalogue())
    (target,) = reading.targets
    assert (target.indicator, target.unit, target.comparator, target.year) == (
        "常住人口城镇化率",
        "%",
        "~",
        2025,
    )
    assert [(b.value, b.unit, b.year) for b in reading.baselines] == [(86.8, "%", 2020)]
