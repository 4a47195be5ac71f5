"""Looking up regions and indicators by code or by name, with did-you-mean suggestions.

The table readers resolve what people write in a spreadsheet (南京, 南京市, 320100; 研发投入强度 or
RD_INTENSITY) through these; an unknown name gets up to three suggestions.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Protocol, runtime_checkable

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.regions import Region, RegionGroup
from yrdplan.ingest.tables import header_key

# Administrative suffixes people drop when they write a name: 南京市 -> 南京, 浦东新区 -> 浦东新.
# Longest first, so 自治县 goes before 县.
_NAME_SUFFIXES = ("特别行政区", "自治州", "自治县", "省", "市", "区", "县")


@runtime_checkable
class RegionResolver(Protocol):
    """What the readers need from a region registry; :class:`RegionLookup` is the simple one."""

    def resolve(self, text: str) -> str | None:
        """The region or group code that ``text`` (a code or a name) means, or None."""

    def suggest(self, text: str) -> list[str]:
        """Up to three ``name (code)`` strings for a did-you-mean message."""

    def is_group(self, code: str) -> bool:
        """True when ``code`` names a region group rather than a region."""


def _name_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _short_name(name: str) -> str | None:
    for suffix in _NAME_SUFFIXES:
        # Keep two characters at least: 和县 must not become the one-character 和.
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True, slots=True)
class RegionLookup:
    """Regions and region groups by code or by name, with or without 省/市/区/县.

    A name that fits several codes (上海市 the province and the city) resolves to none of them and
    :meth:`suggest` lists them all, so the user writes the code; build the lookup from one level
    (``from_records(..., levels={"city"})``) to avoid that.

    >>> lookup = RegionLookup.from_pairs([("320100", "南京市"), ("320500", "苏州市")])
    >>> lookup.resolve("南京"), lookup.resolve("320500"), lookup.resolve("北京")
    ('320100', '320500', None)
    >>> lookup.suggest("苏洲市")
    ['苏州市 (320500)']
    """

    names: dict[str, str]
    groups: frozenset[str]
    by_code: dict[str, str]
    by_full_name: dict[str, tuple[str, ...]]
    by_short_name: dict[str, tuple[str, ...]]

    @classmethod
    def from_pairs(
        cls, regions: Iterable[tuple[str, str]], groups: Iterable[tuple[str, str]] = ()
    ) -> RegionLookup:
        """Build from ``(code, name)`` pairs of regions and of region groups."""
        group_pairs = list(groups)
        names = {code: name for code, name in chain(regions, group_pairs)}
        full: dict[str, list[str]] = defaultdict(list)
        short: dict[str, list[str]] = defaultdict(list)
        for code, name in names.items():
            key = _name_key(name)
            full[key].append(code)
            if (stem := _short_name(key)) is not None:
                short[stem].append(code)
        return cls(
            names=names,
            groups=frozenset(code for code, _ in group_pairs),
            by_code={code.upper(): code for code in names},
            by_full_name={k: tuple(v) for k, v in full.items()},
            by_short_name={k: tuple(v) for k, v in short.items()},
        )

    @classmethod
    def from_records(
        cls,
        regions: Iterable[Region],
        groups: Iterable[RegionGroup] = (),
        *,
        levels: Iterable[str] | None = None,
    ) -> RegionLookup:
        """Build from domain records, optionally keeping only some ``levels`` (e.g. ``{"city"}``)."""
        wanted = set(levels) if levels is not None else None
        pairs = [(r.code, r.name) for r in regions if wanted is None or r.level in wanted]
        return cls.from_pairs(pairs, [(g.code, g.name) for g in groups])

    def candidates(self, text: str) -> tuple[str, ...]:
        """Every code ``text`` could mean: one when it resolves, several when it is ambiguous."""
        key = _name_key(text)
        code = self.by_code.get(key.upper())
        # Statistical tables use 12-digit codes (320100000000); their first six are GB/T 2260.
        if code is None and len(key) in (9, 12) and key.isdigit() and not key[6:].strip("0"):
            code = self.by_code.get(key[:6])
        if code is not None:
            return (code,)
        stem = _short_name(key)
        for found in (
            self.by_full_name.get(key),
            self.by_short_name.get(key),
            self.by_full_name.get(stem) if stem else None,
            self.by_short_name.get(stem) if stem else None,
        ):
            if found:
                return found
        return ()

    def resolve(self, text: str) -> str | None:
        """The code ``text`` means, or None when unknown or ambiguous."""
        found = self.candidates(text)
        return found[0] if len(found) == 1 else None

    def suggest(self, text: str) -> list[str]:
        """``name (code)`` strings: the ambiguous candidates, or the closest names and codes."""
        found = self.candidates(text)
        if not found:
            key = _name_key(text)
            pool = list(self.by_full_name) + list(self.by_short_name) + list(self.names)
            # 0.5, not difflib's 0.6: in a two-character name (苏洲) one wrong character is 0.5.
            for match in difflib.get_close_matches(key, pool, n=3, cutoff=0.5):
                found += self.candidates(match)
        return [f"{self.names[c]} ({c})" for c in dict.fromkeys(found)][:5]

    def is_group(self, code: str) -> bool:
        return code in self.groups


@dataclass(frozen=True, slots=True)
class IndicatorLookup:
    """Indicators by code (any case), Chinese or English name, or synonym."""

    indicators: Mapping[str, Indicator]
    by_key: dict[str, tuple[str, ...]]

    @classmethod
    def from_indicators(cls, indicators: Mapping[str, Indicator]) -> IndicatorLookup:
        """Index a catalogue (code -> Indicator) by every code, name and synonym."""
        keys: dict[str, list[str]] = defaultdict(list)
        for code, indicator in indicators.items():
            for text in (code, indicator.name, indicator.name_en, *indicator.synonyms):
                if text and code not in keys[header_key(text)]:
                    keys[header_key(text)].append(code)
        return cls(indicators, {k: tuple(v) for k, v in keys.items()})

    def resolve(self, text: str) -> str | None:
        """The code ``text`` means (a code wins over a name), or None."""
        if text in self.indicators:
            return text
        found = self.by_key.get(header_key(text), ())
        return found[0] if len(found) == 1 else None

    def suggest(self, text: str) -> list[str]:
        """``name (code)`` strings: the ambiguous candidates, or the closest codes and names."""
        found = self.by_key.get(header_key(text), ())
        if not found:
            for match in difflib.get_close_matches(header_key(text), list(self.by_key), n=3):
                found += self.by_key[match]
        return [f"{self.indicators[c].name} ({c})" for c in dict.fromkeys(found)][:5]


def did_you_mean(suggestions: list[str]) -> str:
    """``"; did you mean A, B?"`` or nothing."""
    return f"; did you mean {', '.join(suggestions)}?" if suggestions else ""


# -- value rules -------------------------------------------------------------------------------
