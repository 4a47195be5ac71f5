"""Warning levels from statuses, the unrealistic flag and the trajectory gap."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yrdplan.analytics.progress import STATUS_NAMES, Panel, TargetTable, compute_progress
from yrdplan.analytics.warnings import (
    DEFAULT_STATUS_LEVELS,
    GREEN,
    NO_LEVEL,
    ORANGE,
    RED,
    WARNING_LEVELS,
    YELLOW,
    WarningRules,
    assign_warnings,
    warning_names,
)


def rows(statuses, unrealistic=None, gap_share=None):
    """A stand-in for a ProgressResult with just the columns the rules read."""
    n = len(statuses)
    return SimpleNamespace(
        status=np.array([STATUS_NAMES.index(s) for s in statuses], dtype=np.int8),
        unrealistic=np.zeros(n, bool) if unrealistic is None else np.array(unrealistic),
        trajectory_gap_share=np.full(n, np.nan) if gap_share is None else np.array(gap_share),
    )


def names(result, rules=None):
    return warning_names(assign_warnings(result, rules)).tolist()


def test_default_levels_per_status():
    assert names(rows(STATUS_NAMES)) == ["green", "green", "yellow", "orange", "red", None]
    assert assign_warnings(rows(["insufficient_data"]))[0] == NO_LEVEL
    assert WARNING_LEVELS == ("green", "yellow", "orange", "red")


def test_unrealistic_target_raises_one_level():
    result = rows(
        ["on_track", "moderate", "limited", "deteriorating", "achieved", "insufficient_data"],
        unrealistic=[True] * 6,
    )
    # Achieved is never raised, red cannot go higher, no level stays no level.
    assert names(result) == ["yellow", "orange", "red", "red", "green", None]


def test_behind_the_trajectory_raises_one_level_strictly_past_the_share():
    # Default: behind by more than a quarter of the whole change required.
    result = rows(["moderate"] * 4, gap_share=[-0.25, -0.2501, 0.3, np.nan])
    assert names(result) == ["yellow", "orange", "yellow", "yellow"]
    # Both signs together add up, capped at red.
    both = rows(["moderate", "limited"], unrealistic=[True, True], gap_share=[-0.5, -0.5])
    assert names(both) == ["red", "red"]


def test_custom_rules():
    strict = WarningRules(
        status_levels={**DEFAULT_STATUS_LEVELS, "insufficient_data": "yellow", "on_track": "green"},
        unrealistic_steps=2,
        behind_share=None,
    )
    result = rows(["insufficient_data", "on_track", "moderate"], unrealistic=[False, True, False],
                  gap_share=[np.nan, -0.9, -0.9])  # fmt: skip
    assert names(result, strict) == ["yellow", "orange", "yellow"]
    lenient = WarningRules(status_levels={**DEFAULT_STATUS_LEVELS, "moderate": "green"},
                           unrealistic_steps=0)  # fmt: skip
    assert names(rows(["moderate"], unrealistic=[True]), lenient) == ["green"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status_levels": {"achieved": "green"}}, "status_levels has no level"),
        ({"status_levels": {**DEFAULT_STATUS_LEVELS, "late": "red"}}, "unknown statuses"),
        ({"status_levels": {**DEFAULT_STATUS_LEVELS, "limited": "purple"}}, "limited"),
        ({"unrealistic_steps": -1}, "unrealistic_steps"),
        ({"behind_steps": -1}, "behind_steps"),
        ({"behind_share": 0.0}, "behind_share"),
    ],
)
def test_bad_rules_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        WarningRules(**kwargs)


def test_from_the_engine_end_to_end():
    # Series 0: 100 -> 125 (2015-2020) against >= 150 by 2025 is on track; series 1 falls.
    # Series 2 needs 10x in ten years after 1 a year for five: unrealistic and behind.
    panel = Panel(
        [0, 2, 4, 10],
        [2015, 2020, 2015, 2020, *range(2015, 2021)],
        [100.0, 125.0, 100.0, 90.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
    )
    targets = TargetTable([0, 1, 2], [2025] * 3, [">="] * 3, ["higher"] * 3, [150.0, 150.0, 100.0])
    result = compute_progress(panel, targets)
    assert [STATUS_NAMES[s] for s in result.status] == ["on_track", "deteriorating", "limited"]
    assert result.unrealistic.tolist() == [False, False, True]
    assert names(result) == ["green", "red", "red"]  # limited (orange), raised twice, capped


@given(
    st.lists(
        st.tuples(st.sampled_from(STATUS_NAMES), st.booleans(), st.floats(-2, 2)),
        min_size=1,
        max_size=50,
    )
)
def test_signs_only_ever_raise_and_never_past_red(cases):
    statuses = [c[0] for c in cases]
    plain = assign_warnings(rows(statuses))
    flagged = assign_warnings(rows(statuses, [c[1] for c in cases], [c[2] for c in cases]))
    has_level = plain != NO_LEVEL
    assert (flagged[has_level] >= plain[has_level]).all()
    assert (flagged <= RED).all()
    assert (flagged[~has_level] == NO_LEVEL).all()
    achieved = np.array(statuses) == "achieved"
    assert (flagged[achieved] == GREEN).all()
    assert set(flagged.tolist()) <= {NO_LEVEL, GREEN, YELLOW, ORANGE, RED}
