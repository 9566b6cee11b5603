"""CSW requests in the XML (POST) encoding into the typed objects of requests.py.

The body goes through the project's hardened parser (requests.parse_body); elements the
schema does not allow where they stand are refused rather than ignored.
"""

from __future__ import annotations

from lxml import etree

from moisson.query import Node
from publish.csw import cql, fes
from publish.csw.errors import CswError
from publish.csw.namespaces import NS, q
from publish.csw.requests import (
    ELEMENT_SETS,
    MAX_IDS,
    RESULT_TYPES,
    TYPE_NAMES,
    DescribeRecord,
    GetCapabilities,
    GetRecordById,
    GetRecords,
    Request,
    _check_element_choice,
    _check_format,
    _check_operation,
    _check_service_version,
    _choice,
    _element_names,
    _get_domain,
    _int,
    _invalid,
    _output_schema,
    _sort_key,
    _start,
    _type_names,
    parse_body,
)

__all__ = ["from_xml"]


def _text(element: etree._Element | None) -> str | None:
    return None if element is None else "".join(element.itertext()).strip()


def from_xml(body: bytes) -> Request:
    """A request from an XML POST body (SOAP envelopes are refused)."""
    root = parse_body(body, "request")
    namespace = etree.QName(root).namespace
    operation = etree.QName(root).localname
    if namespace == NS["soap"]:
        raise _invalid("request", "SOAP is not supported; POST the CSW request itself")
    if namespace != NS["csw"]:
        raise _invalid("request", f"unknown request element {root.tag[:100]}")
    _check_operation(operation)
    _check_service_version(root.get("service"), root.get("version"), operation)
    _check_format(root.get("outputFormat"))
    if operation == "GetCapabilities":
        versions = root.findall(f"{q('ows:AcceptVersions')}/{q('ows:Version')}")
        sections = root.findall(f"{q('ows:Sections')}/{q('ows:Section')}")
        return GetCapabilities(
            sections=[_text(s) or "" for s in sections] or None,
            accept_versions=[_text(v) or "" for v in versions] or None,
        )
    if operation == "DescribeRecord":
        names = [_text(e) or "" for e in root.findall(q("csw:TypeName"))]
        return DescribeRecord(_type_names(names, "TypeName") if names else list(TYPE_NAMES))
    if operation == "GetDomain":
        return _get_domain(
            _text(root.find(q("csw:ParameterName"))), _text(root.find(q("csw:PropertyName")))
        )
    if operation == "GetRecordById":
        ids = [_text(e) or "" for e in root.findall(q("csw:Id"))]
        ids = [i for i in ids if i]
        if not ids:
            raise CswError("MissingParameterValue", "missing csw:Id", "id")
        if len(ids) > MAX_IDS:
            raise _invalid("id", f"at most {MAX_IDS} ids per request")
        return GetRecordById(
            ids=ids,
            output_schema=_output_schema(root.get("outputSchema")),
            element_set=_choice(
                "ElementSetName",
                _text(root.find(q("csw:ElementSetName"))) or "summary",
                ELEMENT_SETS,
            ),
        )
    return _get_records_xml(root)


_GET_RECORDS_CHILDREN = {q("csw:ResponseHandler"), q("csw:DistributedSearch"), q("csw:Query")}
_QUERY_CHILDREN = {
    q("csw:ElementSetName"),
    q("csw:ElementName"),
    q("csw:Constraint"),
    q("ogc:SortBy"),
}


def _check_children(element: etree._Element, allowed: set[str]) -> None:
    """Refuse elements the schema does not allow here (a misspelt csw:ElementName must not
    be ignored: the answer would not be the one asked for)."""
    for child in element:
        if isinstance(child.tag, str) and child.tag not in allowed:
            raise CswError(
                "NoApplicableCode",
                f"the document is not valid: unexpected element {child.tag[:100]} in "
                f"{etree.QName(element).localname}",
                etree.QName(element).localname,
            )


def _get_records_xml(root: etree._Element) -> GetRecords:
    _check_children(root, _GET_RECORDS_CHILDREN)
    req = GetRecords()
    req.result_type = _choice("resultType", root.get("resultType", "hits"), RESULT_TYPES)
    req.start_position = _start(root.get("startPosition", "1"))
    req.max_records = _int("maxRecords", root.get("maxRecords", "10"), 0)
    req.output_schema = _output_schema(root.get("outputSchema"))
    req.request_id = root.get("requestId")
    if root.find(q("csw:DistributedSearch")) is not None:
        raise _invalid("DistributedSearch", "distributed search is not supported")
    query = root.find(q("csw:Query"))
    if query is None:
        raise CswError("MissingParameterValue", "GetRecords needs a csw:Query", "Query")
    _check_children(query, _QUERY_CHILDREN)
    req.type_names = _type_names((query.get("typeNames") or "csw:Record").split())
    req.element_names = _element_names(
        [_text(e) or "" for e in query.findall(q("csw:ElementName"))]
    )
    set_name = _text(query.find(q("csw:ElementSetName")))
    req.element_set = (
        _choice("ElementSetName", set_name, ELEMENT_SETS)
        if set_name
        else (None if req.element_names else "summary")
    )
    _check_element_choice(req)
    constraint = query.find(q("csw:Constraint"))
    if constraint is not None:
        req.constraint = _constraint(constraint)
    sort = query.find(q("ogc:SortBy"))
    if sort is not None:
        req.sort_by = [
            _sort_key(
                _text(p.find(q("ogc:PropertyName"))) or "",
                (_text(p.find(q("ogc:SortOrder"))) or "ASC").upper() == "DESC",
            )
            for p in sort.findall(q("ogc:SortProperty"))
        ]
    return req


def _constraint(element: etree._Element) -> Node | None:
    found = element.find(q("ogc:Filter"))
    if found is not None:
        return fes.filter_node(found)
    text = _text(element.find(q("csw:CqlText")))
    if text is not None:
        return cql.cql_node(text)
    raise CswError(
        "MissingParameterValue", "csw:Constraint needs ogc:Filter or csw:CqlText", "constraint"
    )
