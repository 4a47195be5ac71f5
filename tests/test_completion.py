"""Completion rates, reporting completeness and roll-up against hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yrdplan.analytics.completion import (
    COMPLETION_DEFINITION,
    completion_over_time,
    completion_rates,
    reporting_completeness,
    roll_up_percent,
    subtask_weights,
)
from yrdplan.domain.tasks import TASK_STATUSES


def _by_group(rows):
    return {r.group: r for r in rows}


def test_completed_and_completed_late_count_suspended_is_left_out():
    rows = _by_group(
        completion_rates(
            ["交通", "交通", "交通", "交通", "科技", "科技", "信用"],
            [
                "completed",
                "completed_late",
                "lagging",
                "overdue",
                "suspended",
                "on_track",
                "suspended",
            ],
        )
    )
    # 交通: 2 of 4 delivered; lateness does not withhold credit
    assert (rows["交通"].total, rows["交通"].completed, rows["交通"].rate) == (4.0, 2.0, 0.5)
    # 科技: the suspended task is in neither numerator nor denominator, but is counted aside
    assert (rows["科技"].total, rows["科技"].completed, rows["科技"].suspended) == (1.0, 0.0, 1)
    assert rows["科技"].rate == 0.0
    # 信用: nothing left to count, so there is no rate
    assert rows["信用"].total == 0.0 and rows["信用"].rate is None


def test_groups_keep_first_appearance_order_and_accept_codes():
    names = ["completed", "not_started", "completed"]
    codes = [TASK_STATUSES.index(s) for s in names]
    by_name = completion_rates(["B", "A", "B"], names)
    by_code = completion_rates(np.array(["B", "A", "B"]), np.array(codes))
    assert [r.group for r in by_name] == ["B", "A"]
    assert by_name == by_code


def test_tuple_groups_for_area_by_round():
    rows = completion_rates(
        [("生态", 2024), ("生态", 2025), ("生态", 2024)], ["completed", "on_track", "lagging"]
    )
    assert _by_group(rows)[("生态", 2024)].rate == 0.5


def test_to_dict_has_the_documented_fields():
    row = completion_rates(["A"], ["completed"])[0].to_dict()
    assert row == {"group": "A", "total": 1.0, "completed": 1.0, "suspended": 0, "rate": 1.0}


def test_parent_task_counts_as_the_mean_of_its_subtasks():
    # Plan tasks: T1 with sub-tasks 1a, 1b, 1c (2 done); T2 completed; T3 overdue.
    parent = [-1, 0, 0, 0, -1, -1]
    status = ["on_track", "completed", "completed_late", "lagging", "completed", "overdue"]
    weights = subtask_weights(parent)
    assert weights.tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 3, 1, 1])
    (row,) = completion_rates(["plan"] * 6, status, weights)
    # (2/3 + 1 + 0) / 3 tasks
    assert row.total == 3.0
    assert row.completed == pytest.approx(5 / 3)
    assert row.rate == pytest.approx(5 / 9)


def test_suspended_subtask_shares_no_weight():
    # T1: sub-tasks done, not done, suspended -> counts 1/2; T2 suspended as a whole.
    parent = [-1, 0, 0, 0, -1]
    status = ["on_track", "completed", "on_track", "suspended", "suspended"]
    suspended = [s == "suspended" for s in status]
    weights = subtask_weights(parent, suspended)
    assert weights.tolist() == [0.0, 0.5, 0.5, 0.0, 0.0]
    (row,) = completion_rates(["plan"] * 5, status, weights)
    assert (row.total, row.completed, row.rate, row.suspended) == (1.0, 0.5, 0.5, 2)


def test_nested_decomposition_into_lower_plans():
    # Province task 0 -> city tasks 1 (-> districts 3 done, 4 not) and 2 (done):
    # city 1 counts 1/2, the province task (1/2 + 1) / 2 = 0.75.
    parent = [-1, 0, 0, 1, 1]
    status = ["on_track", "on_track", "completed", "completed", "not_started"]
    weights = subtask_weights(parent)
    assert weights.tolist() == [0.0, 0.0, 0.5, 0.25, 0.25]
    assert completion_rates(["p"] * 5, status, weights)[0].rate == pytest.approx(0.75)


def test_task_whose_subtasks_are_all_suspended_drops_out():
    parent = [-1, 0, 0, -1]
    weights = subtask_weights(parent, [False, True, True, False])
    assert weights.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_unit_rates_count_each_own_task_once():
    # By unit, every row is one task the unit leads, whatever its place in the tree.
    rows = _by_group(
        completion_rates(["发改委", "发改委", "交通厅"], ["completed", "lagging", "completed"])
    )
    assert (rows["发改委"].total, rows["发改委"].rate) == (2.0, 0.5)
    assert rows["交通厅"].rate == 1.0


def test_float_noise_is_hidden_in_totals():
    parent = [-1] + [0] * 7
    status = ["on_track"] + ["completed"] * 7
    (row,) = completion_rates(["p"] * 8, status, subtask_weights(parent))
    assert (row.total, row.completed, row.rate) == (1.0, 1.0, pytest.approx(1.0))


@pytest.mark.parametrize(
    "args,match",
    [
        ((["A"], ["finished"]), "unknown status 'finished'"),
        ((["A"], [7]), "codes"),
        ((["A", "B"], ["completed"]), "group_keys"),
        ((["A"], ["completed"], [-1.0]), "weights"),
        ((["A"], ["completed"], [1.0, 2.0]), "weights"),
    ],
)
def test_bad_inputs_are_named(args, match):
    with pytest.raises(ValueError, match=match):
        completion_rates(*args)


def test_definition_is_shown_in_both_languages_and_matches_the_rules():
    zh, en = COMPLETION_DEFINITION["zh"], COMPLETION_DEFINITION["en"]
    assert "逾期完成" in zh and "暂停" in zh and "子任务" in zh and "0.67" in zh
    assert "completed late" in en and "suspended" in en and "sub-tasks" in en


def test_completion_over_time():
    rows = completion_over_time(
        ["A", "A", "A", "B"],
        ["2025-03-31", "2025-09-30", None, "2025-09-30"],
        ["2025-06-30", "2025-12-31"],
        suspended=[False, False, False, True],
    )
    got = {(r.as_of, r.group): (r.completed, r.total, r.rate) for r in rows}
    assert got[("2025-06-30", "A")] == (1.0, 3.0, pytest.approx(1 / 3))
    assert got[("2025-12-31", "A")] == (2.0, 3.0, pytest.approx(2 / 3))
    # B's only task is suspended: no rate at any date, even once it has a completion date
    assert got[("2025-12-31", "B")] == (0.0, 0.0, None)
    assert rows[0].to_dict()["as_of"] == "2025-06-30"


def test_reporting_completeness_counts():
    units = ["交通厅", "交通厅", "交通厅", "交通厅", "科技厅", "交通厅"]
    cycles = ["2025-06", "2025-06", "2025-06", "2025-06", "2025-06", "2025-07"]
    due = ["2025-06-30"] * 5 + ["2025-07-31"]
    sent = ["2025-06-28", "2025-06-30", "2025-07-02", None, None, None]
    rows = {(r.unit, r.cycle): r for r in reporting_completeness(units, cycles, due, sent)}
    june = rows[("交通厅", "2025-06")]
    assert (june.expected, june.submitted, june.on_time, june.late, june.missing) == (4, 3, 2, 1, 1)
    assert june.submission_rate == 0.75 and june.on_time_rate == 0.5
    assert rows[("科技厅", "2025-06")].missing == 1
    # without an as-of date every unsubmitted report is missing
    assert rows[("交通厅", "2025-07")].missing == 1


def test_reporting_completeness_as_of_separates_pending_from_missing():
    rows = reporting_completeness(
        ["U"] * 4,
        ["C1", "C1", "C2", "C2"],
        ["2025-06-30", "2025-06-30", "2025-07-31", "2025-07-31"],
        ["2025-06-20", "2025-07-20", "2025-07-10", None],
        as_of="2025-07-15",
    )
    c1, c2 = rows
    # C1: the 2025-07-20 submission is after the as-of date, and C1 is past due: missing
    assert (c1.submitted, c1.on_time, c1.missing, c1.pending) == (1, 1, 1, 0)
    # C2: not due until 2025-07-31, so the unsent report is pending
    assert (c2.submitted, c2.on_time, c2.missing, c2.pending) == (1, 1, 0, 1)
    assert c2.to_dict()["submission_rate"] == 0.5


def test_roll_up_percent_weighted_tree():
    # 0 <- 1 (<- 3: 100, 4: 50), 2: 30 ; own values of 0 and 1 are ignored
    result = roll_up_percent([-1, 0, 0, 1, 1], [99, 99, 30, 100, 50])
    assert result.tolist() == [52.5, 75.0, 30.0, 100.0, 50.0]
    weighted = roll_up_percent([-1, 0, 0], [0, 80, 20], weights=[1, 3, 1])
    assert weighted[0] == 65.0  # (3 * 80 + 1 * 20) / 4


def test_roll_up_missing_reports_and_zero_weights():
    # one child without a report counts 0; a parent none of whose children reported is NaN
    result = roll_up_percent([-1, 0, 0, -1, 3], [0, 60, math.nan, 40, math.nan])
    assert result[0] == 30.0
    assert math.isnan(result[3])
    # weight 0 (e.g. suspended) children do not count; all-zero keeps the parent's own value
    assert roll_up_percent([-1, 0, 0], [0, 60, 0], weights=[1, 1, 0])[0] == 60.0
    assert roll_up_percent([-1, 0], [25, 90], weights=[1, 0])[0] == 25.0


@pytest.mark.parametrize(
    "parent,percent,match",
    [
        ([-1, 0], [0, 120], "percent"),
        ([1, 0], [0, 10], "cycle"),
        ([-1, 5], [0, 10], "parent_index"),
        ([-1.0, 0.0], [0, 10], "parent_index"),
    ],
)
def test_roll_up_rejects_bad_input(parent, percent, match):
    with pytest.raises(ValueError, match=match):
        roll_up_percent(parent, percent)


@st.composite
def forests(draw):
    n = draw(st.integers(1, 25))
    # each node's parent comes before it, which makes a forest
    parent = [-1] + [draw(st.integers(-1, i - 1)) for i in range(1, n)]
    suspended = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return np.array(parent), np.array(suspended)


@settings(max_examples=60, deadline=None)
@given(forests())
def test_each_live_root_task_weighs_exactly_one(forest):
    parent, suspended = forest
    weights = subtask_weights(parent, suspended)
    n = len(parent)
    is_leaf = np.bincount(parent[parent >= 0], minlength=n) == 0

    def root_of(i):
        while parent[i] >= 0:
            i = parent[i]
        return i

    def live(i):  # not suspended, and a leaf or with a live child
        if suspended[i]:
            return False
        children = np.flatnonzero(parent == i)
        return bool(is_leaf[i]) or any(live(c) for c in children)

    per_root = np.bincount([root_of(i) for i in range(n)], weights=weights, minlength=n)
    for r in np.flatnonzero(parent < 0):
        assert per_root[r] == pytest.approx(1.0 if live(r) else 0.0)
    assert (weights[~is_leaf] == 0).all() and (weights[suspended] == 0).all()
