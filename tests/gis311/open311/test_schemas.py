"""Every Open311 document, in both formats, against the JSON Schemas written from the spec;
and the same document whichever format carries it."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
from fastapi.testclient import TestClient
from jsonschema import ValidationError

from gis311.open311 import schemas
from registry import cases
from tests.gis311.open311 import town
from tests.gis311.open311.shapes import check, check_document
from tests.gis311.open311.test_routes import V2, fms_form, post


@pytest.fixture
def filed(o311: TestClient, town_keys: town.Keys, db: psycopg.Connection) -> list[str]:
    first = post(o311, fms_form(town_keys.reporter, **{"attribute[asset_id]": "SL-1",
                                                      "media_url": "https://example.org/a.jpg"}))
    duplicate = post(o311, fms_form(town_keys.reporter, **{"attribute[asset_id]": "SL-1"}))
    closed = post(o311, fms_form(town_keys.reporter, service_code="noise"))
    cases.update_case(db, closed, actor="crew", status="closed", closure_reason="resolved",
                      note="quiet now")
    return [first, duplicate, closed]


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/discovery", "discovery"),
        ("/services", "services"),
        ("/services/streetlight_out", "definition"),
        ("/services/pothole", "definition"),
        ("/services/graffiti", "definition"),
        ("/services/noise", "definition"),
        ("/requests", "requests"),
        ("/requests?extensions=true", "requests"),
        ("/requests?extensions=true&service_request_id={0},{1}", "requests"),
        ("/requests/{0}?extensions=true", "requests"),
        ("/requests/{1}", "requests"),
        ("/tokens/{2}", "created"),
        ("/services/nope", "errors"),
        ("/requests/none?extensions=true", "errors"),
    ],
)
def test_each_document_matches_its_schema_and_is_the_same_in_both_formats(
    o311: TestClient, filed: list[str], path: str, shape: str
) -> None:
    resource, _, query = path.format(*filed).partition("?")
    status = 404 if shape == "errors" else 200
    documents = [
        check(o311.get(f"{V2}{resource}{ext}" + (f"?{query}" if query else "")), shape, status)
        for ext in (".json", ".xml")
    ]
    # XML cannot tell an empty string from no value: compare with "" read as None.
    assert _blank_is_none(documents[0]) == _blank_is_none(documents[1])
    assert documents[0], "an empty document proves nothing"


def _blank_is_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _blank_is_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_is_none(v) for v in value]
    return None if value == "" else value


def test_post_answers_and_errors_match_their_schemas(
    o311: TestClient, town_keys: town.Keys
) -> None:
    for fmt in ("json", "xml"):
        check(o311.post(f"{V2}/requests.{fmt}", data=fms_form(town_keys.reporter)), "created",
              201)
        check(o311.post(f"{V2}/requests.{fmt}", data={"service_code": "noise"}), "errors", 403)


def test_the_schemas_refuse_what_the_spec_refuses() -> None:
    good = {"service_request_id": "1", "status": "open", "service_code": "x",
            "service_name": "X", "requested_datetime": "2010-04-14T06:37:38-08:00",
            "lat": 42.0, "long": -71.0}
    check_document([good], "request.json", True)
    for bad in ({"status": "in_progress"}, {"service_request_id": 1}, {"lat": "42"},
                {"requested_datetime": "2010-04-14T06:37:38"}, {"media_url": "ftp://x"}):
        with pytest.raises(ValidationError):
            check_document([{**good, **bad}], "request.json", True)
    with pytest.raises(ValidationError):
        check_document({"service_code": "x", "attributes": [{
            "variable": True, "code": "a", "datatype": "singlevaluelist", "required": True,
            "order": 1, "description": "", "values": []}]}, "service_definition.json", False)


def _row(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "code": "s", "name": "S", "description": "", "group": "", "keywords": [],
        "asset_types": [], "attributes": [],
    }
    row.update(values)
    return row


def test_definition_declares_asset_id_only_for_asset_linked_services_and_numbers_order() -> None:
    stored = [{"code": "b", "datatype": "string", "order": 5},
              {"code": "a", "datatype": "singlevaluelist", "order": 1,
               "values": [{"key": "k", "name": "K"}]},
              {"code": "c", "datatype": "number", "order": 5}]
    linked = schemas.definition(_row(asset_types=["streetlight"], attributes=stored))
    assert [(a["code"], a["order"]) for a in linked["attributes"]] == [
        ("a", 1), ("b", 2), ("c", 3), ("asset_id", 4)]
    asset = linked["attributes"][-1]
    assert (asset["datatype"], asset["required"], asset["variable"]) == ("string", False, True)
    plain = schemas.definition(_row(attributes=stored))
    assert "asset_id" not in [a["code"] for a in plain["attributes"]]
    assert schemas.service(_row())["metadata"] is False
    assert schemas.service(_row(asset_types=["streetlight"]))["metadata"] is True


def test_w3c_datetimes_carry_an_offset() -> None:
    moment = datetime(2026, 3, 1, 12, 30, 15, 987654, tzinfo=UTC)
    assert schemas.w3c(moment) == "2026-03-01T12:30:15+00:00"
    assert schemas.w3c("2026-03-01T07:30:15-05:00") == "2026-03-01T12:30:15+00:00"
    assert schemas.w3c(None) is None
