"""Maps as SVG drawn from the regions' GeoJSON outlines: no JavaScript, no tiles, no network.

SVG prints, embeds in HTML reports as it is, and turns into PNG for Word documents, so one
renderer serves the web pages and the bulletins.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class MapArea:
    """One region on a map: its outline and how to show it."""

    code: str
    name: str
    geometry: str  # GeoJSON geometry text (Polygon or MultiPolygon), lon/lat
    fill: str = "#dbe4ee"
    tooltip: str = ""
    href: str | None = None
    label: str | None = None


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    if geometry["type"] == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    raise ValueError(f"geometry type {geometry['type']!r} is not a polygon")


def render_svg_map(
    areas: list[MapArea], *, width: int = 640, title: str = "", show_labels: bool = True
) -> str:
    """An SVG choropleth of ``areas`` in an equirectangular projection scaled by cos(latitude).

    >>> square = '{"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 31], [120, 30]]]}'
    >>> svg = render_svg_map([MapArea("1", "A", square, fill="#f00")], width=100)
    >>> svg.startswith("<svg") and 'fill="#f00"' in svg
    True
    """
    if not areas:
        raise ValueError("areas: nothing to draw")
    shapes = [(area, _rings(json.loads(area.geometry))) for area in areas]
    points = [pt for _, rings in shapes for ring in rings for pt in ring]
    min_x = min(p[0] for p in points)
    max_x = max(p[0] for p in points)
    min_y = min(p[1] for p in points)
    max_y = max(p[1] for p in points)
    # At YRD latitudes a degree of longitude is ~0.86 of a degree of latitude.
    x_scale = math.cos(math.radians((min_y + max_y) / 2))
    span_x = max((max_x - min_x) * x_scale, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    scale = width / span_x
    height = round(span_y * scale)

    def project(pt: list[float]) -> str:
        return f"{(pt[0] - min_x) * x_scale * scale:.1f},{(max_y - pt[1]) * scale:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="map">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    labels = []
    for area, rings in shapes:
        path = " ".join("M" + " L".join(project(pt) for pt in ring) + "Z" for ring in rings)
        tooltip = escape(area.tooltip or area.name)
        shape = (
            f'<path d="{path}" fill="{area.fill}" stroke="#fff" stroke-width="0.8" '
            f'fill-rule="evenodd" data-code="{escape(area.code)}"><title>{tooltip}</title></path>'
        )
        if area.href:
            shape = f'<a href="{escape(area.href)}">{shape}</a>'
        parts.append(shape)
        if show_labels and area.label:
            outer = max(rings, key=len)
            cx = sum(p[0] for p in outer) / len(outer)
            cy = sum(p[1] for p in outer) / len(outer)
            x, y = project([cx, cy]).split(",")
            labels.append(
                f'<text x="{x}" y="{y}" font-size="{max(width / 90, 7):.0f}" text-anchor="middle" '
                f'class="map-label">{escape(area.label)}</text>'
            )
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)
