"""GeoReport XML: declaration, item names, scalars, characters XML cannot carry."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gis311.open311 import xml


def test_lists_repeat_their_item_element_and_scalars_read_back() -> None:
    doc = xml.document("services", [
        {"service_code": "a", "metadata": True, "lat": 42.5, "order": 3, "description": None},
        {"service_code": "b", "metadata": False, "lat": -71.25, "order": 0, "description": ""},
    ])
    assert doc.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<services><service>')
    root = ET.fromstring(doc)
    assert [s.findtext("service_code") for s in root] == ["a", "b"]
    assert [s.findtext("metadata") for s in root] == ["true", "false"]
    assert [s.findtext("lat") for s in root] == ["42.5", "-71.25"]
    assert [s.find("description").text for s in root] == [None, None]  # type: ignore[union-attr]


def test_nested_containers_take_the_spec_names() -> None:
    doc = xml.document("service_definition", {"attributes": [
        {"code": "size", "values": [{"key": "s", "name": "Small"}]}]})
    root = ET.fromstring(doc)
    assert root.find("attributes/attribute/values/value/key").text == "s"  # type: ignore[union-attr]
    notes = ET.fromstring(xml.document("service_requests", [{"notes": [{"type": "created"}]}]))
    assert notes.find("request/notes/note/type").text == "created"  # type: ignore[union-attr]


def test_text_is_escaped_and_control_characters_dropped() -> None:
    doc = xml.document("errors", [{"code": 400, "description": "a < b & \x00c\x1f \U0001f4a1"}])
    root = ET.fromstring(doc)
    assert root.findtext("error/description") == "a < b & c \U0001f4a1"
    odd = ET.fromstring(xml.document("x", {"9 lives": 1}))
    assert odd[0].tag == "_9_lives"
