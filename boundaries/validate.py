"""Check and repair the staged source polygons; find overlaps and gaps of a stored version.

Repair uses ST_MakeValid and is accepted only when the result is still polygonal: its
polygonal part is kept, and any zero-area pieces the repair split off (a spike becomes a line)
are counted in the report. A geometry that is not a polygon, or that has no area once made
valid, is an error naming the feature. Areas are on the spheroid (``geography``), in m².
"""

from __future__ import annotations

from psycopg import Connection

from boundaries import sql
from boundaries.errors import InvalidFeature
from boundaries.models import Gap, Overlap, Repair

GEOMETRY_FIELD = "geometry"


def repair_staged(conn: Connection) -> list[Repair]:
    """Refuse non-polygons in ``boundary_source``, repair invalid polygons, report repairs."""
    bad = conn.execute(sql.load("stage_not_polygon")).fetchone()
    if bad is not None:
        raise InvalidFeature(bad[0], GEOMETRY_FIELD, bad[1])
    repairs = []
    for index, code, reason, polygonal, dropped in conn.execute(sql.load("stage_invalid")):
        if not polygonal:
            raise InvalidFeature(
                index,
                GEOMETRY_FIELD,
                f"invalid polygon ({reason}) that ST_MakeValid cannot repair into a polygon: "
                "nothing with an area is left",
            )
        repairs.append(Repair(index=index, code=code, reason=reason, dropped_parts=dropped))
    if repairs:
        conn.execute(sql.load("stage_repair"))
    return repairs


def overlaps(conn: Connection, version_id: int) -> list[Overlap]:
    """Pairs of districts of the version whose interiors intersect, largest area first."""
    return [
        Overlap(code_a=a, code_b=b, area_m2=float(area))
        for a, b, area in conn.execute(sql.load("overlaps"), {"version_id": version_id})
    ]


def gaps(conn: Connection, version_id: int) -> list[Gap]:
    """Holes in the union of the version's districts, largest first."""
    return [
        Gap(area_m2=float(area), lon=float(lon), lat=float(lat))
        for area, lon, lat in conn.execute(sql.load("gaps"), {"version_id": version_id})
    ]
