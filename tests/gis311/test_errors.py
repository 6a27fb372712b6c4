"""Every error is ``application/problem+json`` with a useful ``detail``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from gis311.app import create_app
from gis311.errors import EXCEPTION_STATUS, PROBLEM_JSON, status_for
from gis311.routing import StrictJSONRoute
from gis311.settings import Settings


class Point(BaseModel):
    lat: float
    lon: float


class ProbeError(LookupError):
    """Stands for a domain package's not-found error."""


probe = APIRouter(route_class=StrictJSONRoute)


@probe.post("/probe")
def post_probe(point: Point) -> dict[str, float]:
    return {"lat": point.lat, "lon": point.lon}


@probe.get("/probe/missing")
def missing() -> None:
    raise ProbeError("no such thing: 42")


@probe.get("/probe/crash")
def crash() -> None:
    raise RuntimeError("secret internals")


@pytest.fixture
def probe_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setitem(EXCEPTION_STATUS, ProbeError, 404)
    app: FastAPI = create_app(settings.model_copy(update={"max_body_bytes": 200}))
    app.include_router(probe)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def test_unknown_route_is_404_problem(probe_client: TestClient) -> None:
    body = _is_problem(probe_client.get("/nope"), 404)
    assert "/nope" in body["detail"]


def test_validation_error_is_422_naming_the_field(probe_client: TestClient) -> None:
    body = _is_problem(probe_client.post("/probe", json={"lat": "north", "lon": 1}), 422)
    assert "lat" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "lat"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_422_never_500(probe_client: TestClient, constant: str) -> None:
    response = probe_client.post(
        "/probe", content=f'{{"lat": {constant}, "lon": 1}}',
        headers={"content-type": "application/json"},
    )
    body = _is_problem(response, 422)
    assert "not a valid JSON number" in body["detail"]


def test_malformed_json_is_422(probe_client: TestClient) -> None:
    response = probe_client.post(
        "/probe", content=b'{"lat": 1,', headers={"content-type": "application/json"}
    )
    _is_problem(response, 422)


def test_body_over_the_cap_is_413(probe_client: TestClient) -> None:
    body = _is_problem(probe_client.post("/probe", content=b"x" * 201), 413)
    assert "200 bytes" in body["detail"]


def test_chunked_body_over_the_cap_is_413(probe_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b'{"lat": 1, "lon": 2, "pad": "' + b"x" * 50 + b'"}'

    response = probe_client.post(
        "/probe", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(response, 413)


def test_body_under_the_cap_passes(probe_client: TestClient) -> None:
    response = probe_client.post("/probe", json={"lat": 42.36, "lon": -71.06})
    assert response.status_code == 200
    assert response.json() == {"lat": 42.36, "lon": -71.06}


def test_domain_exception_maps_through_the_table(probe_client: TestClient) -> None:
    body = _is_problem(probe_client.get("/probe/missing"), 404)
    assert body["detail"] == "no such thing: 42"


def test_unexpected_error_is_500_problem_without_internals(probe_client: TestClient) -> None:
    body = _is_problem(probe_client.get("/probe/crash"), 500)
    assert "secret" not in body["detail"]


def test_wrong_method_is_405_problem(probe_client: TestClient) -> None:
    _is_problem(probe_client.delete("/healthz"), 405)


def test_status_for_walks_the_class_hierarchy() -> None:
    class Narrower(ProbeError):
        pass

    EXCEPTION_STATUS[ProbeError] = 404
    try:
        assert status_for(Narrower("x")) == 404
        assert status_for(KeyError("x")) is None
    finally:
        del EXCEPTION_STATUS[ProbeError]
