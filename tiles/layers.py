"""Tile layer specifications: what a layer draws from and which query parameters narrow it.

A spec holds SQL fragments written by the code that wires layers up (trusted, from ``.sql``
files), never text from a request: request values only ever reach the database as bound
parameters produced by a ``Filter``'s ``parse``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tiles.errors import InvalidTile


@dataclass(frozen=True)
class Filter:
    """A query parameter of a layer.

    ``sql`` is a predicate over the source row alias ``t`` using named placeholders
    (``%(f_status)s``); ``parse`` turns the raw query-string value into those parameters and
    raises ``ValueError`` with a message for a bad value. ``default`` applies when the request
    does not name the parameter (None: no filtering then).
    """

    sql: str
    parse: Callable[[str], Mapping[str, Any]]
    default: str | None = None
    description: str = ""


@dataclass(frozen=True, eq=False)
class LayerSpec:
    """One tile layer. Identity-hashed: compiled queries are cached per spec object.

    ``source`` is a relation or a parenthesised subquery yielding ``id_column`` (an integer, the
    MVT feature id), ``geom_column`` (EPSG:3857, GiST-indexed for the ``&&`` filter to use the
    index) and every column named in ``properties`` (name -> TileJSON field description). It
    may use named placeholders bound from ``params`` and from the filters.
    """

    name: str
    source: str
    properties: Mapping[str, str]
    geometry_type: str = "point"
    id_column: str = "id"
    geom_column: str = "geom_3857"
    params: Mapping[str, Any] = field(default_factory=dict)
    filters: Mapping[str, Filter] = field(default_factory=dict)
    minzoom: int = 0
    maxzoom: int = 22
    feature_limit: int = 50_000
    # Points are aggregated into grid cells (``cluster_cells`` per tile side, a ``count``
    # property) at zooms up to ``cluster_maxzoom``, so a whole-city tile stays small.
    cluster_maxzoom: int | None = None
    cluster_cells: int = 64
    cache_control: str = "public, max-age=60"
    description: str = ""

    def bind(self, values: Mapping[str, str]) -> tuple[tuple[str, ...], dict[str, Any]]:
        """The filters in force for a request and their bound parameters.

        Unknown parameter names are ignored (clients add cache busters); a bad value raises
        ``InvalidTile`` naming the parameter.
        """
        names: list[str] = []
        params: dict[str, Any] = dict(self.params)
        for name in sorted(self.filters):
            flt = self.filters[name]
            raw = values.get(name, flt.default)
            if raw is None or raw == "":
                continue
            try:
                params.update(flt.parse(raw))
            except ValueError as exc:
                raise InvalidTile(f"bad value for {name!r}: {exc}") from None
            names.append(name)
        return tuple(names), params
