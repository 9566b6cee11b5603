"""CSW requests, from KVP (GET) or XML (POST), into typed objects.

KVP here, XML in requests_xml.py. Both encodings give the same objects, so GetRecords with
a filter means the same thing whichever way it arrived. KVP parameter names are read
case-insensitively, as servers do. XML bodies (and KVP FILTER constraints) go through the
project's hardened parser (no DTD, no entities, no network, libxml2 depth and size limits),
so XXE and entity bombs end as exceptions, not expansions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from harvester.formats.xmlsafe import parse_xml
from moisson.errors import MoissonError
from moisson.query import Node, Sort
from publish.csw import cql, fes
from publish.csw.dublin_core import element_name  # the writer owns the element list
from publish.csw.errors import CswError
from publish.csw.namespaces import CSW_SCHEMA, OUTPUT_SCHEMAS, VERSION
from publish.csw.queryables import lookup

__all__ = [
    "DescribeRecord",
    "GetCapabilities",
    "GetDomain",
    "GetRecordById",
    "GetRecords",
    "Request",
    "from_kvp",
    "parse_body",
]

OPERATIONS = (
    "GetCapabilities",
    "DescribeRecord",
    "GetDomain",
    "GetRecords",
    "GetRecordById",
)
READ_ONLY_REFUSED = ("Harvest", "Transaction")
RESULT_TYPES = ("hits", "results", "validate")
ELEMENT_SETS = ("brief", "summary", "full")
TYPE_NAMES = ("csw:Record", "gmd:MD_Metadata")
MAX_START = 10_000_000
MAX_IDS = 100


@dataclass
class GetCapabilities:
    sections: list[str] | None = None  # None: all
    accept_versions: list[str] | None = None


@dataclass
class DescribeRecord:
    type_names: list[str] = field(default_factory=lambda: list(TYPE_NAMES))


@dataclass
class GetDomain:
    parameter_names: list[str] = field(default_factory=list)
    property_names: list[str] = field(default_factory=list)


@dataclass
class GetRecords:
    result_type: str = "hits"
    start_position: int = 1
    max_records: int = 10
    output_schema: str = CSW_SCHEMA
    element_set: str | None = "summary"
    element_names: list[str] = field(default_factory=list)
    type_names: list[str] = field(default_factory=lambda: ["csw:Record"])
    constraint: Node | None = None
    sort_by: list[Sort] = field(default_factory=list)
    request_id: str | None = None


@dataclass
class GetRecordById:
    ids: list[str] = field(default_factory=list)
    output_schema: str = CSW_SCHEMA
    element_set: str = "summary"


Request = GetCapabilities | DescribeRecord | GetDomain | GetRecords | GetRecordById


def _invalid(name: str, message: str) -> CswError:
    return CswError("InvalidParameterValue", message, name)


def _check_operation(name: str) -> None:
    if name in READ_ONLY_REFUSED:
        raise CswError(
            "OperationNotSupported",
            f"{name} operations are not supported: this catalogue is read-only",
            "request",
        )
    if name not in OPERATIONS:
        raise _invalid(
            "request", f"invalid value for request: {name[:100]!r}; one of {', '.join(OPERATIONS)}"
        )


def _check_service_version(service: str | None, version: str | None, operation: str) -> None:
    if service is None:
        raise CswError("MissingParameterValue", "missing parameter service=CSW", "service")
    if service != "CSW":
        raise _invalid("service", f"invalid value for service: {service[:40]!r}; must be CSW")
    if operation == "GetCapabilities":
        return
    if version is None:
        raise CswError("MissingParameterValue", "missing parameter version=2.0.2", "version")
    if version != VERSION:
        raise _invalid("version", f"invalid value for version: {version[:40]!r}; must be 2.0.2")


def _int(name: str, value: str, low: int, high: int | None = None) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise _invalid(name, f"{name} must be an integer, got {value[:40]!r}") from None
    if number < low:
        raise _invalid(name, f"{name} must be at least {low}, got {number}")
    if high is not None and number > high:
        raise _invalid(name, f"{name} must be at most {high}, got {number}")
    return number


def _start(value: str) -> int:
    """startPosition, 1-based; 0 is read as 1, because OWSLib's getrecords2 (and so QGIS
    MetaSearch) sends 0 for the first page. Negative positions are refused."""
    return max(1, _int("startPosition", value, 0, MAX_START))


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _invalid(name, f"invalid {name} {value[:60]!r}; one of {', '.join(allowed)}")
    return value


_FORMATS = ("application/xml", "text/xml")


def _check_format(value: str | None) -> None:
    """Only XML is written (JSON output is a pycsw extension): refuse others, never ignore."""
    if value and value.split(";")[0].strip().lower() not in _FORMATS:
        raise _invalid(
            "outputFormat",
            f"unsupported outputFormat {value[:60]!r}; this server writes application/xml",
        )


def _output_schema(value: str | None) -> str:
    if value is None or value in ("", "csw:Record"):
        return CSW_SCHEMA
    if value in OUTPUT_SCHEMAS:
        return value
    raise _invalid(
        "outputSchema",
        f"unsupported outputSchema {value[:100]!r}; one of {', '.join(OUTPUT_SCHEMAS)}",
    )


def _type_names(values: list[str], locator: str = "typeNames") -> list[str]:
    names = []
    for value in values:
        local = value.strip().split(":")[-1]
        found = next((t for t in TYPE_NAMES if t.endswith(":" + local)), None)
        if found is None:
            raise _invalid(
                locator, f"unknown type name {value[:100]!r}; one of {', '.join(TYPE_NAMES)}"
            )
        names.append(found)
    return names


def _sort_key(name: str, descending: bool) -> Sort:
    try:
        queryable = lookup(name, "sortby")
    except CswError:
        raise _invalid("sortby", f"invalid SortBy property name {name[:100]!r}") from None
    if queryable.sort is None:
        raise _invalid("sortby", f"{queryable.name} cannot be sorted on")
    return Sort(field=queryable.sort, direction="desc" if descending else "asc")  # type: ignore[arg-type]


def _element_names(values: list[str]) -> list[str]:
    return [element_name(value) for value in values if value.strip()]


def _check_element_choice(req: GetRecords) -> None:
    if req.element_names and req.element_set is not None:
        raise _invalid("ElementSetName", "ElementSetName and ElementName exclude each other")


# -- KVP ------------------------------------------------------------------------------------


def from_kvp(args: Mapping[str, str]) -> Request:
    """A request from GET parameters (names compared case-insensitively)."""
    params = {key.lower(): value for key, value in args.items()}
    operation = params.get("request")
    if not operation:
        raise CswError("MissingParameterValue", "missing parameter request", "request")
    _check_operation(operation)
    _check_service_version(params.get("service"), params.get("version"), operation)
    _check_format(params.get("outputformat"))
    if operation == "GetCapabilities":
        sections = params.get("sections")
        versions = params.get("acceptversions")
        return GetCapabilities(
            sections=[s.strip() for s in sections.split(",")] if sections else None,
            accept_versions=[v.strip() for v in versions.split(",")] if versions else None,
        )
    if operation == "DescribeRecord":
        names = params.get("typename") or params.get("typenames")
        return DescribeRecord(
            _type_names(names.split(","), "typename") if names else list(TYPE_NAMES)
        )
    if operation == "GetDomain":
        return _get_domain(params.get("parametername"), params.get("propertyname"))
    if operation == "GetRecordById":
        ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()]
        if not ids:
            raise CswError("MissingParameterValue", "missing parameter id", "id")
        if len(ids) > MAX_IDS:
            raise _invalid("id", f"at most {MAX_IDS} ids per request")
        return GetRecordById(
            ids=ids,
            output_schema=_output_schema(params.get("outputschema")),
            element_set=_choice(
                "ElementSetName", params.get("elementsetname") or "summary", ELEMENT_SETS
            ),
        )
    return _get_records_kvp(params)


def _get_domain(parameters: str | None, properties: str | None) -> GetDomain:
    if not parameters and not properties:
        raise CswError(
            "MissingParameterValue",
            "GetDomain needs ParameterName or PropertyName",
            "parametername",
        )
    return GetDomain(
        parameter_names=[p.strip() for p in (parameters or "").split(",") if p.strip()],
        property_names=[p.strip() for p in (properties or "").split(",") if p.strip()],
    )


def _get_records_kvp(params: dict[str, str]) -> GetRecords:
    req = GetRecords()
    req.type_names = _type_names((params.get("typenames") or "csw:Record").split(","))
    req.result_type = _choice("resultType", params.get("resulttype") or "hits", RESULT_TYPES)
    if params.get("startposition"):
        req.start_position = _start(params["startposition"])
    if params.get("maxrecords"):
        req.max_records = _int("maxRecords", params["maxrecords"], 0)
    req.output_schema = _output_schema(params.get("outputschema"))
    names = params.get("elementname")
    req.element_names = _element_names(names.split(",")) if names else []
    set_name = params.get("elementsetname")
    req.element_set = (
        _choice("ElementSetName", set_name, ELEMENT_SETS)
        if set_name
        else (None if req.element_names else "summary")
    )
    _check_element_choice(req)
    constraint = params.get("constraint")
    language = (params.get("constraintlanguage") or "").upper()
    if constraint:
        if language == "CQL_TEXT":
            req.constraint = cql.cql_node(constraint)
        elif language == "FILTER":
            req.constraint = fes.filter_node(parse_body(constraint.encode("utf-8"), "constraint"))
        else:
            raise _invalid("constraintLanguage", "CONSTRAINTLANGUAGE must be FILTER or CQL_TEXT")
    sort = params.get("sortby")
    if sort:
        req.sort_by = [_kvp_sort(part) for part in sort.split(",") if part.strip()]
    req.request_id = params.get("requestid")
    return req


def _kvp_sort(part: str) -> Sort:
    name, sep, order = part.strip().rpartition(":")
    if not sep or order not in ("A", "D"):
        if sep and ":" in name:
            raise _invalid("sortby", 'invalid SortBy value: sort order must be "A" or "D"')
        name, order = part.strip(), "A"
    return _sort_key(name, order == "D")


def parse_body(body: bytes, locator: str) -> etree._Element:
    try:
        return parse_xml(body)
    except MoissonError as exc:
        raise CswError(
            "NoApplicableCode", f"the XML document cannot be read: {exc.message}", locator
        ) from None
