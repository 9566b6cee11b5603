"""The metadata that sits beside a data file: ISO 19139 / 19115-3 XML (`name.xml`,
ArcGIS `name.shp.xml`) and QGIS layer metadata (`name.qmd`).

Sidecars are parsed with the project's safe XML reader (harvester/formats/xmlsafe.py) and the
existing ISO mapping (harvester/formats/iso19139.py); a QGIS .qmd becomes the few fields it
holds. A sidecar that is not metadata (GDAL's `.aux.xml`, any other XML) or does not parse is
ignored, with the reason returned so the record's source can say why.
"""

from __future__ import annotations

from lxml import etree

from harvester.formats.iso19139 import parse_iso
from harvester.formats.xmlsafe import parse_xml
from moisson.errors import MoissonError
from moisson.record import Keyword, Record

__all__ = ["parse_sidecar", "sidecar_names"]

ISO_ROOTS = ("MD_Metadata", "MI_Metadata")


def sidecar_names(path: str) -> list[str]:
    """Where a data file's sidecars may be, most specific first: `a.shp.xml`, `a.xml`,
    `a.qmd` for `a.shp`."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    return [f"{path}.xml", f"{stem}.xml", f"{stem}.qmd"]


def parse_sidecar(data: bytes, source_id: str, name: str) -> tuple[Record | None, str | None]:
    """(the sidecar's Record, None) or (None, why it was ignored)."""
    try:
        root = parse_xml(data)
    except MoissonError as exc:
        return None, f"{name}: {exc.message}"
    local = etree.QName(root).localname if isinstance(root.tag, str) else ""
    if name.endswith(".qmd") or local == "qgis":
        return _qmd(root, source_id, name)
    element = root if local.endswith(ISO_ROOTS) else _first_iso(root)
    if element is None:
        return None, f"{name}: not ISO metadata (root {local})"
    try:
        return parse_iso(element, source_id), None
    except MoissonError as exc:
        return None, f"{name}: {exc.message}"


def _first_iso(root: etree._Element) -> etree._Element | None:
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname.endswith(ISO_ROOTS):
            return element
    return None


def _qmd(root: etree._Element, source_id: str, name: str) -> tuple[Record | None, str | None]:
    """QGIS layer metadata: <qgis><identifier/><title/><abstract/><keywords><keyword/>..."""
    title = (root.findtext("title") or "").strip()
    if not title:
        return None, f"{name}: QGIS metadata without a title"
    keywords = [
        Keyword(label=k.text.strip(), thesaurus=group.get("vocabulary") or None)
        for group in root.iter("keywords")
        for k in group.iter("keyword")
        if k.text and k.text.strip()
    ]
    record = Record.new(
        source_id,
        (root.findtext("identifier") or name).strip() or name,
        title=title,
        abstract=(root.findtext("abstract") or "").strip() or None,
        keywords=keywords,
        language=(root.findtext("language") or "").strip() or None,
    )
    return record, None
