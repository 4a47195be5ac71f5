"""Plan structure: numbering hierarchy, lead sentences, checks, the seeds, parse_plan and the CLI."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import opencc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from yrdplan.cli.plan import app
from yrdplan.errors import InputError
from yrdplan.ingest.clean import clean_text
from yrdplan.ingest.plan_text import parse_plan
from yrdplan.ingest.structure import chinese_numeral, lead_title, parse_structure

SEEDS = Path(__file__).resolve().parents[1] / "yrdplan" / "data" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures" / "plans"
SEED = {path.name[:3]: path for path in SEEDS.glob("*.txt")}
GLOSS = re.compile(r"\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")
HAS_TARGETS = importlib.util.find_spec("yrdplan.ingest.targets") is not None
T2S = opencc.OpenCC("t2s")


def _shape(nodes):
    return [(n.kind, n.label, n.ordinal, n.title) for n in nodes]


def _by_id(nodes):
    return {n.id: n for n in nodes}


@pytest.fixture(scope="module")
def nanjing():
    return parse_plan(SEED["001"])


@pytest.fixture(scope="module")
def mechanism():
    return parse_plan(SEED["004"])


# -- numbering --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "kind", "label", "ordinal", "title"),
    [
        ("第三章 推动形成区域协调发展新格局", "chapter", "第三章", 3, "推动形成区域协调发展新格局"),
        ("第十二节 共建绿色美丽长三角", "section", "第十二节", 12, "共建绿色美丽长三角"),
        ("第二部分 主要任务", "part", "第二部分", 2, "主要任务"),
        ("四、强化组织保障", "part", "四、", 4, "强化组织保障"),
        ("二十一、附则", "part", "二十一、", 21, "附则"),
        ("（三）确立发展目标", "subpart", "（三）", 3, "确立发展目标"),
        (
            "(十一)完善区域交易平台和制度。建立健全用水权",
            "subpart",
            "(十一)",
            11,
            "完善区域交易平台和制度",
        ),
        ("12.加快发展高端服务经济。立足南京", "item", "12.", 12, "加快发展高端服务经济"),
        ("3、推进区域协调联动。充分发挥", "item", "3、", 3, "推进区域协调联动"),
        ("（2）促进杭州都市圈发展。", "subitem", "（2）", 2, "促进杭州都市圈发展"),
        ("⑤推进宁镇扬同城化；", "subitem", "⑤", 5, "推进宁镇扬同城化"),
        (
            "二是坚持目标导向，狠抓任务落实。围绕",
            "paragraph",
            "二是",
            2,
            "坚持目标导向，狠抓任务落实",
        ),
    ],
)
def test_heading_forms(line, kind, label, ordinal, title):
    nodes, _, _ = parse_structure("标题\n" + line)
    assert _shape(nodes)[0] == (kind, label, ordinal, title)


@pytest.mark.parametrize(
    "line",
    [
        "3.2%的增长率是重要目标，要稳步实现。",  # a decimal
        "2020年5月11日发布。",  # a date
        "1、2月份经济运行总体平稳，主要指标好于预期。",  # a range of months
        "一、二季度工业增加值增长较快，后劲较足。",  # an enumeration in a sentence
        "研发投入达到3.2%以上。1.加快发展。",  # a number inside a sentence
    ],
)
def test_numbers_that_are_not_headings(line):
    nodes, _, problems = parse_structure("标题\n" + line)
    assert [n.kind for n in nodes] == ["paragraph"]
    assert [p.kind for p in problems] == ["no_structure"]


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一", 1), ("十", 10), ("十五", 15), ("二十", 20), ("三十", 30), ("九十九", 99), ("两", 2)],
)
def test_chinese_numerals(numeral, value):
    assert chinese_numeral(numeral) == value


def test_hierarchy_nests_by_rank_and_circled_items_go_below_parenthesised_ones():
    plan = parse_plan(FIXTURES / "outline_plan.txt")
    nodes = _by_id(plan.nodes)
    shape = [(n.kind, n.label, nodes[n.parent].label if n.parent else None) for n in plan.nodes]
    assert shape == [
        ("chapter", "第一章", None),
        ("chapter", "第二章", None),
        ("section", "第一节", "第二章"),
        ("section", "第二节", "第二章"),
        ("chapter", "第三章", None),
        ("section", "第一节", "第三章"),
        ("paragraph", "", "第一节"),
        ("paragraph", "", "第一节"),
        ("paragraph", "", "第一节"),
        ("section", "第二节", "第三章"),
        ("item", "1、", "第二节"),
        ("subitem", "（1）", "1、"),
        ("subitem", "①", "（1）"),
        ("subitem", "②", "（1）"),
        ("subitem", "（2）", "1、"),
        ("item", "2、", "第二节"),
    ]
    leads = [n for n in plan.nodes if n.kind == "paragraph"]
    assert [(n.ordinal, n.title) for n in leads] == [
        (1, "提升上海服务功能"),
        (2, "发挥苏浙皖比较优势"),
        (3, "加强区域合作联动"),
    ]
    assert leads[0].text.startswith("提升上海服务功能。面向全球")
    assert plan.problems == []


def test_lead_title():
    assert lead_title("发挥苏浙皖比较优势。强化分工合作。") == "发挥苏浙皖比较优势"
    assert (
        lead_title("南京是长三角一体化发展的深入参与者、有力推动者和积极实践者。全市上下") is None
    )
    assert lead_title("创新一体化发展体制机制。") is None  # a title with no text after it
    assert lead_title("坚持生态优先，绿色发展。把保护") is None


def test_a_single_lead_sentence_is_not_a_task():
    text = (
        "标题\n一、总体要求\n提高政治站位。全市上下要进一步增强意识。\n到2025年，取得实质性进展。"
    )
    nodes, _, _ = parse_structure(text)
    assert [n.kind for n in nodes] == ["part"]


def test_own_text_runs_to_the_first_child_and_spans_are_disjoint():
    text = "规划\n一、总体要求\n总的说明。\n（一）目标。到2025年。\n（二）任务。加强合作。\n二、保障\n加强领导。"
    nodes, _, problems = parse_structure(text)
    assert [n.text for n in nodes] == [
        "一、总体要求\n总的说明。",
        "（一）目标。到2025年。",
        "（二）任务。加强合作。",
        "二、保障\n加强领导。",
    ]
    assert all(text[n.start : n.end] == n.text for n in nodes)
    assert all(a.end <= b.start for a, b in zip(nodes, nodes[1:], strict=False))
    assert problems == []


def test_numbering_gaps_and_restarts_are_warnings():
    text = "规划\n一、甲\n（一）子一\n（三）子三\n二、乙\n（一）再一\n（一）又一\n四、丁"
    nodes, _, problems = parse_structure(text)
    assert len(nodes) == 7
    numbering = [(p.message, text[p.start : p.end]) for p in problems if p.kind == "numbering"]
    assert numbering == [
        ("numbering gap: （三） follows （一） (1 missing)", "（三）"),
        ("numbering restarts or repeats: （一） follows （一）", "（一）"),
        ("numbering gap: 四、 follows 二、 (1 missing)", "四、"),
    ]
    assert all(p.severity == "warning" for p in problems)


def test_numbering_may_continue_across_parents_but_not_jump():
    continued = "规划\n一、甲\n（一）子\n（二）子\n二、乙\n（三）子"
    assert [p.kind for p in parse_structure(continued)[2]] == []
    jumped = "规划\n一、甲\n（一）子\n二、乙\n（五）子"
    assert [p.message for p in parse_structure(jumped)[2]] == [
        "（五） is the first of its kind under 二、; expected 1 or 2"
    ]


def test_stated_counts_are_compared_with_the_parse():
    base = "规划\n本方案分为两个部分，共{n}条重点任务。\n一、甲\n1.任务一。\n2.任务二。\n二、乙\n3.任务三。"
    assert parse_structure(base.format(n=3))[2] == []
    problems = parse_structure(base.format(n=5))[2]
    assert [p.kind for p in problems] == ["count_mismatch"]
    assert "states 5 tasks" in problems[0].message
    assert problems[0].severity == "warning"


def test_no_structure_is_one_paragraph_node_with_a_warning():
    text = "一段没有编号的文字，说明了很多情况。\n第二段也没有编号，内容继续。"
    nodes, meta, problems = parse_structure(text)
    assert len(nodes) == 1
    node = nodes[0]
    assert (node.kind, node.label, node.ordinal, node.parent) == ("paragraph", "", 1, None)
    assert (node.text, node.start, node.end) == (text, 0, len(text))
    assert [p.kind for p in problems] == ["no_structure"]


def test_meta_from_labels_signature_and_title():
    text = (
        "关于推进一体化的实施意见\n发布者：省发展改革委 发布时间：2024-04-26 浏览次数：10\n"
        "一、总体要求\n（一）目标。到2025年。\n中共江苏省委办公厅\n2020年3月8日印发"
    )
    nodes, meta, _ = parse_structure(text)
    assert meta == {
        "title": "关于推进一体化的实施意见",
        "issuer": "省发展改革委",
        "date": "2024-04-26",
    }
    # the signature block is not part of the last node
    assert nodes[-1].text == "（一）目标。到2025年。"
    unlabelled = parse_structure(
        "实施意见\n来源：未知\n一、总体\n中共江苏省委办公厅\n2020年3月8日印发"
    )[1]
    assert unlabelled == {"title": "实施意见", "issuer": "中共江苏省委办公厅", "date": "2020-03-08"}


# -- the seeds --------------------------------------------------------------------------------


def test_nanjing_seed_four_parts_sections_and_tasks_1_to_35(nanjing):
    nodes = _by_id(nanjing.nodes)
    parts = [n for n in nanjing.nodes if n.kind == "part"]
    assert [(p.label, p.ordinal) for p in parts] == [
        ("一、", 1),
        ("二、", 2),
        ("三、", 3),
        ("四、", 4),
    ]
    assert parts[3].title == "强化推动长三角区域一体化发展的组织保障"
    items = [n for n in nanjing.nodes if n.kind == "item"]
    assert [n.ordinal for n in items] == list(range(1, 36))
    assert [n.label for n in items] == [f"{i}." for i in range(1, 36)]
    sections = Counter()
    for item in items:
        section = nodes[item.parent]
        assert section.kind == "subpart"
        sections[(nodes[section.parent].label, section.label)] += 1
    assert sections == {
        ("二、", "(一)"): 3,
        ("二、", "(二)"): 3,
        ("二、", "(三)"): 1,
        ("三、", "(一)"): 6,
        ("三、", "(二)"): 5,
        ("三、", "(三)"): 3,
        ("三、", "(四)"): 8,
        ("三、", "(五)"): 3,
        ("三、", "(六)"): 3,
    }
    subparts = [n for n in nanjing.nodes if n.kind == "subpart"]
    assert len(subparts) == 16
    assert items[0].title == "增强城市空间统筹能力"
    assert items[34].title == "探索建立统一要素市场和利益共享机制"


def test_nanjing_titles_are_simplified_without_pinyin(nanjing):
    for node in nanjing.nodes:
        assert node.title
        assert not GLOSS.search(node.title) and not GLOSS.search(node.text)
        assert T2S.convert(node.title) == node.title


def test_nanjing_spans_point_at_the_original_clauses(nanjing):
    first = next(n for n in nanjing.nodes if n.label == "1.")
    source = nanjing.original_text[first.start : first.end]
    assert source.startswith("1.增強城市空間統(tǒng)籌能力。")
    assert source.endswith("增強長三角世界級城市群中心城市支撐作用。")
    for node in nanjing.nodes:
        assert T2S.convert(nanjing.original_text[node.start])[0] == node.text[0]


def test_nanjing_meta_and_problems(nanjing):
    assert nanjing.title == "《长江三角洲区域一体化发展规划纲要》 南京实施方案来了！"
    assert (nanjing.issuer, nanjing.date) == (None, "2020-05-11")
    kinds = Counter(p.kind for p in nanjing.problems)
    assert kinds["unreadable"] == 6
    assert kinds["numbering"] == 0 and kinds["count_mismatch"] == 0
    assert (nanjing.source_name, nanjing.source_format, nanjing.encoding) == (
        "001_367836f755e79c44.txt",
        "text",
        "utf-8",
    )


def test_mechanism_seed_ten_parts_and_thirty_items(mechanism):
    parts = [n for n in mechanism.nodes if n.kind == "part"]
    assert [p.ordinal for p in parts] == list(range(1, 11))
    items = [n for n in mechanism.nodes if n.kind == "subpart"]
    assert [n.ordinal for n in items] == list(range(1, 31))
    assert items[2].label == "(三)" and items[2].title == "深入实施国家区域战略"
    assert items[29].label == "(三十)" and items[29].title == "强化协调指导"
    assert _by_id(mechanism.nodes)[items[2].parent].label == "二、"
    assert [p for p in mechanism.problems if p.kind == "numbering"] == []
    assert mechanism.title == "关于建立更加有效的区域协调发展新机制的实施意见"
    assert (mechanism.issuer, mechanism.date) == ("中共江苏省委办公厅", "2020-03-08")
    assert "印发" not in items[29].text


def test_three_year_plan_article_structure_as_far_as_the_text_goes():
    plan = parse_plan(SEED["002"])
    assert _shape(plan.nodes) == [
        ("paragraph", "", 1, "两轮三年行动计划达到预期"),
        ("paragraph", "", 2, "9个方面165项重点任务明确"),
        ("paragraph", "", 3, "生态领域年度重点工作细化"),
    ]
    mismatch = [p for p in plan.problems if p.kind == "count_mismatch"]
    assert len(mismatch) == 1 and "165" in mismatch[0].message
    assert plan.original_text[mismatch[0].start : mismatch[0].end] == "165项重点工作"
    assert plan.date == "2024-07-25"


def test_anhui_guidance_structure_as_far_as_the_text_goes():
    plan = parse_plan(SEED["003"])
    nodes = _by_id(plan.nodes)
    assert [(n.label, n.title) for n in plan.nodes if n.kind == "part"] == [
        ("一、", "出台背景和过程"),
        ("二、", "主要内容"),
        ("三、", "特色亮点"),
    ]
    tasks = [n for n in plan.nodes if nodes.get(n.parent) and nodes[n.parent].title == "主要任务"]
    assert [(n.label, n.kind) for n in tasks] == [
        (f"{c}是", "paragraph") for c in "一二三四五六七八"
    ]
    assert tasks[0].title == "构建全省域融入长三角一体化新格局"
    stated = sorted(p.message.split(" (")[0] for p in plan.problems if p.kind == "count_mismatch")
    assert stated == ["the document states 10 parts", "the document states 70 tasks"]
    assert (plan.issuer, plan.date) == ("安徽省委省政府", "2024-04-26")


def test_jiangsu_press_release_numbering_problems():
    plan = parse_plan(SEED["000"])
    assert [n.label for n in plan.nodes] == ["一是", "二是", "三是", "一是", "二是", "四是"]
    messages = [p.message for p in plan.problems if p.kind == "numbering"]
    assert messages == [
        "numbering restarts or repeats: 一是 follows 三是",
        "numbering gap: 四是 follows 二是 (1 missing)",
    ]
    assert any("states 60 tasks" in p.message for p in plan.problems)


@pytest.mark.skipif(not HAS_TARGETS, reason="yrdplan.ingest.targets not written yet")
def test_nanjing_targets_are_mapped_to_the_original(nanjing):
    rd = next(t for t in nanjing.targets if t.indicator == "研发投入强度")
    assert (rd.value, rd.comparator, rd.unit, rd.year) == (3.2, ">=", "%", 2025)
    assert "3.2%" in nanjing.original_text[rd.start : rd.end]
    goals = next(n for n in nanjing.nodes if n.title == "确立发展目标")
    assert rd.node == goals.id
    assert goals.start <= rd.start <= rd.end <= goals.end


# -- parse_plan and its inputs -----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        *(FIXTURES / name for name in ("gbk_plan.txt", "big5_plan.txt", "utf8_bom_plan.txt")),
        FIXTURES / "plan_page.html",
        FIXTURES / "outline_plan.txt",
        SEED["001"],
        SEED["004"],
    ],
    ids=lambda p: p.name,
)
def test_each_node_span_cleans_back_to_the_node_text(path):
    plan = parse_plan(path)
    assert plan.nodes
    for node in plan.nodes:
        assert clean_text(plan.original_text[node.start : node.end]).text == node.text


def test_gbk_fixture_full_width_numbers_become_ascii_labels():
    plan = parse_plan(FIXTURES / "gbk_plan.txt")
    items = [n for n in plan.nodes if n.kind == "item"]
    assert [(n.label, n.ordinal) for n in items] == [("1.", 1), ("2.", 2), ("3.", 3)]
    assert plan.original_text[items[0].start : items[0].start + 2] == "１．"
    assert plan.encoding == "gb18030" and plan.date == "2021-03-15"


def test_html_fixture_furniture_does_not_reach_the_nodes():
    plan = parse_plan(FIXTURES / "plan_page.html")
    assert plan.title == "关于推进长三角一体化的实施方案"
    assert (plan.issuer, plan.date, plan.source_format) == (
        "江苏省发展改革委",
        "2020-04-01",
        "html",
    )
    assert "首页" not in plan.clean_text and "分享" not in plan.clean_text
    assert [n.label for n in plan.nodes] == ["一、", "（一）", "1.", "2."]


def test_docx_plan_parses(tmp_path):
    import docx

    word = docx.Document()
    for line in ("实施方案", "一、总体要求", "（一）发展目标。到2025年取得进展。", "二、保障措施"):
        word.add_paragraph(line)
    path = tmp_path / "plan.docx"
    word.save(str(path))
    plan = parse_plan(path)
    assert [n.label for n in plan.nodes] == ["一、", "（一）", "二、"]
    assert plan.source_format == "docx" and plan.source_name == "plan.docx"


def test_text_source_and_name():
    plan = parse_plan("一、總體要求\n（一）發展目標", name="draft")
    assert plan.source_name == "draft"
    assert plan.title == "draft"  # the text starts with a heading, so it has no title line
    assert [n.title for n in plan.nodes] == ["总体要求", "发展目标"]


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_text_is_an_input_error(text):
    with pytest.raises(InputError, match="empty"):
        parse_plan(text)


def test_only_furniture_is_still_a_plan_with_a_warning():
    plan = parse_plan("▼\n分享到：\n")
    assert [n.text for n in plan.nodes] == [""]
    assert [p.kind for p in plan.problems] == ["no_structure"]


# -- no input crashes the parser -----------------------------------------------------------------


def _assert_offsets_inside(plan):
    size = len(plan.original_text)
    for item in [*plan.nodes, *plan.targets]:
        assert 0 <= item.start <= item.end <= size
    for problem in plan.problems:
        if problem.start is not None:
            assert 0 <= problem.start <= problem.end <= size
    ids = [n.id for n in plan.nodes]
    assert ids == [f"n{i}" for i in range(1, len(ids) + 1)]
    assert all(n.parent is None or n.parent in ids[: ids.index(n.id)] for n in plan.nodes)


PLAN_ALPHABET = st.sampled_from(
    list(
        "一二三四五六七八九十()（）、.．。，,;:：?？第章节部分是①②⑴1234567890 \n\r\t區(qū)域发展年%"
    )
    + ["\ufffd", "āǎ", "(chǔ)", "到2025年", "达到3.2%以上", "共3条重点任务", "【打印】", "- 菜单"]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(PLAN_ALPHABET, max_size=120).map("".join)))
def test_arbitrary_text_never_crashes(text):
    if not text.strip():
        with pytest.raises(InputError):
            parse_plan(text)
        return
    _assert_offsets_inside(parse_plan(text))


@pytest.fixture(scope="module")
def seed_texts():
    return [SEED[key].read_text(encoding="utf-8") for key in ("001", "003", "004")]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_mutated_seeds_never_crash(seed_texts, data):
    text = data.draw(st.sampled_from(seed_texts))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        size = data.draw(st.integers(0, 400))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate", "swap_lines"]))
        if action == "delete":
            text = text[:at] + text[at + size :]
        elif action == "insert":
            text = text[:at] + data.draw(st.one_of(st.text(max_size=30), PLAN_ALPHABET)) + text[at:]
        elif action == "duplicate":
            text = text[:at] + text[at : at + size] + text[at:]
        else:
            lines = text.split("\n")
            i, j = (
                data.draw(st.integers(0, len(lines) - 1)),
                data.draw(st.integers(0, len(lines) - 1)),
            )
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    if not text.strip():
        return
    _assert_offsets_inside(parse_plan(text))


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_parse_json_is_the_documented_object():
    result = CliRunner().invoke(app, ["parse", str(SEED["004"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"title", "issuer", "date", "nodes", "targets", "problems"}
    assert set(data["nodes"][0]) == {
        "id",
        "parent",
        "kind",
        "label",
        "ordinal",
        "title",
        "text",
        "start",
        "end",
    }
    assert sum(n["kind"] == "part" for n in data["nodes"]) == 10
    assert "关于建立更加有效的区域协调发展新机制的实施意见" in result.output  # not \\u-escaped


def test_cli_parse_table_shows_the_tree():
    result = CliRunner().invoke(app, ["parse", str(FIXTURES / "outline_plan.txt")])
    assert result.exit_code == 0, result.output
    assert "第三章 推动形成区域协调发展新格局" in result.output
    assert "① 推进宁镇扬同城化" in result.output


def test_cli_parse_bad_file_raises_input_error(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"%PDF-1.5\n")
    result = CliRunner().invoke(app, ["parse", str(path)])
    assert isinstance(result.exception, InputError)
    assert "scan.pdf" in str(result.exception)
