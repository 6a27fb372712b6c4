"""DDL attaching the tile change feed to a table (used by migrations)."""

from __future__ import annotations

from psycopg import sql


def change_trigger_ddl(schema: str, table: str, layer: str) -> list[str]:
    """Statements creating the insert/update/delete triggers that log changes for tile caches.

    The table needs a ``geom_3857`` column; ``layer`` is the cache layer to invalidate.
    """
    target = sql.Identifier(schema, table)
    statements = []
    for op, refs in (
        ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ):
        name = sql.Identifier(f"{table}_tiles_{op.lower()}")
        statements.append(
            sql.SQL(
                "CREATE TRIGGER {name} AFTER {op} ON {target} {refs} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tiles.log_change({layer})"
            ).format(
                name=name, op=sql.SQL(op), target=target, refs=sql.SQL(refs),
                layer=sql.Literal(layer),
            ).as_string(None)
        )
    return statements
