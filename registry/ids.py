"""Public asset ids: taken from the department's data when it has them, generated otherwise.

An asset id never changes and is never the database row id. It may be any text of 1-128
characters without control characters or surrounding spaces. Departments' ids hold slashes
(Cambridge's streetlight ``975-4A/B``), so the API routes take the id as a path.
"""

from __future__ import annotations

import re
import secrets

from psycopg import sql

from registry.errors import InvalidInput

MAX_LENGTH = 128
# The same rules as the CHECK constraint on registry.asset.asset_id.
_ID = re.compile(r"^[^\x00-\x1f\x7f\s]([^\x00-\x1f\x7f]{0,126}[^\x00-\x1f\x7f\s])?$")
BAD_ID = "an asset id is 1-128 characters without control characters or surrounding spaces"


def check(asset_id: str) -> str:
    """``asset_id`` when it is a well-formed id; InvalidInput otherwise."""
    if not isinstance(asset_id, str) or not _ID.match(asset_id):
        raise InvalidInput(f"asset_id: {BAD_ID}")
    return asset_id


def generate(type_code: str) -> str:
    """A new random id ``<type>-<16 hex digits>`` for an asset created without one."""
    return f"{type_code}-{secrets.token_hex(8)}"


def problem_sql(asset_id: sql.Composable) -> sql.Composable:
    """SQL text expression: why ``asset_id`` is not a usable id, or NULL."""
    return sql.SQL(
        "(CASE WHEN {i} IS NULL OR {i} = '' THEN 'missing id' "
        "WHEN length({i}) > {max} OR {i} ~ '[[:cntrl:]]' OR {i} ~ '^[[:space:]]|[[:space:]]$' "
        "THEN {bad} END)"
    ).format(i=asset_id, max=sql.Literal(MAX_LENGTH), bad=sql.Literal(BAD_ID))


def located_sql(type_code: str, geom: sql.Composable) -> sql.Composable:
    """SQL text expression: the id of an asset whose file has no id field.

    Derived from the type and the location (to 1 cm), so importing the same file again finds
    the same assets; a moved asset becomes a new one. Assets sharing a location within one file
    get ``-2``, ``-3``... in file order (see the import).
    """
    return sql.SQL(
        "({prefix} || left(md5(encode(ST_AsEWKB(ST_SnapToGrid({g}, 1e-7)), 'hex')), 16))"
    ).format(prefix=sql.Literal(f"{type_code}-"), g=geom)
