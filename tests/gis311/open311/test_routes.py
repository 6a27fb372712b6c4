"""``/open311/v2`` over HTTP: intake as FixMyStreet sends it, reads with every filter, errors.

The routes run on the test's rolled-back connection (see conftest.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from gis311.app import create_app
from gis311.settings import Settings
from registry import cases, intake
from tests.conftest import bind
from tests.gis311.open311 import town
from tests.gis311.open311.shapes import check
from tests.registry import city

V2 = "/open311/v2"
LON, LAT = town.LON, town.LAT
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def fms_form(key: str, **fields: object) -> dict[str, object]:
    """A report as FixMyStreet's Open311 client posts it (form-encoded)."""
    form: dict[str, object] = {
        "api_key": key, "jurisdiction_id": town.JURISDICTION, "service_code": "streetlight_out",
        "lat": LAT, "long": LON, "description": "The light by the bus stop is out.",
        "attribute[light_state]": "out", **town.REPORTER,
    }
    form.update(fields)
    return form


def post(client: TestClient, data: dict[str, object], fmt: str = "json", **kwargs) -> str:
    """POST requests and return the new request's id."""
    response = client.post(f"{V2}/requests.{fmt}", data=data, **kwargs)
    return str(check(response, "created", 201)[0]["service_request_id"])


def one(client: TestClient, number: str, fmt: str = "xml", extensions: bool = True) -> dict:
    path = f"{V2}/requests/{number}.{fmt}" + ("?extensions=true" if extensions else "")
    found = check(client.get(path), "requests")
    assert len(found) == 1
    return found[0]


def ids(client: TestClient, query: str, fmt: str = "json") -> list[str]:
    found = check(client.get(f"{V2}/requests.{fmt}?{query}"), "requests")
    return [r["service_request_id"] for r in found]


def test_fixmystreet_post_then_xml_read_shows_asset_districts_and_duplicate(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection
) -> None:
    first = post(o311, fms_form(town_keys.reporter, **{"attribute[asset_id]": "SL-1",
                                                      "attribute[pole_number]": "P-17"}), "xml")
    case = one(o311, first)
    assert case["status"] == "open" and case["service_code"] == "streetlight_out"
    extended = case["extended_attributes"]
    assert extended == {"ward": "1", "police_district": "D14", "duplicate": False,
                        "parent_service_request_id": None, "asset_id": "SL-1",
                        "channel": "open311"}
    assert [n["type"] for n in case["notes"]] == ["created"]

    lon, lat = city.offset(LON, LAT, 6, -4)
    response = o311.post(f"{V2}/requests.xml", data=fms_form(
        town_keys.reporter, lat=lat, long=lon, **{"attribute[asset_id]": "SL-1"}))
    created = check(response, "created", 201)[0]
    assert first in created["service_notice"]
    second = one(o311, created["service_request_id"])
    assert second["status"] == "closed" and first in second["status_notes"]
    assert second["extended_attributes"]["duplicate"] is True
    assert second["extended_attributes"]["parent_service_request_id"] == first
    assert second["extended_attributes"]["asset_id"] == "SL-1"

    stored = db.execute(
        "SELECT k.name, k.email, k.phone, c.attributes, c.client, c.channel "
        "FROM registry.case_contact k JOIN registry.service_case c ON c.id = k.case_id "
        "WHERE c.number = %s", (first,),
    ).fetchone()
    assert stored == ("Adaprivate Lovelaceprivate", town.REPORTER["email"],
                      town.REPORTER["phone"], {"light_state": "out", "pole_number": "P-17"},
                      f"key:{town_keys.reporter_id}", "open311")


def test_post_answers_in_the_format_asked_and_bare_means_json(
    o311: TestClient, town_keys: town.Keys
) -> None:
    bare = o311.post(f"{V2}/requests", data=fms_form(town_keys.reporter))
    assert bare.status_code == 201 and bare.headers["content-type"].startswith("application/json")
    assert isinstance(bare.json()[0]["service_request_id"], str)
    as_xml = o311.post(f"{V2}/requests.xml", data=fms_form(
        town_keys.reporter, service_code="graffiti"))
    number = ET.fromstring(as_xml.content).findtext("request/service_request_id")
    assert number and number != bare.json()[0]["service_request_id"]


def test_api_key_may_come_as_bearer_or_in_the_query_and_json_bodies_work(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection
) -> None:
    body = {"service_code": "pothole", "lat": LAT, "long": LON,
            "attribute": {"hazards": ["bikes", "walkers"]}, "email": "x@example.org"}
    by_query = o311.post(f"{V2}/requests.json?api_key={town_keys.reporter}", json=body)
    by_bearer = o311.post(f"{V2}/requests.json", json={**body, "long": LON + 0.002},
                          headers={"Authorization": f"Bearer {town_keys.reporter}"})
    for response in (by_query, by_bearer):
        number = check(response, "created", 201)[0]["service_request_id"]
        row = db.execute("SELECT attributes FROM registry.service_case WHERE number = %s",
                         (number,)).fetchone()
        assert row == ({"hazards": ["bikes", "walkers"]},)


def test_attribute_lists_and_asset_id_as_the_fixmystreet_pattern(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection
) -> None:
    number = post(o311, fms_form(town_keys.reporter, service_code="pothole", **{
        "attribute[hazards][]": ["bikes", "cars"], "attribute[light_state]": "",
        "attribute[asset_id]": "SEG-TEST-1"}))
    row = db.execute(
        "SELECT c.attributes, a.asset_id FROM registry.service_case c "
        "JOIN registry.asset a ON a.id = c.asset_pk WHERE c.number = %s", (number,),
    ).fetchone()
    assert row == ({"hazards": ["bikes", "cars"]}, "SEG-TEST-1")


def test_multipart_media_is_stored_served_and_linked(
    o311: TestClient, town_keys: town.Keys, media_dir: Path
) -> None:
    form = fms_form(town_keys.reporter)
    response = o311.post(f"{V2}/requests.json", data=form,
                         files={"media": ("photo.jpg", PNG, "image/jpeg")})
    number = check(response, "created", 201)[0]["service_request_id"]
    url = one(o311, number, "json")["media_url"]
    assert url.startswith("http://testserver/media/") and url.endswith(".png")
    photo = o311.get(url.removeprefix("http://testserver"))
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    assert len(list(media_dir.rglob("*.png"))) == 1
    assert o311.get("/media/00/" + "0" * 64 + ".png").status_code == 404
    assert o311.get("/media/../etc/passwd").status_code == 404

    not_image = o311.post(f"{V2}/requests.xml", data=form,
                          files={"media": ("x.jpg", b"hello", "image/jpeg")})
    assert "image" in check(not_image, "errors", 400)[0]["description"]
    too_big = o311.post(f"{V2}/requests.xml", data=form,
                        files={"media": ("x.png", PNG + b"\0" * 70_000, "image/png")})
    assert "larger than" in check(too_big, "errors", 413)[0]["description"]


def test_address_string_is_resolved_on_street_segments(
    o311: TestClient, town_keys: town.Keys
) -> None:
    form = fms_form(town_keys.reporter, service_code="graffiti")
    del form["lat"], form["long"]
    number = post(o311, {**form, "address_string": "51 Test Street"})
    case = one(o311, number, "json")
    assert case["address"] == "51 Test Street"
    assert case["lat"] == pytest.approx(42.37)
    assert case["long"] == pytest.approx(-71.115 + 0.01 * 50 / 98)
    main = one(o311, post(o311, {**form, "address_string": "150 Main St., Cambridge, MA"}))
    assert main["extended_attributes"]["ward"] == "2"
    assert main["long"] == pytest.approx(-71.09)

    for address, needle in (("999 Test St", "no street segment"),
                            ("Corner of Test and Main", "house number")):
        response = o311.post(f"{V2}/requests.xml", data={**form, "address_string": address})
        assert needle in check(response, "errors", 400)[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_403_without_a_key_that_may_file(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection, fmt: str
) -> None:
    form = fms_form(town_keys.reporter)
    del form["api_key"]
    for key, needle in ((None, "required"), ("g311_" + "x" * 43, "not valid"),
                        ("nonsense", "not valid"), (town_keys.revoked, "not valid"),
                        (town_keys.crew, "crew key may not")):
        data = form if key is None else {**form, "api_key": key}
        response = o311.post(f"{V2}/requests.{fmt}", data=data)
        assert needle in check(response, "errors", 403)[0]["description"]
    assert db.execute("SELECT count(*) FROM registry.service_case").fetchone() == (0,)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"attribute[light_state]": None}, "attribute light_state is required"),
        ({"attribute[light_state]": "  "}, "attribute light_state is required"),
        ({"attribute[light_state]": "purple"}, "light_state"),
        ({"lat": None, "long": None}, "a location is required"),
        ({"long": None}, "lat and long go together"),
        ({"lat": "north"}, "lat must be a number"),
        ({"lat": 40.0, "long": -74.0}, "outside the jurisdiction"),
        ({"service_code": "nope"}, "unknown service_code"),
        ({"service_code": None}, "service_code is required"),
        ({"attribute[asset_id]": "SL-404"}, "asset SL-404 does not exist"),
        ({"media_url": "ftp://example.org/x.jpg"}, "media_url"),
        ({"description": "x" * 4001}, "description"),
    ],
)
def test_400_names_the_problem(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection, fmt: str,
    change: dict[str, object], needle: str,
) -> None:
    form = fms_form(town_keys.reporter)
    for name, value in change.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    response = o311.post(f"{V2}/requests.{fmt}", data=form)
    assert needle in check(response, "errors", 400)[0]["description"]
    assert db.execute("SELECT count(*) FROM registry.service_case").fetchone() == (0,)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_404_for_unknown_service_request_token_and_jurisdiction(
    o311: TestClient, town_keys: town.Keys, fmt: str
) -> None:
    number = post(o311, fms_form(town_keys.reporter))
    for path, needle in (
        (f"/services/nope.{fmt}", "unknown service_code"),
        (f"/requests/26-99999999.{fmt}", "no service request"),
        (f"/tokens/nope.{fmt}", "unknown token"),
        (f"/requests.{fmt}?jurisdiction_id=chicago.il.us", "unknown jurisdiction_id"),
        (f"/services.{fmt}?jurisdiction_id=elsewhere", "unknown jurisdiction_id"),
        (f"/requests/{number}.{fmt}?jurisdiction_id=elsewhere", "unknown jurisdiction_id"),
    ):
        assert needle in check(o311.get(V2 + path), "errors", 404)[0]["description"]
    response = o311.post(f"{V2}/requests.{fmt}", data=fms_form(
        town_keys.reporter, jurisdiction_id="elsewhere"))
    assert "unknown jurisdiction_id" in check(response, "errors", 404)[0]["description"]


def test_jurisdiction_id_empty_or_ours_is_fine(o311: TestClient) -> None:
    for query in ("", "?jurisdiction_id=", f"?jurisdiction_id={town.JURISDICTION}"):
        check(o311.get(f"{V2}/services.xml{query}"), "services")


def test_token_is_the_request_id(o311: TestClient, town_keys: town.Keys) -> None:
    number = post(o311, fms_form(town_keys.reporter))
    for fmt in ("json", "xml"):
        assert check(o311.get(f"{V2}/tokens/{number}.{fmt}"), "created") == [
            {"service_request_id": number, "token": number}]


def test_idempotency_key_replays_the_same_request(o311: TestClient, town_keys: town.Keys) -> None:
    headers = {"Idempotency-Key": "fms-report-77"}
    first = post(o311, fms_form(town_keys.reporter), headers=headers)
    again = post(o311, fms_form(town_keys.reporter), headers=headers)
    assert first == again


def _file(db: psycopg.Connection, service: str = "graffiti", east_m: float = 0.0,
          days_ago: float = 0.0, **kw) -> str:
    lon, lat = city.offset(LON, LAT, east_m, 0)
    report = intake.CaseReport(
        service_code=service, lon=lon, lat=lat, channel="open311",
        requested_at=datetime.now(UTC) - timedelta(days=days_ago), **kw)
    return intake.file_case(db, report, client="test", actor="test").number


def test_status_maps_in_progress_to_open_and_filters(
    o311: TestClient, db: psycopg.Connection
) -> None:
    opened = _file(db)
    working = _file(db, east_m=100)
    closed = _file(db, east_m=200)
    cases.update_case(db, working, actor="crew", status="in_progress", note="crew on the way")
    cases.update_case(db, closed, actor="crew", status="closed", closure_reason="resolved")
    statuses = {r["service_request_id"]: (r["status"], r["status_notes"])
                for r in check(o311.get(f"{V2}/requests.json"), "requests")}
    assert statuses == {opened: ("open", None), working: ("open", "crew on the way"),
                        closed: ("closed", "Closed: resolved")}
    assert set(ids(o311, "status=open")) == {opened, working}
    assert ids(o311, "status=closed", "xml") == [closed]
    assert set(ids(o311, "status=open,closed")) == {opened, working, closed}
    assert "status" in check(o311.get(f"{V2}/requests.xml?status=done"), "errors", 400)[0][
        "description"]


def test_filters_by_id_code_dates_place_and_pages(o311: TestClient, db: psycopg.Connection) -> None:
    now = datetime.now(UTC)
    graffiti = [_file(db, east_m=60 * i, days_ago=i) for i in range(5)]
    pothole = _file(db, "pothole", east_m=500)
    old = _file(db, east_m=800, days_ago=100)
    newest_first = [pothole, *graffiti]
    assert ids(o311, "") == newest_first  # the default window leaves out the 100-day-old one
    assert old in ids(o311, f"start_date={(now - timedelta(days=120)).isoformat()}")
    assert ids(o311, f"service_request_id={old},{graffiti[0]}&status=closed") == [
        graffiti[0], old]
    assert ids(o311, "service_code=pothole") == [pothole]
    assert set(ids(o311, "service_code=pothole,graffiti")) == set(newest_first)
    window = (f"start_date={(now - timedelta(days=3, hours=12)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
              f"&end_date={(now - timedelta(days=1, hours=12)).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    assert ids(o311, window) == [graffiti[2], graffiti[3]]
    east_lon = city.offset(LON, LAT, 400, 0)[0]
    assert ids(o311, f"bbox={east_lon},42.36,-71.08,42.38") == [pothole]
    assert ids(o311, f"lat={LAT}&long={LON}&radius=70") == [graffiti[0], graffiti[1]]
    assert ids(o311, "page_size=2") == newest_first[:2]
    assert ids(o311, "page=2&page_size=2", "xml") == newest_first[2:4]
    assert ids(o311, "page=4&page_size=2") == []
    assert ids(o311, "page=2") == []  # pages of 50
    for bad, needle in (("page_size=501", "page_size"), ("page=0", "page"),
                        ("bbox=1,2,3", "bbox"), ("lat=42.37", "lat and long"),
                        ("radius=10", "radius"), ("extensions=maybe", "extensions"),
                        ("updated_after=yesterday", "updated_after")):
        description = check(o311.get(f"{V2}/requests.json?{bad}"), "errors", 400)[0][
            "description"]
        assert needle in description


def test_updated_window_and_lenient_datetimes(o311: TestClient, db: psycopg.Connection) -> None:
    number = _file(db)
    row = db.execute("SELECT updated_at FROM registry.service_case WHERE number = %s",
                     (number,)).fetchone()
    assert row is not None
    at: datetime = row[0]
    before, after = at - timedelta(seconds=5), at + timedelta(seconds=5)
    chicago = timedelta(hours=-6)
    for text in (
        f"updated_after={before.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"updated_after={before.isoformat()}&updated_before={after.isoformat()}".replace(
            "+", "%2B"),
        # A '+' sent unencoded arrives as a space; a space may stand for the T.
        f"updated_after={before.astimezone(UTC).replace(tzinfo=None)} 00:00",
        "updated_before=" + after.astimezone(
            __import__("datetime").timezone(chicago)).isoformat().replace("T", " "),
    ):
        assert ids(o311, text) == [number], text
    assert ids(o311, f"updated_after={after.strftime('%Y-%m-%dT%H:%M:%SZ')}") == []


def test_extensions_show_public_notes_only(o311: TestClient, db: psycopg.Connection) -> None:
    number = _file(db)
    cases.update_case(db, number, actor="crew", note="we will fix it", internal_note="SECRET")
    case = one(o311, number, "json")
    assert [(n["type"], n["description"]) for n in case["notes"]] == [
        ("created", "Request received"), ("note", "we will fix it")]
    plain = one(o311, number, "json", extensions=False)
    assert "extended_attributes" not in plain and "notes" not in plain
    assert "SECRET" not in o311.get(f"{V2}/requests.xml?extensions=true").text


def test_no_get_ever_shows_the_reporter(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection
) -> None:
    numbers = [post(o311, fms_form(town_keys.reporter, **{"attribute[asset_id]": "SL-1"})),
               post(o311, fms_form(town_keys.reporter, service_code="noise",
                                   **{"attribute[light_state]": ""}))]
    cases.update_case(db, numbers[1], actor="crew", note="checked")
    paths = ["/discovery", "/services", "/requests", "/requests?extensions=true"]
    paths += [f"/services/{code}" for code in ("streetlight_out", "pothole", "graffiti", "noise")]
    for number in numbers:
        paths += [f"/requests/{number}", f"/requests/{number}?extensions=true",
                  f"/tokens/{number}", f"/requests?service_request_id={number}&extensions=true"]
    secrets = [*town.REPORTER.values(), "Adaprivate Lovelaceprivate", town_keys.reporter,
               f"key:{town_keys.reporter_id}"]
    for path in paths:
        for fmt in (".json", ".xml", ""):
            resource, _, query = path.partition("?")
            response = o311.get(f"{V2}{resource}{fmt}" + (f"?{query}" if query else ""))
            assert response.status_code == 200, (path, response.text)
            for secret in secrets:
                assert secret not in response.text, (path, fmt, secret)


def test_json_bodies_keep_list_answers_and_bad_json_is_400(
    o311: TestClient, town_keys: town.Keys, db: psycopg.Connection
) -> None:
    body = {"api_key": town_keys.reporter, "service_code": "pothole", "lat": LAT, "long": LON,
            "attribute[hazards]": ["walkers"]}
    number = check(o311.post(f"{V2}/requests.json", json=body), "created", 201)[0][
        "service_request_id"]
    row = db.execute("SELECT attributes FROM registry.service_case WHERE number = %s",
                     (number,)).fetchone()
    assert row == ({"hazards": ["walkers"]},)
    for content, kind, needle in ((b"{not json", "application/json", "not valid JSON"),
                                  (b"[1, 2]", "application/json", "must be an object"),
                                  (b"service_code=x", "text/plain", "content type")):
        response = o311.post(f"{V2}/requests.xml", content=content,
                             headers={"content-type": kind})
        assert needle in check(response, "errors", 400)[0]["description"]


def test_a_report_with_a_photo_may_pass_the_general_body_cap(
    settings: Settings, db: psycopg.Connection, town_keys: town.Keys, media_dir: Path
) -> None:
    app = create_app(settings.model_copy(update={
        "max_body_bytes": 2000, "media_dir": media_dir, "media_max_bytes": 20_000,
        "tile_cache_mb": 0}))
    bind(app, db)
    photo = PNG + b"\0" * 8000
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(f"{V2}/requests.json", data=fms_form(town_keys.reporter),
                               files={"media": ("p.png", photo, "image/png")})
        check(response, "created", 201)
        elsewhere = client.post("/api/v1/cases", content=b" " * 8000,
                                headers={"content-type": "application/json"})
        assert elsewhere.status_code == 413
        too_big = client.post(f"{V2}/requests.json", data=fms_form(town_keys.reporter),
                              files={"media": ("p.png", photo * 4, "image/png")})
        assert too_big.status_code == 413
