"""GetCapabilities, DescribeRecord and the parameter half of GetDomain: documents that
depend on the configuration only, never on the records.

The capabilities announce exactly what the readers accept: the queryables come from
queryables.py, the filter operators from fes.py, the parameter values from requests.py.
"""

from __future__ import annotations

from lxml import etree

from moisson.config_outputs import CswSettings
from publish.csw import fes
from publish.csw.errors import CswError
from publish.csw.namespaces import CSW_SCHEMA, ISO_SCHEMA, NS, OUTPUT_SCHEMAS, VERSION, q
from publish.csw.queryables import APISO_QUERYABLES, CORE_QUERYABLES
from publish.csw.requests import ELEMENT_SETS, OPERATIONS, RESULT_TYPES, TYPE_NAMES

__all__ = ["PARAMETER_DOMAINS", "SECTIONS", "capabilities", "describe_record"]

SECTIONS = ("ServiceIdentification", "ServiceProvider", "OperationsMetadata", "Filter_Capabilities")
_XLINK_HREF = f"{{{NS['xlink']}}}href"

# GetDomain ParameterName -> the values the server accepts.
PARAMETER_DOMAINS: dict[str, tuple[str, ...]] = {
    "GetCapabilities.sections": SECTIONS,
    "DescribeRecord.typeName": TYPE_NAMES,
    "DescribeRecord.outputFormat": ("application/xml",),
    "DescribeRecord.schemaLanguage": ("http://www.w3.org/XML/Schema",),
    "GetRecords.typeNames": TYPE_NAMES,
    "GetRecords.outputFormat": ("application/xml",),
    "GetRecords.outputSchema": OUTPUT_SCHEMAS,
    "GetRecords.resultType": RESULT_TYPES,
    "GetRecords.ElementSetName": ELEMENT_SETS,
    "GetRecords.CONSTRAINTLANGUAGE": ("FILTER", "CQL_TEXT"),
    "GetRecordById.outputSchema": OUTPUT_SCHEMAS,
    "GetRecordById.ElementSetName": ELEMENT_SETS,
    "GetRecordById.outputFormat": ("application/xml",),
}


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, q(name))
    if text is not None:
        element.text = text
    return element


def _values(parent: etree._Element, kind: str, name: str, values: tuple[str, ...]) -> None:
    element = _sub(parent, kind)
    element.set("name", name)
    for value in values:
        _sub(element, "ows:Value", value)


def _identification(root: etree._Element, config: CswSettings) -> None:
    ident = _sub(root, "ows:ServiceIdentification")
    _sub(ident, "ows:Title", config.title)
    _sub(ident, "ows:Abstract", config.abstract)
    if config.keywords:
        keywords = _sub(ident, "ows:Keywords")
        for keyword in config.keywords:
            _sub(keywords, "ows:Keyword", keyword)
    _sub(ident, "ows:ServiceType", "CSW")
    _sub(ident, "ows:ServiceTypeVersion", VERSION)
    _sub(ident, "ows:Fees", config.fees)
    _sub(ident, "ows:AccessConstraints", config.access_constraints)


def _provider(root: etree._Element, config: CswSettings) -> None:
    provider = _sub(root, "ows:ServiceProvider")
    _sub(provider, "ows:ProviderName", config.provider_name)
    if config.provider_url:
        _sub(provider, "ows:ProviderSite").set(_XLINK_HREF, config.provider_url)
    contact = _sub(provider, "ows:ServiceContact")
    if config.contact_name:
        _sub(contact, "ows:IndividualName", config.contact_name)
    if config.contact_position:
        _sub(contact, "ows:PositionName", config.contact_position)
    info = _sub(contact, "ows:ContactInfo")
    if config.contact_phone:
        _sub(_sub(info, "ows:Phone"), "ows:Voice", config.contact_phone)
    address = _sub(info, "ows:Address")
    if config.contact_city:
        _sub(address, "ows:City", config.contact_city)
    if config.contact_country:
        _sub(address, "ows:Country", config.contact_country)
    if config.contact_email:
        _sub(address, "ows:ElectronicMailAddress", config.contact_email)
    _sub(contact, "ows:Role", "pointOfContact")


def _operations(root: etree._Element, url: str) -> None:
    meta = _sub(root, "ows:OperationsMetadata")
    for name in OPERATIONS:
        operation = _sub(meta, "ows:Operation")
        operation.set("name", name)
        http = _sub(_sub(operation, "ows:DCP"), "ows:HTTP")
        _sub(http, "ows:Get").set(_XLINK_HREF, url)
        _sub(http, "ows:Post").set(_XLINK_HREF, url)
        for parameter, values in PARAMETER_DOMAINS.items():
            if parameter.startswith(name + "."):
                _values(operation, "ows:Parameter", parameter.partition(".")[2], values)
        if name == "GetRecords":
            _values(
                operation,
                "ows:Constraint",
                "SupportedDublinCoreQueryables",
                tuple(x.name for x in CORE_QUERYABLES),
            )
            _values(
                operation,
                "ows:Constraint",
                "SupportedISOQueryables",
                tuple(x.name for x in APISO_QUERYABLES),
            )
        if name == "GetDomain":
            _values(operation, "ows:Parameter", "ParameterName", tuple(PARAMETER_DOMAINS))
    _values(meta, "ows:Parameter", "service", ("CSW",))
    _values(meta, "ows:Parameter", "version", (VERSION,))
    _values(meta, "ows:Constraint", "PostEncoding", ("XML",))


def _filter_capabilities(root: etree._Element) -> None:
    caps = _sub(root, "ogc:Filter_Capabilities")
    spatial = _sub(caps, "ogc:Spatial_Capabilities")
    operands = _sub(spatial, "ogc:GeometryOperands")
    for operand in fes.GEOMETRY_OPERANDS:
        _sub(operands, "ogc:GeometryOperand", operand)
    operators = _sub(spatial, "ogc:SpatialOperators")
    for operator in fes.SPATIAL_OPERATORS:
        _sub(operators, "ogc:SpatialOperator").set("name", operator)
    scalar = _sub(caps, "ogc:Scalar_Capabilities")
    _sub(scalar, "ogc:LogicalOperators")
    comparisons = _sub(scalar, "ogc:ComparisonOperators")
    for comparison in fes.COMPARISONS:
        _sub(comparisons, "ogc:ComparisonOperator", comparison)
    ids = _sub(caps, "ogc:Id_Capabilities")
    _sub(ids, "ogc:EID")
    _sub(ids, "ogc:FID")


def capabilities(
    config: CswSettings, url: str, sections: list[str] | None, versions: list[str] | None
) -> etree._Element:
    """csw:Capabilities with the requested sections (Filter_Capabilities always: the schema
    requires it)."""
    if versions is not None and VERSION not in versions:
        raise CswError(
            "VersionNegotiationFailed", f"this server speaks CSW {VERSION} only", "acceptVersions"
        )
    wanted = set(SECTIONS)
    if sections is not None and "All" not in sections:
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            raise CswError(
                "InvalidParameterValue",
                f"unknown section {unknown[0][:60]!r}; sections are {', '.join(SECTIONS)}, All",
                "sections",
            )
        wanted = set(sections)
    root = etree.Element(
        q("csw:Capabilities"),
        nsmap={k: NS[k] for k in ("csw", "ows", "ogc", "gml", "xlink", "xsi", "dc", "dct", "gmd")},
    )
    root.set("version", VERSION)
    root.set(
        q("xsi:schemaLocation"),
        f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
    )
    if "ServiceIdentification" in wanted:
        _identification(root, config)
    if "ServiceProvider" in wanted:
        _provider(root, config)
    if "OperationsMetadata" in wanted:
        _operations(root, url)
    _filter_capabilities(root)
    return root


_SCHEMAS = {
    "csw:Record": (CSW_SCHEMA, "http://schemas.opengis.net/csw/2.0.2/record.xsd"),
    "gmd:MD_Metadata": (ISO_SCHEMA, "http://schemas.opengis.net/iso/19139/20060504/gmd/gmd.xsd"),
}


def describe_record(type_names: list[str]) -> etree._Element:
    """csw:DescribeRecordResponse: per type, a schema component that includes the
    official schema of the type (by URL: the server ships no copy of the ISO schemas)."""
    root = etree.Element(
        q("csw:DescribeRecordResponse"), nsmap={"csw": NS["csw"], "xs": NS["xs"], "xsi": NS["xsi"]}
    )
    root.set(
        q("xsi:schemaLocation"),
        f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
    )
    for name in type_names:
        namespace, location = _SCHEMAS[name]
        component = _sub(root, "csw:SchemaComponent")
        component.set("schemaLanguage", "XMLSCHEMA")
        component.set("targetNamespace", namespace)
        schema = _sub(component, "xs:schema")
        schema.set("targetNamespace", namespace)
        schema.set("elementFormDefault", "qualified")
        include = _sub(schema, "xs:include")
        include.set("schemaLocation", location)
    return root
