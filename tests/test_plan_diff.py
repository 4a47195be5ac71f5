"""Diffs between two editions of a plan."""

from __future__ import annotations

import json

import pytest

from yrdplan.domain.plan_diff import diff_plans, node_paths, title_similarity
from yrdplan.domain.plans import ExtractedTarget, ParsedNode


def n(nid, parent, label, ordinal, title, text="", kind="item", start=0) -> ParsedNode:
    return ParsedNode(nid, parent, kind, label, ordinal, title, text or title, start, start + 10)


def t(
    code, year, value, *, node=None, comparator=">=", unit="%", indicator=None
) -> ExtractedTarget:
    return ExtractedTarget(
        indicator=indicator or code,
        indicator_code=code,
        value=value,
        value_high=None,
        unit=unit,
        comparator=comparator,
        year=year,
        base_year=None,
        relative_change=None,
        standard=None,
        node=node,
        start=0,
        end=1,
    )


def edition(prefix: str, tasks: list[str]) -> list[ParsedNode]:
    """三、 → （一） → numbered tasks, ids prefixed so editions never share an id."""
    nodes = [
        n(f"{prefix}p", None, "三、", 3, "聚力高质量协同打造强劲活跃增长极", kind="part"),
        n(f"{prefix}s", f"{prefix}p", "（一）", 1, "建设协同创新产业体系", kind="section", start=1),
    ]
    for k, title in enumerate(tasks, start=8):
        nodes.append(n(f"{prefix}{k}", f"{prefix}s", f"{k}.", k, title, start=k * 20))
    return nodes


TASKS = ["联合提升原始创新能力", "协同推进科技成果转移转化", "推进长三角科创圈建设", "推动制造业高质量发展"]  # fmt: skip


def test_node_paths_normalise_labels():
    nodes = edition("a", TASKS)
    assert node_paths(nodes)["a9"] == "三/（一）/9"
    half_width = [n("x", None, "三、", 3, "甲"), n("y", "x", "(一)", 1, "乙")]
    assert node_paths(half_width)["y"] == "三/（一）"
    lead = [n("z", None, "", 4, "以习近平新时代中国特色社会主义思想为指导")]
    assert node_paths(lead)["z"] == "#4"


def test_identical_editions_have_an_empty_diff():
    targets = [t("RD_INTENSITY", 2025, 3.2, node="a8")]
    d = diff_plans(
        edition("a", TASKS), targets, edition("b", TASKS), [t("RD_INTENSITY", 2025, 3.2, node="b8")]
    )
    assert d.is_empty
    assert len(d.node_pairs) == len(TASKS) + 2
    assert ("a8", "b8") in d.node_pairs


def test_title_edited_in_place():
    new_tasks = TASKS[:1] + ["协同推进科技成果转移转化和产业化"] + TASKS[2:]
    d = diff_plans(edition("a", TASKS), [], edition("b", new_tasks), [])
    assert not d.added_nodes and not d.removed_nodes
    [change] = d.changed_nodes
    assert (change.old.id, change.new.id, change.path) == ("a9", "b9", "三/（一）/9")
    assert {c.field for c in change.changes} == {"title", "text"}


def test_inserted_task_renumbers_the_rest_without_false_edits():
    new_tasks = TASKS[:2] + ["共建长三角技术市场联盟"] + TASKS[2:]
    d = diff_plans(edition("a", TASKS), [], edition("b", new_tasks), [])
    assert [x.title for x in d.added_nodes] == ["共建长三角技术市场联盟"]
    assert not d.removed_nodes
    # tasks 10 and 11 became 11 and 12: only their numbering changed
    moved = {(c.old.id, c.new.id): c.changes for c in d.changed_nodes}
    assert set(moved) == {("a10", "b11"), ("a11", "b12")}
    for changes in moved.values():
        assert {c.field for c in changes} == {"path", "label"}
    assert moved[("a10", "b11")][0].old == "三/（一）/10"
    assert moved[("a10", "b11")][0].new == "三/（一）/11"


def test_removed_task_and_unrelated_replacement():
    new_tasks = TASKS[:3] + ["深化长江生态环境系统性保护修复"]
    d = diff_plans(edition("a", TASKS), [], edition("b", new_tasks), [])
    assert [x.id for x in d.removed_nodes] == ["a11"]
    assert [x.id for x in d.added_nodes] == ["b11"]
    assert not d.changed_nodes


def test_target_value_and_comparator_changes():
    old = [t("RD_INTENSITY", 2025, 3.2, node="a8"), t("URBANIZATION", 2025, 85.0)]
    new = [t("RD_INTENSITY", 2025, 3.5, node="b8", comparator="~"), t("URBANIZATION", 2025, 85.0)]
    d = diff_plans(edition("a", TASKS), old, edition("b", TASKS), new)
    [change] = d.changed_targets
    assert (change.indicator, change.year) == ("RD_INTENSITY", 2025)
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("value", 3.2, 3.5),
        ("comparator", ">=", "~"),
    ]
    assert not d.changed_nodes


def test_targets_added_removed_and_moved_year():
    old = [t("RD_INTENSITY", 2025, 3.2), t("PM25", 2025, 35.0, comparator="<=")]
    new = [t("RD_INTENSITY", 2027, 3.5), t("PM25", 2025, 35.0, comparator="<=")]
    d = diff_plans([], old, [], new)
    assert [(x.indicator_code, x.year) for x in d.added_targets] == [("RD_INTENSITY", 2027)]
    assert [(x.indicator_code, x.year) for x in d.removed_targets] == [("RD_INTENSITY", 2025)]
    assert not d.changed_targets
    assert d.summary() == {
        "nodes_added": 0,
        "nodes_removed": 0,
        "nodes_changed": 0,
        "targets_added": 1,
        "targets_removed": 1,
        "targets_changed": 0,
    }


def test_target_moved_to_another_node_reports_paths():
    old = [t("RD_INTENSITY", 2025, 3.2, node="a8")]
    new = [t("RD_INTENSITY", 2025, 3.2, node="b9")]
    d = diff_plans(edition("a", TASKS), old, edition("b", TASKS), new)
    [change] = d.changed_targets
    assert [(c.field, c.old, c.new) for c in change.changes] == [
        ("node", "三/（一）/8", "三/（一）/9")
    ]


def test_uncoded_targets_match_by_name():
    old = [t(None, 2025, 5.0, indicator="幸福 指数")]
    new = [t(None, 2025, 6.0, indicator="幸福指数")]
    d = diff_plans([], old, [], new)
    assert [c.field for c in d.changed_targets[0].changes] == ["indicator", "value"]


def test_duplicate_keys_pair_in_order():
    old = [t("GDP", 2025, 1.0), t("GDP", 2025, 2.0)]
    new = [t("GDP", 2025, 1.0), t("GDP", 2025, 2.0), t("GDP", 2025, 3.0)]
    d = diff_plans([], old, [], new)
    assert [x.value for x in d.added_targets] == [3.0]
    assert not d.changed_targets and not d.removed_targets


def test_to_dict_is_json():
    d = diff_plans(edition("a", TASKS), [t("GDP", 2025, 1.0)], edition("b", TASKS[:2]), [])
    payload = json.loads(json.dumps(d.to_dict(), ensure_ascii=False))
    assert payload["summary"]["nodes_removed"] == 2
    assert payload["summary"]["targets_removed"] == 1
    assert payload["nodes"]["removed"][0]["id"] == "a10"


def test_title_similarity_bounds():
    assert title_similarity("推进长三角科创圈建设", "推进长三角科创圈建设") == 1.0
    assert title_similarity("推进长三角科创圈建设", "深化长江生态保护") == 0.0
    assert 0 < title_similarity("推进长三角科创圈建设", "加快长三角科创圈建设") < 1


@pytest.mark.parametrize("bad", [0, -0.5, 1.5])
def test_bad_threshold(bad):
    with pytest.raises(ValueError, match="title_threshold"):
        diff_plans([], [], [], [], title_threshold=bad)
