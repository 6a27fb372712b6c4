"""The GeoReport v2 documents, built from database rows: discovery, service, service
definition, request, and the answers to POST requests and tokens.

Every key the spec lists is always present (``None`` when unknown), because clients such as
boston311 validate the full shape. Ids are strings, ``lat``/``long`` numbers, datetimes W3C with
an offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gis311.open311.queries import Row

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
LIST_TYPES = ("singlevaluelist", "multivaluelist")
# The attribute every service that links assets declares: the FixMyStreet pattern of naming
# the asset (a streetlight pole's number, a hydrant's id) in `attribute[asset_id]`.
ASSET_ID_ATTRIBUTE = "asset_id"
NOTE_TEXT = {
    "created": "Request received",
    "status_changed": "Status changed",
    "note": "Note",
    "marked_duplicate": "Marked a duplicate of an earlier request",
    "duplicate_added": "A repeat report was added",
    "duplicate_removed": "A repeat report was split off",
    "split": "Split off from the request it repeated",
}


def w3c(moment: datetime | str | None) -> str | None:
    """A W3C datetime with an offset, to the second: ``2026-11-24T09:30:00+00:00``."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def discovery(base_url: str, changeset: datetime | None, contact: str) -> dict[str, Any]:
    """The service discovery document of this endpoint."""
    changed = w3c(changeset) or w3c(datetime(1970, 1, 1, tzinfo=UTC))
    return {
        "changeset": changed,
        "contact": contact,
        "key_service": "API keys are issued by the operator of this service "
                       "(gis311 keys create --role reporter_app).",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": changed,
            "type": "production",
            "formats": FORMATS,
        }],
    }


def _asset_linked(row: Row) -> bool:
    return bool(row["asset_types"])


def service(row: Row) -> dict[str, Any]:
    """One entry of GET services."""
    return {
        "service_code": row["code"],
        "service_name": row["name"],
        "description": row["description"],
        "metadata": bool(row["attributes"]) or _asset_linked(row),
        "type": "realtime",
        "keywords": ",".join(row["keywords"]),
        "group": row["group"],
    }


def definition(row: Row) -> dict[str, Any]:
    """GET services/{service_code}: the attributes a report of this service carries."""
    stored = sorted(enumerate(row["attributes"]), key=lambda p: (int(p[1].get("order", 0)), p[0]))
    attributes = [_attribute(a) for _, a in stored]
    if _asset_linked(row) and ASSET_ID_ATTRIBUTE not in {a["code"] for a in attributes}:
        attributes.append({
            "variable": True,
            "code": ASSET_ID_ATTRIBUTE,
            "datatype": "string",
            "required": False,
            "datatype_description": "The public id of the asset (e.g. the number on a "
                                    "streetlight pole) the report is about",
            "order": 0,
            "description": "Asset id",
            "values": [],
        })
    for position, attribute in enumerate(attributes, start=1):
        attribute["order"] = position  # the stored order, numbered without ties
    return {"service_code": row["code"], "attributes": attributes}


def _attribute(stored: dict[str, Any]) -> dict[str, Any]:
    datatype = stored.get("datatype", "string")
    return {
        "variable": bool(stored.get("variable", True)),
        "code": stored["code"],
        "datatype": datatype,
        "required": bool(stored.get("required", False)),
        "datatype_description": stored.get("datatype_description") or "",
        "order": int(stored.get("order", 0)),
        "description": stored.get("description") or stored["code"],
        "values": [
            {"key": str(v["key"]), "name": str(v.get("name", v["key"]))}
            for v in stored.get("values", [])
        ] if datatype in LIST_TYPES else [],
    }


def status_notes(row: Row) -> str | None:
    """Why the request is in its status: a repeat report names its parent."""
    if row["parent_number"]:
        return f"Duplicate of {row['parent_number']}"
    if row["last_note"]:
        return str(row["last_note"])
    if row["status"] == "closed" and row["closure_reason"]:
        return f"Closed: {str(row['closure_reason']).replace('_', ' ')}"
    return None


def request(row: Row, extensions: bool) -> dict[str, Any]:
    """One service request (GET requests, GET requests/{id})."""
    media = row["media_urls"] or []
    doc: dict[str, Any] = {
        "service_request_id": row["number"],
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": status_notes(row),
        "service_name": row["service_name"],
        "service_code": row["service_code"],
        "description": row["description"],
        "agency_responsible": row["agency"],
        "service_notice": None,
        "requested_datetime": w3c(row["requested_at"]),
        "updated_datetime": w3c(row["updated_at"]),
        "expected_datetime": w3c(row["expected_at"]),
        "address": row["address"] or "",
        "address_id": None,
        "zipcode": None,
        "lat": float(row["lat"]),
        "long": float(row["lon"]),
        "media_url": media[0] if media else None,
    }
    if extensions:
        doc["extended_attributes"] = {
            **{str(k): str(v) for k, v in (row["districts"] or {}).items()},
            "duplicate": row["parent_number"] is not None,
            "parent_service_request_id": row["parent_number"],
            "asset_id": row["asset_id"],
            "channel": row["channel"],
        }
        doc["notes"] = [
            {
                "datetime": w3c(event["at"]),
                "description": event["note"] or NOTE_TEXT.get(event["kind"], event["kind"]),
                "type": event["kind"],
            }
            for event in row["notes"] or []
        ]
    return doc


def created(number: str, notice: str | None) -> dict[str, Any]:
    """The answer to POST requests: the new request's id (intake is immediate: no token)."""
    return {"service_request_id": number, "service_notice": notice, "account_id": None}
