"""GeoReport v2 documents in XML and JSON.

Views return plain lists and dicts; the XML renderer wraps them in the element names the spec uses
(`<services><service>…`, `<service_requests><request>…`, `<errors><error>…`). The root and item
names come from the view (`xml_root`, `xml_item`); error responses are always `<errors><error>`.
"""

from __future__ import annotations

import re
from io import StringIO
from typing import Any
from xml.sax.saxutils import XMLGenerator

from rest_framework.renderers import BaseRenderer, JSONRenderer

# A list under one of these keys holds elements named by the value.
XML_LIST_ITEMS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


# Characters XML 1.0 cannot carry at all, even escaped; dropped rather than making a broken document.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _write(xml: XMLGenerator, name: str, value: Any) -> None:
    xml.startElement(name, {})
    if isinstance(value, dict):
        for key, child in value.items():
            _write(xml, key, child)
    elif isinstance(value, list | tuple):
        item = XML_LIST_ITEMS.get(name, "item")
        for child in value:
            _write(xml, item, child)
    else:
        xml.characters(_text(value))
    xml.endElement(name)


def to_xml(data: Any, *, root: str, item: str) -> str:
    """`data` (a list of `item` elements, or one dict) as a UTF-8 XML document under `root`."""
    out = StringIO()
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    if isinstance(data, list | tuple):
        xml.startElement(root, {})
        for row in data:
            _write(xml, item, row)
        xml.endElement(root)
    else:
        _write(xml, root, data)
    xml.endDocument()
    return out.getvalue()


class GeoReportXMLRenderer(BaseRenderer):
    media_type = "text/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        view = renderer_context.get("view")
        if response is not None and response.status_code >= 400:
            root, item = "errors", "error"
        else:
            root, item = getattr(view, "xml_root", "response"), getattr(view, "xml_item", "item")
        return to_xml(data, root=root, item=item).encode("utf-8")


class GeoReportJSONRenderer(JSONRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"
