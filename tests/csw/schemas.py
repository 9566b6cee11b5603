"""Validate CSW responses against the official XML schemas, offline.

The CSW 2.0.2, OWS 1.0.0 and Filter 1.1 XSDs ship in the `pycsw` package
(`pycsw/core/schemas/ogc/`), and the ISO 19139 (2006-05-04) XSDs in its ISO AP plugin
(`pycsw/plugins/profiles/apiso/schemas/ogc/iso/19139/`); the tests already install pycsw in
its own venv, so the schemas are read from there, by file path: every import in them is
relative, nothing is fetched.

ISO 19139 (GML 3.2) and Filter 1.1 (GML 3.1.1) use one namespace URI for two different GML
versions, so one schema set cannot hold both: an ISO record inside a CSW response is
validated on its own against gmd.xsd, and the response envelope with the records taken
out (an empty SearchResults is valid). Dublin Core records stay in and are validated with
the envelope. gmi:MI_Metadata (ISO 19115-2) has no schema in the package: listed, not
validated.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from testkit.pycsw_server import PycswError, ensure_pycsw_venv

GMD = "http://www.isotc211.org/2005/gmd"
GMI = "http://www.isotc211.org/2005/gmi"


@cache
def pycsw_package() -> Path:
    venv = ensure_pycsw_venv()
    found = sorted(venv.glob("lib/python*/site-packages/pycsw"))
    if not found:
        raise PycswError(f"no pycsw package in {venv}")
    return found[0]


@cache
def _csw_schema() -> etree.XMLSchema:
    base = pycsw_package() / "core" / "schemas" / "ogc"
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.opengis.net/cat/csw/2.0.2"
                 schemaLocation="{(base / "csw/2.0.2/CSW-discovery.xsd").as_uri()}"/>
      <xs:import namespace="http://www.opengis.net/ows"
                 schemaLocation="{(base / "ows/1.0.0/owsAll.xsd").as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


@cache
def _iso_schema() -> etree.XMLSchema:
    base = pycsw_package() / "plugins/profiles/apiso/schemas/ogc/iso/19139/20060504"
    imports = "".join(
        f'<xs:import namespace="http://www.isotc211.org/2005/{name}" '
        f'schemaLocation="{(base / name / (name + ".xsd")).as_uri()}"/>'
        for name in ("gmd", "gmx", "srv")  # gmx: Anchor in place of CharacterString
    )
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


_FILE_ID = etree.XPath("string(gmd:fileIdentifier/*)", namespaces={"gmd": GMD})


@dataclass
class Verdict:
    errors: list[str] = field(default_factory=list)  # the envelope's (CSW, OWS, DC)
    iso_errors: dict[str, list[str]] = field(default_factory=dict)  # fileIdentifier -> errors
    iso_checked: int = 0
    unchecked: list[str] = field(default_factory=list)  # gmi records

    def __bool__(self) -> bool:
        return not self.errors and not self.iso_errors


def iso_errors(record: etree._Element) -> list[str]:
    """Schema errors of one gmd:MD_Metadata element (ISO 19139, 2006-05-04 schemas)."""
    schema = _iso_schema()
    if schema.validate(etree.ElementTree(copy.deepcopy(record))):
        return []
    return [f"{e.message} (line {e.line})" for e in schema.error_log]


def validate(body: bytes) -> Verdict:
    """Schema errors of one CSW response (envelope + each ISO record)."""
    verdict = Verdict()
    root = etree.fromstring(body)
    root = copy.deepcopy(root)
    for record in list(root.iter(f"{{{GMD}}}MD_Metadata", f"{{{GMI}}}MI_Metadata")):
        parent = record.getparent()
        if parent is None:  # a bare ISO document
            break
        if record.tag.startswith(f"{{{GMI}}}"):
            verdict.unchecked.append(record.tag)
        else:
            verdict.iso_checked += 1
            errors = iso_errors(record)
            if errors:
                verdict.iso_errors[str(_FILE_ID(record))] = errors
        parent.remove(record)
    schema = _csw_schema()
    if not schema.validate(etree.ElementTree(root)):
        verdict.errors += [f"CSW: {e.message} (line {e.line})" for e in schema.error_log]
    return verdict
