"""Pages of assets: filters and keyset pagination by (updated_at, asset_id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from registry import assets, catalog, catalog_file, listing
from registry.errors import InvalidInput
from tests.conftest import REPO


def _pt(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def conn(db: psycopg.Connection) -> psycopg.Connection:
    catalog.load(db, catalog_file.read(REPO / "catalog.example.yaml"))
    for i in range(7):
        assets.create(db, type_code="streetlight", asset_id=f"L{i}",
                      geometry=_pt(-71.10 + i * 0.001, 42.37), actor="t")
    assets.create(db, type_code="hydrant", asset_id="H1", geometry=_pt(-71.2, 42.4), actor="t")
    assets.retire(db, "L3", actor="t")
    return db


def _ids(page: list) -> list[str]:
    return [a.asset_id for a in page]


def test_filters(conn: psycopg.Connection) -> None:
    page, _ = listing.list_assets(conn, listing.AssetFilter(types=["hydrant"]))
    assert _ids(page) == ["H1"]
    page, _ = listing.list_assets(conn, listing.AssetFilter(statuses=["retired"]))
    assert _ids(page) == ["L3"]
    box = (-71.1005, 42.369, -71.0975, 42.371)
    page, _ = listing.list_assets(conn, listing.AssetFilter(bbox=box))
    assert sorted(_ids(page)) == ["L0", "L1", "L2"]
    future = datetime.now(UTC) + timedelta(hours=1)
    page, _ = listing.list_assets(conn, listing.AssetFilter(updated_after=future))
    assert page == []


def test_pages_cover_everything_once(conn: psycopg.Connection) -> None:
    seen: list[str] = []
    after = None
    while True:
        page, after = listing.list_assets(conn, listing.AssetFilter(), limit=3, after=after)
        seen += _ids(page)
        if after is None:
            break
    assert sorted(seen) == sorted([f"L{i}" for i in range(7)] + ["H1"])
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "bbox", [(1, 2, 3), (10, 0, 5, 1), (0, -95, 1, 1), (0, 0, float("nan"), 1)]
)
def test_bad_bbox(bbox: tuple) -> None:
    with pytest.raises(InvalidInput, match="bbox"):
        listing.check_bbox(bbox)


def test_bad_status_and_limit(conn: psycopg.Connection) -> None:
    with pytest.raises(InvalidInput, match="status"):
        listing.list_assets(conn, listing.AssetFilter(statuses=["gone"]))
    with pytest.raises(InvalidInput, match="limit"):
        listing.list_assets(conn, listing.AssetFilter(), limit=0)
