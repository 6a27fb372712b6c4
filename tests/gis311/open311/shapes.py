"""Check Open311 responses against the JSON Schemas in ``schemas/`` (written from the GeoReport
v2 spec), in either format.

XML is turned into the JSON structure first, led by the same schema: an element of an array
schema holds one child per item, an object's children are its properties, and text becomes the
number, integer or boolean the schema asks for (an empty element is null where null is allowed,
else the empty string). A response that passes is the same document in both formats.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).with_name("schemas")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# shape -> (root element, schema file, whether the document is an array of that schema)
SHAPES = {
    "discovery": ("discovery", "discovery.json", False),
    "services": ("services", "service.json", True),
    "definition": ("service_definition", "service_definition.json", False),
    "requests": ("service_requests", "request.json", True),
    "created": ("service_requests", "post_response.json", True),
    "errors": ("errors", "error.json", True),
}


@cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return loaded


@cache
def _registry() -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text())))
                 for p in SCHEMAS.glob("*.json")]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    """A validator of schema ``name`` (the schema itself checked first)."""
    Draft202012Validator.check_schema(schema(name))
    return Draft202012Validator(schema(name), registry=_registry())


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        target: Any = root
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        return _resolve(target, root)
    if "anyOf" in node and "type" not in node:
        merged: dict[str, Any] = {"type": []}
        for option in node["anyOf"]:
            option = _resolve(option, root)
            kinds = option.get("type", "string")
            merged["type"] += kinds if isinstance(kinds, list) else [kinds]
        return merged
    return node


def _types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("type")
    if kinds is None:
        return ["string"]
    return kinds if isinstance(kinds, list) else [kinds]


def from_xml(element: ET.Element, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """The JSON value of ``element`` under the schema ``node``."""
    node = _resolve(node, root)
    kinds = _types(node)
    children = list(element)
    if "array" in kinds:
        return [from_xml(child, node.get("items", {}), root) for child in children]
    if "object" in kinds:
        properties = node.get("properties", {})
        extra = node.get("additionalProperties", {})
        extra = extra if isinstance(extra, dict) else {}
        return {c.tag: from_xml(c, properties.get(c.tag, extra), root) for c in children}
    assert not children, f"<{element.tag}> has child elements where the schema wants a value"
    text = element.text
    if text is None or text == "":
        return None if "null" in kinds else ""
    if "boolean" in kinds:
        assert text in ("true", "false"), f"<{element.tag}>{text}: not true or false"
        return text == "true"
    if "integer" in kinds:
        return int(text)
    if "number" in kinds:
        return float(text)
    return text


def check(response: Any, shape: str, status: int = 200) -> Any:
    """Assert status, content type and shape of an Open311 response (an httpx response of the
    TestClient or of a live server); its JSON structure."""
    root_tag, name, many = SHAPES[shape]
    assert response.status_code == status, response.text
    fmt = "xml" if response.request.url.path.endswith(".xml") else "json"
    if fmt == "xml":
        assert response.headers["content-type"] == XML_TYPE
        assert response.text.startswith(DECLARATION)
        element = ET.fromstring(response.content)
        assert element.tag == root_tag
        item = schema(name)
        if many:
            assert all(child.tag == _item_tag(root_tag) for child in element)
            document: Any = [from_xml(child, item, item) for child in element]
        else:
            document = from_xml(element, item, item)
    else:
        assert response.headers["content-type"] == JSON_TYPE
        document = response.json()
    check_document(document, name, many)
    return document


def check_document(document: Any, name: str, many: bool) -> None:
    """Validate a JSON structure against schema ``name`` (each item when ``many``)."""
    checker = validator(name)
    if many:
        assert isinstance(document, list), f"expected a bare array, got {type(document)}"
        for item in document:
            checker.validate(item)
    else:
        checker.validate(document)


def _item_tag(root: str) -> str:
    return {"services": "service", "service_requests": "request", "errors": "error"}[root]
