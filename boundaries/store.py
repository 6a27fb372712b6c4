"""Write boundaries: layers, versions (closing the open one), and a version's districts.

``import_version`` is the whole import in one transaction: stage the source features in a
temporary table, repair them, create the version, merge features sharing a code into one
district, cut the districts into the pieces assignment uses, and report overlaps and gaps.
Importing a file whose hash the layer already holds changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from psycopg import Connection
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from boundaries import sql, validate
from boundaries.errors import Conflict, InvalidInput
from boundaries.models import (
    KINDS,
    ImportReport,
    Layer,
    Merge,
    SourceFeature,
    Version,
    VersionSpec,
    period_text,
)
from boundaries.queries import VERSION_COLUMNS, find_layer

# Pieces of at most this many vertices: point-in-polygon on a piece is a few dozen edge tests,
# and the GiST boxes of small pieces hug the shape. bench/assign.py (--max-vertices) ran 8, 16
# and 32 about equally fast and 64, 128 (and the unsplit districts) slower; 32 keeps the part
# table small.
SUBDIVIDE_MAX_VERTICES = 32

# Layer codes appear in URLs next to fixed routes; these would shadow or be shadowed by them.
RESERVED_CODES = frozenset({"lookup"})
LAYER_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

Progress = Callable[[int], None]


def check_spec(spec: VersionSpec) -> None:
    """Refuse a layer code, kind, label or period that cannot be stored."""
    if not LAYER_CODE.match(spec.layer) or spec.layer in RESERVED_CODES:
        raise InvalidInput(
            f"layer code {spec.layer!r} must be lowercase letters, digits and _ starting with "
            f"a letter (at most 63), and not {', '.join(sorted(RESERVED_CODES))}"
        )
    if spec.kind is not None and spec.kind not in KINDS:
        raise InvalidInput(f"unknown layer kind {spec.kind!r}; kinds: {', '.join(KINDS)}")
    if not spec.label.strip():
        raise InvalidInput("the version label is empty")
    for name, value in (("valid_from", spec.valid_from), ("valid_to", spec.valid_to)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(f"{name} {value.isoformat()} has no time zone")
    if spec.valid_from and spec.valid_to and spec.valid_from >= spec.valid_to:
        raise InvalidInput(
            f"valid_from {spec.valid_from.isoformat()} is not before "
            f"valid_to {spec.valid_to.isoformat()}"
        )


def ensure_layer(
    conn: Connection, code: str, *, kind: str | None = None, name: str | None = None
) -> tuple[Layer, bool]:
    """The layer (created when missing), locked until the transaction ends; True if created.

    A new layer's kind defaults to its code when that is a kind (``ward``), else ``other``.
    """
    default_kind = code if code in KINDS else "other"
    default_name = code.replace("_", " ").capitalize()
    with conn.cursor(row_factory=class_row(Layer)) as cur:
        created = cur.execute(
            "INSERT INTO boundaries.layer (code, name, kind) VALUES (%s, %s, %s) "
            "ON CONFLICT (code) DO NOTHING RETURNING id, code, name, kind",
            (code, name or default_name, kind or default_kind),
        ).fetchone()
        # Imports into one layer take turns: the second waits here until the first commits.
        layer = cur.execute(
            "SELECT id, code, name, kind FROM boundaries.layer WHERE code = %s FOR UPDATE",
            (code,),
        ).fetchone()
    assert layer is not None
    if kind is not None and layer.kind != kind:
        raise Conflict(f"layer {code!r} is of kind {layer.kind!r}, not {kind!r}")
    return layer, created is not None


def _version(conn: Connection, where: str, params: Sequence[object]) -> Version | None:
    with conn.cursor(row_factory=class_row(Version)) as cur:
        return cur.execute(
            f"SELECT {VERSION_COLUMNS} FROM boundaries.version WHERE {where}", params
        ).fetchone()


def find_source_version(conn: Connection, layer: Layer, sha256: str) -> Version | None:
    """The version of ``layer`` imported from a file with this SHA-256, if any."""
    return _version(conn, "layer_id = %s AND source_sha256 = %s", (layer.id, sha256))


def add_version(
    conn: Connection, layer: Layer, spec: VersionSpec
) -> tuple[Version, Version | None]:
    """Create the version ``spec`` describes; returns it and the version it closed, if any.

    When the new version starts after the start of the open version (``valid_to`` NULL), the
    open one is closed at the new start. Any other overlap with an existing version is a
    Conflict naming it.
    """
    closed = None
    current = _version(conn, "layer_id = %s AND valid_to IS NULL", (layer.id,))
    if (
        current is not None
        and spec.valid_from is not None
        and (current.valid_from is None or current.valid_from < spec.valid_from)
    ):
        with conn.cursor(row_factory=class_row(Version)) as cur:
            closed = cur.execute(
                f"UPDATE boundaries.version SET valid_to = %s WHERE id = %s "
                f"RETURNING {VERSION_COLUMNS}",
                (spec.valid_from, current.id),
            ).fetchone()
    clash = _version(
        conn,
        "layer_id = %s AND period && tstzrange(%s, %s, '[)') ORDER BY valid_from NULLS FIRST "
        "LIMIT 1",
        (layer.id, spec.valid_from, spec.valid_to),
    )
    if clash is not None:
        raise Conflict(
            f"the new version of layer {layer.code!r} would be in force during "
            f"{period_text(spec.valid_from, spec.valid_to)}, which overlaps version "
            f"{clash.label!r} {clash.period_text()}; start the new version after "
            f"{clash.label!r} starts (that closes it) or end it before"
        )
    if _version(conn, "layer_id = %s AND label = %s", (layer.id, spec.label)) is not None:
        raise Conflict(f"layer {layer.code!r} already has a version labelled {spec.label!r}")
    with conn.cursor(row_factory=class_row(Version)) as cur:
        version = cur.execute(
            "INSERT INTO boundaries.version (layer_id, label, valid_from, valid_to, "
            "source_name, source_sha256, source_options) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            f"RETURNING {VERSION_COLUMNS}",
            (
                layer.id,
                spec.label,
                spec.valid_from,
                spec.valid_to,
                spec.source_name,
                spec.source_sha256,
                Jsonb(spec.source_options),
            ),
        ).fetchone()
    assert version is not None
    return version, closed


def stage(
    conn: Connection,
    batches: Iterable[Sequence[SourceFeature]],
    progress: Progress | None = None,
) -> int:
    """Copy source features into the temporary ``boundary_source`` table; returns the count."""
    conn.execute("DROP TABLE IF EXISTS pg_temp.boundary_source")
    conn.execute(sql.load("stage_create"))
    count = 0
    with conn.cursor() as cur:
        for batch in batches:
            with cur.copy(
                "COPY pg_temp.boundary_source "
                "(idx, code, name, properties, office_name, office_email, geom) FROM STDIN"
            ) as copy:
                for feature in batch:
                    copy.write_row(
                        (
                            feature.index,
                            feature.code,
                            feature.name,
                            Jsonb(feature.properties),
                            feature.office_name,
                            feature.office_email,
                            _ewkb_hex(feature.wkb),
                        )
                    )
            count += len(batch)
            if progress is not None:
                progress(len(batch))
    conn.execute("UPDATE pg_temp.boundary_source SET geom = ST_SetSRID(ST_Force2D(geom), 4326)")
    return count


def _ewkb_hex(wkb: bytes | None) -> str | None:
    # PostGIS reads hex WKB as geometry input; stage() sets the SRID once all rows are in.
    return wkb.hex() if wkb is not None else None


def write_features(conn: Connection, layer: Layer, version: Version) -> list[Merge]:
    """Store the staged features as districts of ``version`` and cut them into parts."""
    merges = [
        Merge(code=code, indexes=tuple(indexes))
        for code, indexes in conn.execute(sql.load("stage_merges")).fetchall()
    ]
    conn.execute(
        sql.load("write_features"), {"version_id": version.id, "default_name": layer.name}
    )
    conn.execute(
        sql.load("write_parts"),
        {"version_id": version.id, "max_vertices": SUBDIVIDE_MAX_VERTICES},
    )
    conn.execute(
        "UPDATE boundaries.version SET feature_count = "
        "(SELECT count(*) FROM boundaries.feature WHERE version_id = %(id)s) WHERE id = %(id)s",
        {"id": version.id},
    )
    # Fresh statistics keep the planner on the index plans assignment is written for.
    conn.execute("ANALYZE boundaries.version, boundaries.feature, boundaries.feature_part")
    return merges


def import_version(
    conn: Connection,
    spec: VersionSpec,
    batches: Iterable[Sequence[SourceFeature]],
    progress: Progress | None = None,
) -> ImportReport:
    """Import one version of a layer, all or nothing.

    ``batches`` is consumed only when the layer does not already hold a version from a file
    with ``spec.source_sha256``: then nothing changes and the report says ``unchanged``.
    Features with no code, a non-polygonal geometry or one that cannot be repaired raise
    InvalidFeature naming the feature index and field.
    """
    check_spec(spec)
    with conn.transaction():
        layer, created = ensure_layer(conn, spec.layer, kind=spec.kind, name=spec.layer_name)
        existing = find_source_version(conn, layer, spec.source_sha256)
        if existing is not None:
            return ImportReport(layer=layer, version=existing, unchanged=True)
        count = stage(conn, batches, progress)
        if count == 0:
            raise InvalidInput(f"{spec.source_name} holds no features")
        repairs = validate.repair_staged(conn)
        version, closed = add_version(conn, layer, spec)
        merges = write_features(conn, layer, version)
        conn.execute("DROP TABLE IF EXISTS pg_temp.boundary_source")
        stored = find_layer(conn, layer.code) or layer
        final = _version(conn, "id = %s", (version.id,)) or version
        return ImportReport(
            layer=stored,
            version=final,
            unchanged=False,
            source_features=count,
            closed=closed,
            created_layer=created,
            repairs=repairs,
            merges=merges,
            overlaps=validate.overlaps(conn, version.id),
            gaps=validate.gaps(conn, version.id),
        )
