"""Search results as a ``searchset`` Bundle with ``total`` and self/next/previous links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from planner.fhir.search import Query

Json = dict[str, Any]


def page_url(base: str, resource_type: str, query: Query, offset: int) -> str:
    """The URL of one page of a search."""
    items = [*query.echo(), ("_count", str(query.count)), ("_offset", str(offset))]
    return f"{base}/{resource_type}?{urlencode(items)}"


def searchset(base: str, resource_type: str, query: Query, total: int,
              resources: list[Json]) -> Json:
    """A Bundle of one page of ``resources`` (already cut to the page) out of ``total`` matches."""
    links = [{"relation": "self", "url": page_url(base, resource_type, query, query.offset)}]
    if query.count and query.offset + query.count < total:
        links.append({"relation": "next",
                      "url": page_url(base, resource_type, query, query.offset + query.count)})
    if query.count and query.offset > 0:
        links.append({"relation": "previous", "url": page_url(
            base, resource_type, query, max(0, query.offset - query.count))})
    bundle: Json = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    if resources:
        bundle["entry"] = [
            {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
             "search": {"mode": "match"}}
            for resource in resources
        ]
    return bundle
