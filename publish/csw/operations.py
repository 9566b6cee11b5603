"""GetRecords, GetRecordById and GetDomain against the catalogue: neutral Query in,
CSW response document out. No Flask here: `Catalogue` holds what the operations need
(settings, store, backend, theme scheme) and the caller's roles are passed in, so the
operations are testable and benchmarkable without an HTTP server.

Rules that hold for every operation:

- access: the backend filters by the caller's roles inside its own query (hits, counts and
  paging alike), exactly as /api/search; GetRecordById goes through the same search, so a
  restricted record is as unknown as a missing one;
- duplicates: with `[csw] collapse` (default) a cluster is one record, its canonical, and
  the canonical's dct:references / ISO distribution (when generated) also list the links
  of the other copies the caller may see;
- paging: numberOfRecordsMatched is the total, Returned the
  records in this response, nextRecord the position after the last one returned, 0 when
  nothing follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from pydantic import ValidationError

from harvester.formats.xmlsafe import parse_xml
from indexer.search_service import SearchService
from indexer.store import Store
from moisson.config_outputs import CswSettings
from moisson.errors import BadQuery, MoissonError
from moisson.query import And, FieldFilter, Node, Or, Phrase, Query
from moisson.record import Hit, Link, Record, record_id
from publish.csw.capabilities import PARAMETER_DOMAINS
from publish.csw.conditions import refused
from publish.csw.dublin_core import dc_record
from publish.csw.errors import CswError
from publish.csw.namespaces import CSW_SCHEMA, NS, VERSION, q
from publish.csw.queryables import lookup
from publish.csw.requests import GetDomain, GetRecordById, GetRecords
from publish.iso_raw import iso_document
from publish.scheme import ThemeScheme

__all__ = ["Catalogue"]

logger = logging.getLogger(__name__)

_NSMAP = {
    k: NS[k] for k in ("csw", "dc", "dct", "ows", "xsi", "gmd", "gco", "gmx", "srv", "gml", "xlink")
}


@dataclass
class Catalogue:
    config: CswSettings
    store: Store
    service: SearchService  # the same search as /api/search: access, collapse, labels
    scheme: ThemeScheme

    # -- searching ------------------------------------------------------------------------

    def _search(self, query: Query, locator: str) -> tuple[int, list[tuple[Hit, Record]]]:
        """(total, hits with their stored records), retired ones skipped, hit order kept."""
        try:
            results = self.service.search(query)
        except BadQuery as exc:
            raise CswError("InvalidParameterValue", exc.message, locator) from None
        ids = [hit.id for hit in results.hits]
        records = {r.id: r for r in self.store.active(ids)} if ids else {}
        return results.total, [(h, records[h.id]) for h in results.hits if h.id in records]

    def _with_copies(self, hit: Hit, record: Record) -> Record:
        """The canonical with the links of its cluster's other visible copies appended."""
        others = [record_id(s.id, s.original_id) for s in hit.sources]
        others = [i for i in others if i != record.id]
        if not others or not self.config.collapse:
            return record
        links = list(record.links)
        seen = {link.url for link in links}
        for copy in self.store.active(others):
            for link in copy.links:
                if link.url not in seen:
                    seen.add(link.url)
                    links.append(Link.model_validate(link.model_dump()))
        return record.model_copy(update={"links": links})

    def _element(
        self, record: Record, schema: str, element_set: str | None, names: list[str]
    ) -> etree._Element:
        if schema == CSW_SCHEMA:
            return dc_record(record, self.scheme, element_set, names)
        raw = None
        if record.raw is not None:
            try:
                raw = self.store.raw_payload(record.raw.sha256)
            except MoissonError:
                raw = None
        return parse_xml(iso_document(record, self.scheme, raw))

    # -- operations -----------------------------------------------------------------------

    def get_records(self, req: GetRecords, roles: list[str] | None) -> etree._Element:
        if req.output_schema != CSW_SCHEMA and req.element_names:
            raise CswError(
                "InvalidParameterValue",
                "ElementName selects Dublin Core "
                "elements: use ElementSetName with the ISO output schema",
                "ElementName",
            )
        if req.result_type == "validate":
            return _acknowledgement(req)
        size = 0 if req.result_type == "hits" else min(req.max_records, self.config.max_records)
        words, where = _plain_anytext(req.constraint)
        try:
            query = Query(
                q=words,
                where=where,
                start=req.start_position - 1,
                size=size,
                sort_by=req.sort_by,
                roles=roles,
                collapse=self.config.collapse,
                facets=[],  # CSW shows no facets: do not count them
            )
        except BadQuery as exc:
            raise CswError("InvalidParameterValue", exc.message, "constraint") from None
        matched, found = self._search(query, "constraint")
        returned = len(found)
        # The position of the next record to ask for; 0 when none remains (hits included:
        # nothing was returned, so the next record is the first one asked for).
        after = req.start_position + returned
        next_record = after if after <= matched else 0
        root = etree.Element(q("csw:GetRecordsResponse"), nsmap=_NSMAP)
        root.set("version", VERSION)
        root.set(
            q("xsi:schemaLocation"),
            f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
        )
        if req.request_id:
            etree.SubElement(root, q("csw:RequestId")).text = req.request_id
        status = etree.SubElement(root, q("csw:SearchStatus"))
        status.set("timestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        results = etree.SubElement(root, q("csw:SearchResults"))
        results.set("numberOfRecordsMatched", str(matched))
        results.set("numberOfRecordsReturned", str(returned))
        results.set("nextRecord", str(next_record))
        results.set("recordSchema", req.output_schema)
        if req.element_set:
            results.set("elementSet", req.element_set)
        for hit, record in found:
            record = self._with_copies(hit, record)
            results.append(
                self._element(record, req.output_schema, req.element_set, req.element_names)
            )
        return root

    def get_record_by_id(self, req: GetRecordById, roles: list[str] | None) -> etree._Element:
        """The records whose source id (dc:identifier) or Moisson id is one of `req.ids`, in
        the order asked; unknown or hidden ids are left out."""
        ids = tuple(req.ids)
        try:
            where = Or(
                children=(
                    FieldFilter(field="original_id", values=ids),
                    FieldFilter(field="id", values=ids),
                )
            )
        except ValidationError as exc:
            raise refused(exc, "id") from None
        query = Query(
            where=where, size=min(100, 2 * len(ids)), roles=roles, collapse=False, facets=[]
        )
        _, found = self._search(query, "id")
        root = etree.Element(q("csw:GetRecordByIdResponse"), nsmap=_NSMAP)
        root.set(
            q("xsi:schemaLocation"),
            f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
        )
        done: set[str] = set()
        for wanted in req.ids:
            for hit, record in found:
                if wanted in (record.id, record.provenance.original_id) and record.id not in done:
                    done.add(record.id)
                    root.append(
                        self._element(
                            self._with_copies(hit, record), req.output_schema, req.element_set, []
                        )
                    )
                    break
        return root

    def get_domain(self, req: GetDomain, roles: list[str] | None) -> etree._Element:
        root = etree.Element(q("csw:GetDomainResponse"), nsmap=_NSMAP)
        root.set(
            q("xsi:schemaLocation"),
            f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
        )
        for name in req.parameter_names:
            values = PARAMETER_DOMAINS.get(name)
            if values is None:
                raise CswError(
                    "InvalidParameterValue",
                    f"unknown ParameterName {name[:100]!r}; one of {', '.join(PARAMETER_DOMAINS)}",
                    "ParameterName",
                )
            domain = _domain(root, "ParameterName", name)
            listing = etree.SubElement(domain, q("csw:ListOfValues"))
            for value in values:
                etree.SubElement(listing, q("csw:Value")).text = value
        for name in req.property_names:
            queryable = lookup(name, "PropertyName")
            domain = _domain(root, "PropertyName", name)
            if queryable.domain is None:
                continue  # free text, dates, boxes: no list of values
            query = Query(
                size=0,
                facets=[queryable.domain],
                facet_size=200,
                roles=roles,
                collapse=self.config.collapse,
            )
            results = self.service.search(query)
            buckets = results.facets.get(queryable.domain, [])
            if buckets:
                listing = etree.SubElement(domain, q("csw:ListOfValues"))
                for bucket in buckets:
                    value = etree.SubElement(listing, q("csw:Value"), count=str(bucket.count))
                    value.text = bucket.value
        return root


def _plain_anytext(node: Node | None) -> tuple[str, Node | None]:
    """(q, the rest) when the constraint's AnyText part is one plain phrase (no wildcard),
    alone or ANDed with other conditions: it is then searched as the JSON API searches `q`,
    every word plus thesaurus expansion ('zones humides' also finds records filed under
    'wetlands'), as QGIS MetaSearch users type it. Anything else stays a tree."""
    if isinstance(node, Phrase) and not node.fields:
        return node.text, None
    if isinstance(node, And):
        plain = [c for c in node.children if isinstance(c, Phrase) and not c.fields]
        if len(plain) == 1:
            rest = tuple(c for c in node.children if c is not plain[0])
            if not rest:
                return plain[0].text, None
            return plain[0].text, rest[0] if len(rest) == 1 else And(children=rest)
    return "", node


def _domain(root: etree._Element, kind: str, name: str) -> etree._Element:
    domain = etree.SubElement(root, q("csw:DomainValues"), type="csw:Record")
    etree.SubElement(domain, q(f"csw:{kind}")).text = name
    return domain


def _acknowledgement(req: GetRecords) -> etree._Element:
    """resultType=validate: the request was read and is valid; the echo
    restates its query part."""
    root = etree.Element(q("csw:Acknowledgement"), nsmap=_NSMAP)
    root.set("timeStamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    root.set(
        q("xsi:schemaLocation"),
        f"{NS['csw']} http://schemas.opengis.net/csw/2.0.2/CSW-discovery.xsd",
    )
    echoed = etree.SubElement(root, q("csw:EchoedRequest"))
    echo = etree.SubElement(
        echoed,
        q("csw:GetRecords"),
        service="CSW",
        version=VERSION,
        resultType="validate",
        outputSchema=req.output_schema,
    )
    query = etree.SubElement(echo, q("csw:Query"), typeNames=" ".join(req.type_names))
    if req.element_set:
        etree.SubElement(query, q("csw:ElementSetName")).text = req.element_set
    for name in req.element_names:
        etree.SubElement(query, q("csw:ElementName")).text = name
    if req.request_id:
        etree.SubElement(root, q("csw:RequestId")).text = req.request_id
    return root
