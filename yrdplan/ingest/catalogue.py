"""The indicator catalogue: which indicators yrdplan knows, and which names mean them.

The catalogue ships as ``yrdplan/data/indicators.csv`` (one row per indicator, columns
``code,name,name_en,unit,direction,kind,area,aggregation,weight_indicator,formula,frequency,
synonyms,definition``; synonyms are ``|``-separated). :func:`load_catalogue` reads and validates
it with the same reader as an uploaded catalogue table
(:func:`yrdplan.ingest.indicators_table.read_indicators`), so a row means the same in both;
:meth:`Catalogue.match` maps a name as a plan writes it ("研发投入强度", "R&D经费投入强度",
"全市常住人口城镇化率") to a code.

Matching tries, in order, and stops at the first unambiguous hit:

1. the normalised name (NFKC, so full-width letters and digits become ASCII and "Ⅲ" becomes
   "III"; lower case; no spaces, quotes, brackets or punctuation; "R&D" and "研究与试验发展"
   read as "研发");
2. the same with parenthesised asides removed ("细颗粒物(PM2.5)平均浓度" → "细颗粒物平均浓度");
3. loose forms: without "的", without a trailing "率", without a leading region word
   ("全市", "全省", "我市" …);
4. the longest catalogue name (at least four characters) contained in the name.

A name that two indicators could claim at the same step matches nothing rather than a guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import resources

from yrdplan.domain.indicators import Indicator
from yrdplan.domain.problems import Problem
from yrdplan.errors import InputError
from yrdplan.ingest.indicators_table import read_indicators
from yrdplan.ingest.source import Readable
from yrdplan.ingest.tables import INDICATOR_COLUMNS

__all__ = [
    "Catalogue",
    "CatalogueError",
    "load_catalogue",
    "normalise_name",
]

#: The catalogue file's columns (the exchange format of indicator tables).
COLUMNS: tuple[str, ...] = tuple(INDICATOR_COLUMNS)
_PUNCT_RE = re.compile(r"[\s\"'“”‘’「」『』《》〈〉【】\[\]{}<>·・,，、.。:：;；!！?？_\-—–~～/]+")
_PAREN_RE = re.compile(r"[(（][^()（）]*[)）]")
_REGION_PREFIX_RE = re.compile(r"^(?:全市|全省|全区|全县|全域|我市|我省|我区|本市|本省|各市|各区)")
_MIN_CONTAINED = 4


class CatalogueError(InputError, ValueError):
    """A catalogue file or row that cannot be used; the message names the row and field."""


def normalise_name(name: str) -> str:
    """The form two spellings of one indicator name share.

    Parameters
    ----------
    name : str
        An indicator name as written.

    Returns
    -------
    str
        NFKC-normalised, lower-cased, without punctuation or spaces, with "R&D" read as "研发".

    Examples
    --------
    >>> normalise_name("R&D 经费投入强度")
    '研发经费投入强度'
    >>> normalise_name("细颗粒物（PM２.５）平均浓度")
    '细颗粒物pm25平均浓度'
    """
    text = unicodedata.normalize("NFKC", name).lower()
    text = text.replace("r&d", "研发").replace("研究与试验发展", "研发")
    return _PUNCT_RE.sub("", text).replace("(", "").replace(")", "")


def _strict_keys(name: str) -> list[str]:
    """Keys for matching steps 1 and 2: as normalised, then without parenthesised asides."""
    nfkc = unicodedata.normalize("NFKC", name)
    keys = [normalise_name(name), normalise_name(_PAREN_RE.sub("", nfkc))]
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]


def _loose_keys(name: str) -> list[str]:
    """Keys for matching step 3: the strict keys without 的, a trailing 率 or a region prefix."""
    out: list[str] = []
    for key in _strict_keys(name):
        for variant in (key, _REGION_PREFIX_RE.sub("", key)):
            variant = variant.replace("的", "").removesuffix("率")
            if variant and variant not in out:
                out.append(variant)
    return out


class Catalogue:
    """A validated set of indicators with name lookup.

    Parameters
    ----------
    indicators : iterable of Indicator
        Catalogue entries; codes must be unique and no name or synonym may belong to two codes.

    Raises
    ------
    CatalogueError
        On a duplicate code or a name claimed by two indicators.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.match("研发投入强度"), cat.match("全市常住人口城镇化率")
    ('RD_INTENSITY', 'URBANIZATION')
    >>> cat.get("RAIL_DENSITY").formula
    'RAIL_KM / AREA_KM2 * 10000'
    """

    def __init__(self, indicators: Iterable[Indicator]):
        self._by_code: dict[str, Indicator] = {}
        for ind in indicators:
            if ind.code in self._by_code:
                raise CatalogueError(f"duplicate indicator code {ind.code!r}")
            self._by_code[ind.code] = ind
        self._strict: dict[str, str] = {}
        self._loose: dict[str, str | None] = {}
        for ind in self._by_code.values():
            for name in (ind.name, *ind.synonyms):
                self._index_name(ind.code, name)

    def _index_name(self, code: str, name: str) -> None:
        for key in _strict_keys(name):
            owner = self._strict.setdefault(key, code)
            if owner != code:
                raise CatalogueError(
                    f"indicator {code}: name {name!r} is already a name of {owner}"
                )
        for key in _loose_keys(name):
            # A loose key two indicators share becomes ambiguous (None) instead of an error:
            # loose forms are a convenience, exact names stay unique.
            if self._loose.get(key, code) != code:
                self._loose[key] = None
            else:
                self._loose[key] = code

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Indicator:
        return self._by_code[code]

    def get(self, code: str) -> Indicator | None:
        """The indicator with this code, or None."""
        return self._by_code.get(code)

    @property
    def codes(self) -> list[str]:
        """All codes in catalogue order."""
        return list(self._by_code)

    def match(self, name: str) -> str | None:
        """The code of the indicator a name means, or None when unknown or ambiguous.

        Parameters
        ----------
        name : str
            An indicator name as a plan writes it (simplified Chinese).

        Returns
        -------
        str or None
            The catalogue code.

        Examples
        --------
        >>> cat = load_catalogue()
        >>> cat.match("R&D经费投入强度"), cat.match("细颗粒物(PM2.5)平均浓度")
        ('RD_INTENSITY', 'PM25')
        >>> cat.match("幸福指数") is None
        True
        """
        if not isinstance(name, str) or not name.strip():
            return None
        for key in _strict_keys(name):
            if key in self._strict:
                return self._strict[key]
        for key in _loose_keys(name):
            if key in self._loose:
                return self._loose[key]
        return self._match_contained(name)

    def _match_contained(self, name: str) -> str | None:
        """Step 4: the longest catalogue key inside the name; None if two codes tie."""
        best_len = 0
        best: set[str] = set()
        for query in _strict_keys(name):
            for key, code in self._strict.items():
                if len(key) < _MIN_CONTAINED or key not in query:
                    continue
                if len(key) > best_len:
                    best_len, best = len(key), {code}
                elif len(key) == best_len:
                    best.add(code)
        return next(iter(best)) if len(best) == 1 else None


def load_catalogue(source: Readable | None = None) -> Catalogue:
    """Read and validate an indicator catalogue.

    Parameters
    ----------
    source : path or binary file object, optional
        A catalogue table; by default the one shipped in the package
        (``yrdplan/data/indicators.csv``, read through :mod:`importlib.resources`).

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        A missing column, or a row with a bad value: the first error, naming the file, row and
        field, e.g. ``indicators.csv, row 5, field direction: …``.

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat.get("PM25").direction, cat.get("PM25").unit
    ('lower', '微克/立方米')
    """
    if source is None:
        with (resources.files("yrdplan") / "data" / "indicators.csv").open("rb") as handle:
            reading = read_indicators(handle, name="indicators.csv")
    else:
        reading = read_indicators(source)
    if reading.errors:
        raise CatalogueError(_catalogue_message(reading.errors))
    return Catalogue(reading.records)


def _catalogue_message(errors: list[Problem]) -> str:
    first = errors[0]
    if first.kind == "missing_column":
        missing = ", ".join(p.column or "" for p in errors if p.kind == "missing_column")
        return f"{first.file}, row {first.row or 1}: missing column(s) {missing}"
    return f"{first.file}, row {first.row}, field {first.column}: {first.message}" + (
        f" ({first.value!r})" if first.value is not None else ""
    )
