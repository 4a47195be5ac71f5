"""What changed between two editions of a plan: nodes and targets added, removed or changed.

Plans are revised (动态调整和修订) and every revision is kept; this module says what a revision
did. It is pure: it compares the parsed records and does no I/O.

Nodes are matched in four passes, each over what earlier passes left unmatched:

1. same numbering path (``三/（二）/12``: each ancestor's label without its trailing
   punctuation, brackets made full-width) and same title;
2. same title anywhere (a renumbered or moved task);
3. same path and a title at least ``0.3`` similar (a task edited in place);
4. the most similar titles first, down to ``title_threshold`` (default 0.6).

Similarity is the Dice coefficient of character bigrams (Chinese has no spaces); a node with no
title is compared by the start of its text. Targets are matched by indicator (catalogue code,
else the normalised name) and year, in document order; a target whose year moved shows as one
removed and one added.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yrdplan.domain.plans import ExtractedTarget, ParsedNode

__all__ = [
    "FieldChange",
    "NodeChange",
    "PlanDiff",
    "TargetChange",
    "diff_plans",
    "node_paths",
    "title_similarity",
]

NODE_FIELDS: tuple[str, ...] = ("path", "label", "kind", "title", "text")
TARGET_FIELDS: tuple[str, ...] = (
    "indicator",
    "indicator_code",
    "value",
    "value_high",
    "unit",
    "comparator",
    "base_year",
    "relative_change",
    "standard",
    "node",
)
_EDIT_THRESHOLD = 0.3
_TEXT_PREFIX = 60


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: its name, the old value and the new one."""

    field: str
    old: object
    new: object

    def to_dict(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class NodeChange:
    """A node present in both editions whose fields differ."""

    old: ParsedNode
    new: ParsedNode
    path: str  # the new edition's path
    changes: tuple[FieldChange, ...]

    def to_dict(self) -> dict:
        return {
            "old_id": self.old.id,
            "new_id": self.new.id,
            "path": self.path,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class TargetChange:
    """A target (same indicator and year) present in both editions whose fields differ."""

    indicator: str
    year: int | None
    old: ExtractedTarget
    new: ExtractedTarget
    changes: tuple[FieldChange, ...]

    def to_dict(self) -> dict:
        return {
            "indicator": self.indicator,
            "year": self.year,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class PlanDiff:
    """The difference between an old and a new edition of one plan."""

    added_nodes: tuple[ParsedNode, ...]
    removed_nodes: tuple[ParsedNode, ...]
    changed_nodes: tuple[NodeChange, ...]
    added_targets: tuple[ExtractedTarget, ...]
    removed_targets: tuple[ExtractedTarget, ...]
    changed_targets: tuple[TargetChange, ...]
    node_pairs: tuple[tuple[str, str], ...]  # every matched (old id, new id), changed or not

    @property
    def is_empty(self) -> bool:
        """True when the editions have the same nodes and targets."""
        return not any(
            (
                self.added_nodes,
                self.removed_nodes,
                self.changed_nodes,
                self.added_targets,
                self.removed_targets,
                self.changed_targets,
            )
        )

    def summary(self) -> dict[str, int]:
        """Counts per category, e.g. for a one-line report."""
        return {
            "nodes_added": len(self.added_nodes),
            "nodes_removed": len(self.removed_nodes),
            "nodes_changed": len(self.changed_nodes),
            "targets_added": len(self.added_targets),
            "targets_removed": len(self.removed_targets),
            "targets_changed": len(self.changed_targets),
        }

    def to_dict(self) -> dict:
        """A JSON-ready form: ``summary``, then ``nodes`` and ``targets`` by category."""
        return {
            "summary": self.summary(),
            "nodes": {
                "added": [n.to_dict() for n in self.added_nodes],
                "removed": [n.to_dict() for n in self.removed_nodes],
                "changed": [c.to_dict() for c in self.changed_nodes],
            },
            "targets": {
                "added": [t.to_dict() for t in self.added_targets],
                "removed": [t.to_dict() for t in self.removed_targets],
                "changed": [c.to_dict() for c in self.changed_targets],
            },
        }


def _label_key(node: ParsedNode) -> str:
    """ "（二）" / "(二)" → "（二）", "一、" → "一", "12." → "12"; a lead-sentence node → "#3"."""
    label = unicodedata.normalize("NFKC", node.label or "").strip().rstrip("、.,:： ")
    label = label.replace("(", "（").replace(")", "）")
    return label or f"#{node.ordinal}"


def node_paths(nodes: Iterable[ParsedNode]) -> dict[str, str]:
    """Each node's numbering path, e.g. ``三/（二）/12``.

    Parameters
    ----------
    nodes : iterable of ParsedNode

    Returns
    -------
    dict
        Node id → path of labels from the root down.

    Examples
    --------
    >>> a = ParsedNode("a", None, "part", "三、", 3, "甲", "", 0, 9)
    >>> b = ParsedNode("b", "a", "section", "(二)", 2, "乙", "", 1, 9)
    >>> c = ParsedNode("c", "b", "item", "12.", 12, "丙", "", 2, 9)
    >>> node_paths([a, b, c])["c"]
    '三/（二）/12'
    """
    by_id = {n.id: n for n in nodes}
    paths: dict[str, str] = {}
    for node in by_id.values():
        parts, seen, current = [], set(), node
        while current is not None and current.id not in seen:
            seen.add(current.id)
            parts.append(_label_key(current))
            current = by_id.get(current.parent) if current.parent else None
        paths[node.id] = "/".join(reversed(parts))
    return paths


def _bigrams(text: str) -> set[str]:
    text = "".join(unicodedata.normalize("NFKC", text).split())
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def title_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two titles, in [0, 1].

    Examples
    --------
    >>> title_similarity("加快推进南京都市圈发展", "加快推进南京都市圈建设")
    0.8
    >>> title_similarity("", "")
    0.0
    """
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _title_of(node: ParsedNode) -> str:
    return (node.title or node.text[:_TEXT_PREFIX]).strip()


def _match_nodes(
    old: Sequence[ParsedNode], new: Sequence[ParsedNode], threshold: float
) -> list[tuple[int, int]]:
    """Index pairs (old, new) by the four passes of the module docstring."""
    old_paths, new_paths = node_paths(old), node_paths(new)
    free_old, free_new = set(range(len(old))), set(range(len(new)))
    pairs: list[tuple[int, int]] = []

    def take(key_old, key_new) -> None:
        waiting: dict[object, list[int]] = defaultdict(list)
        for i in sorted(free_old):
            key = key_old(i)
            if key is not None:
                waiting[key].append(i)
        for j in sorted(free_new):
            key = key_new(j)
            if key is not None and waiting.get(key):
                i = waiting[key].pop(0)
                pairs.append((i, j))
                free_old.discard(i)
                free_new.discard(j)

    take(
        lambda i: (old_paths[old[i].id], _title_of(old[i])),
        lambda j: (new_paths[new[j].id], _title_of(new[j])),
    )
    take(lambda i: _title_of(old[i]) or None, lambda j: _title_of(new[j]) or None)
    scored = []
    for i in free_old:
        for j in free_new:
            score = title_similarity(_title_of(old[i]), _title_of(new[j]))
            same_path = old_paths[old[i].id] == new_paths[new[j].id]
            if (same_path and score >= _EDIT_THRESHOLD) or score >= threshold:
                # Same-path candidates rank first: pass 3 before pass 4.
                scored.append((not same_path, -score, i, j))
    for _, _, i, j in sorted(scored):
        if i in free_old and j in free_new:
            pairs.append((i, j))
            free_old.discard(i)
            free_new.discard(j)
    return sorted(pairs)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _node_changes(
    old: ParsedNode, new: ParsedNode, old_path: str, new_path: str
) -> tuple[FieldChange, ...]:
    values = {"path": (old_path, new_path)}
    for name in NODE_FIELDS[1:]:
        values[name] = (getattr(old, name), getattr(new, name))
    return tuple(FieldChange(k, a, b) for k, (a, b) in values.items() if not _same(a, b))


def _target_key(target: ExtractedTarget) -> tuple[str, int | None]:
    name = target.indicator_code or "".join(unicodedata.normalize("NFKC", target.indicator).split())
    return name, target.year


def _target_changes(
    old: ExtractedTarget, new: ExtractedTarget, old_paths: dict[str, str], new_paths: dict[str, str]
) -> tuple[FieldChange, ...]:
    changes = []
    for name in TARGET_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if name == "node":  # node ids differ between editions; their paths are comparable
            a, b = old_paths.get(a or "", a), new_paths.get(b or "", b)
        if not _same(a, b):
            changes.append(FieldChange(name, a, b))
    return tuple(changes)


def _diff_targets(
    old: Sequence[ExtractedTarget],
    new: Sequence[ExtractedTarget],
    old_paths: dict[str, str],
    new_paths: dict[str, str],
) -> tuple[list[ExtractedTarget], list[ExtractedTarget], list[TargetChange]]:
    waiting: dict[tuple[str, int | None], list[ExtractedTarget]] = defaultdict(list)
    for target in old:
        waiting[_target_key(target)].append(target)
    added, changed = [], []
    for target in new:
        key = _target_key(target)
        if not waiting.get(key):
            added.append(target)
            continue
        previous = waiting[key].pop(0)
        fields = _target_changes(previous, target, old_paths, new_paths)
        if fields:
            changed.append(TargetChange(key[0], key[1], previous, target, fields))
    removed = [t for t in old if any(t is w for w in waiting[_target_key(t)])]
    return added, removed, changed


def diff_plans(
    old_nodes: Sequence[ParsedNode],
    old_targets: Sequence[ExtractedTarget],
    new_nodes: Sequence[ParsedNode],
    new_targets: Sequence[ExtractedTarget],
    *,
    title_threshold: float = 0.6,
) -> PlanDiff:
    """Compare two editions of a plan.

    Parameters
    ----------
    old_nodes, new_nodes : sequence of ParsedNode
        The node trees of the old and the new edition.
    old_targets, new_targets : sequence of ExtractedTarget
        Their targets.
    title_threshold : float
        Lowest bigram similarity at which two differently numbered nodes are the same node.

    Returns
    -------
    PlanDiff
        Added, removed and changed nodes and targets, in document order.

    Raises
    ------
    ValueError
        If ``title_threshold`` is outside (0, 1].

    Examples
    --------
    >>> old = [ParsedNode("a", None, "item", "1.", 1, "推进区域协调联动", "", 0, 9)]
    >>> new = [ParsedNode("x", None, "item", "1.", 1, "推进区域协调联动发展", "", 0, 9)]
    >>> d = diff_plans(old, [], new, [])
    >>> [(c.field, c.old, c.new) for c in d.changed_nodes[0].changes]
    [('title', '推进区域协调联动', '推进区域协调联动发展')]
    """
    if not 0 < title_threshold <= 1:
        raise ValueError(f"title_threshold must be in (0, 1], got {title_threshold!r}")
    old_nodes, new_nodes = list(old_nodes), list(new_nodes)
    old_paths, new_paths = node_paths(old_nodes), node_paths(new_nodes)
    pairs = _match_nodes(old_nodes, new_nodes, title_threshold)
    matched_old = {i for i, _ in pairs}
    matched_new = {j for _, j in pairs}
    changed_nodes = []
    for i, j in pairs:
        a, b = old_nodes[i], new_nodes[j]
        fields = _node_changes(a, b, old_paths[a.id], new_paths[b.id])
        if fields:
            changed_nodes.append(NodeChange(a, b, new_paths[b.id], fields))
    changed_nodes.sort(key=lambda c: c.new.start)
    added_t, removed_t, changed_t = _diff_targets(old_targets, new_targets, old_paths, new_paths)
    return PlanDiff(
        added_nodes=tuple(n for j, n in enumerate(new_nodes) if j not in matched_new),
        removed_nodes=tuple(n for i, n in enumerate(old_nodes) if i not in matched_old),
        changed_nodes=tuple(changed_nodes),
        added_targets=tuple(added_t),
        removed_targets=tuple(removed_t),
        changed_targets=tuple(changed_t),
        node_pairs=tuple((old_nodes[i].id, new_nodes[j].id) for i, j in pairs),
    )
