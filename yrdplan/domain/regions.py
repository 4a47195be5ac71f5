"""Regions (GB/T 2260 administrative divisions) and region groups as plain records."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

LEVELS: tuple[str, ...] = ("region", "province", "city", "county")

# GB/T 2260 has no code for the Yangtze River Delta as a whole; yrdplan uses 000000 for it.
YRD_CODE = "000000"
YRD_NAME = "长三角地区"
YRD_PROVINCES: dict[str, str] = {
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
}
# Shanghai is a province-level city; as one of the 41 cities it takes GB/T 2260's 310100
# (上海市市辖区), so that every code names one region at one level.
SHANGHAI_CITY_CODE = "310100"

_CODE = re.compile(r"^\d{6}$")


def is_region_code(text: str) -> bool:
    """True for a six-digit code.

    >>> is_region_code("320100"), is_region_code("3201")
    (True, False)
    """
    return bool(_CODE.match(text))


@dataclass(slots=True)
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    province_code: str | None
    valid_from: date | None = None
    valid_to: date | None = None
    area_km2: float | None = None
    name_en: str = ""
    outline: str | None = None  # simplified GeoJSON geometry text
    outline_tolerance: float = 0.0

    def to_public(self) -> dict:
        """The documented JSON shape of ``yrdplan regions list --format json``."""
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "parent_code": self.parent_code,
            "province_code": self.province_code,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }

    def is_valid_on(self, day: date) -> bool:
        starts = self.valid_from is None or self.valid_from <= day
        return starts and (self.valid_to is None or day < self.valid_to)


@dataclass(slots=True)
class RegionGroup:
    code: str
    name: str
    name_en: str = ""
    description: str = ""
    members: list[str] = field(default_factory=list)  # region codes
    kind: str = "builtin"
