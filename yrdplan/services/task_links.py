"""Which tasks serve an indicator (``task_indicators``), so a warning leads to tasks and units.

A target that came from a plan knows the plan node that states it. The tasks that serve its
indicator are, by the first rule that finds any:

1. the tasks in that node's subtree (a target stated inside task 8 is served by task 8);
2. the tasks in the subtree of the node's parent section;
3. the tasks of the same plan whose title names one of the indicator's keywords
   (``[task_keywords]`` in ``yrdplan/data/monitoring.toml``; "铁路", "轨道" for railway
   density), or if no title does, whose text does: at most three, those naming the most
   keywords first.

Rule 3 is what links the targets of a "发展目标" section, which has no tasks of its own, to the
tasks that deliver them. Links are only ever added, never removed (an office may add its own);
``yrdplan targets link-tasks`` re-runs the rules after new plans are confirmed.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from yrdplan.services.indicator_data import monitoring_settings
from yrdplan.store.repos import indicators as repo
from yrdplan.store.schema import PlanNode, Task

MAX_KEYWORD_TASKS = 3


def _subtree(node_id: int, children: dict[int | None, list[int]]) -> set[int]:
    found, todo = set(), [node_id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(children.get(current, ()))
    return found


def tasks_for_target(
    node_id: int | None,
    indicator_code: str,
    tasks: list[Task],
    nodes: dict[int, PlanNode],
    texts: dict[int, str],
) -> list[int]:
    """Task ids serving one target of one plan (the rules in the module docstring)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for node in nodes.values():
        children[node.parent_id].append(node.id)
    by_node = defaultdict(list)
    for task in tasks:
        if task.node_id is not None and not task.is_suspended:
            by_node[task.node_id].append(task.id)
    if node_id is not None and node_id in nodes:
        for start in (node_id, nodes[node_id].parent_id):
            if start is None:
                continue
            found = [t for n in sorted(_subtree(start, children)) for t in by_node.get(n, ())]
            if found:
                return found
    keywords = monitoring_settings().get("task_keywords", {}).get(indicator_code, [])
    in_title, in_text = [], []
    for task in tasks:
        if task.is_suspended:
            continue
        title, text = task.title or "", texts.get(task.id, "")
        if any(word in title for word in keywords):
            in_title.append((-sum(word in title for word in keywords), task.id))
        elif hits := sum(word in text for word in keywords):
            in_text.append((-hits, task.id))
    # A task whose title names the subject beats any number of mentions in passing.
    chosen = sorted(in_title) or sorted(in_text)
    return [task_id for _, task_id in chosen[:MAX_KEYWORD_TASKS]]


def link_targets_to_tasks(session: Session) -> int:
    """Add the rule-based task links of every current plan target; returns how many are new."""
    pairs: list[tuple[int, str]] = []
    targets = [t for t in repo.current_targets(session) if t.plan_id is not None]
    by_plan: dict[int, list] = defaultdict(list)
    for target in targets:
        by_plan[target.plan_id].append(target)
    for plan_id, plan_targets in by_plan.items():
        tasks = list(session.scalars(select(Task).where(Task.plan_id == plan_id)))
        node_ids = {t.node_id for t in tasks if t.node_id}
        node_ids |= {t.node_id for t in plan_targets if t.node_id}
        version_ids = set(
            session.scalars(select(PlanNode.version_id).where(PlanNode.id.in_(node_ids)))
        )
        nodes = {
            n.id: n
            for n in session.scalars(select(PlanNode).where(PlanNode.version_id.in_(version_ids)))
        }
        texts = {t.id: nodes[t.node_id].text if t.node_id in nodes else "" for t in tasks}
        for target in plan_targets:
            found = tasks_for_target(target.node_id, target.indicator_code, tasks, nodes, texts)
            pairs.extend((task_id, target.indicator_code) for task_id in found)
    return repo.add_task_links(session, pairs)
