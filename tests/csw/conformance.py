"""Replay pycsw's CSW conformance suites against Moisson and compare what matters.

For each request of `../shared/fixtures/csw-conformance/{default,apiso}` (POST bodies and
KVP lines) the answer Moisson gives is reduced to a `Summary` (the response kind, the
record ids in order, the counts and nextRecord, the element set and record schema, the
exception code) and compared with the same summary of pycsw's recorded answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tests.csw.catalogue import CONFORMANCE

NS = {
    "csw": "http://www.opengis.net/cat/csw/2.0.2",
    "dc": "http://purl.org/dc/elements/1.1/",
    "ows": "http://www.opengis.net/ows",
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gmi": "http://www.isotc211.org/2005/gmi",
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class Case:
    suite: str  # default | apiso
    name: str  # post_<file stem> | get_<name>
    method: str
    body: bytes = b""
    query: str = ""

    @property
    def sorted(self) -> bool:
        """Whether the request fixes the order (without SortBy the order is the server's)."""
        text = self.body.decode("latin-1") + self.query
        return "sortby" in text.lower()

    @property
    def expected(self) -> Path:
        return CONFORMANCE / self.suite / "expected" / f"{self.name}.xml"


@dataclass
class Summary:
    kind: str
    ids: list[str] = field(default_factory=list)
    matched: str | None = None
    returned: str | None = None
    next_record: str | None = None
    element_set: str | None = None
    schema: str | None = None
    code: str | None = None

    def brief(self) -> str:
        if self.code:
            return f"exception {self.code}"
        if self.matched is not None:
            return f"{self.matched}/{self.returned} next {self.next_record} ids {len(self.ids)}"
        if self.ids:
            return f"{self.kind} ids {len(self.ids)}"
        return self.kind


def cases() -> list[Case]:
    found: list[Case] = []
    for suite in ("default", "apiso"):
        for body in sorted((CONFORMANCE / suite / "post").glob("*.xml")):
            found.append(Case(suite, f"post_{body.stem}", "POST", body=body.read_bytes()))
        requests = CONFORMANCE / suite / "get" / "requests.txt"
        if requests.is_file():
            for line in requests.read_text().splitlines():
                if line.strip() and "," in line:
                    name, _, query = line.partition(",")
                    found.append(Case(suite, f"get_{name}", "GET", query=query))
    return found


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def summarise(body: bytes) -> Summary:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return Summary("not-xml")
    kind = _local(root)
    summary = Summary(kind)
    if kind == "ExceptionReport":
        exception = root.find("ows:Exception", NS)
        summary.code = exception.get("exceptionCode") if exception is not None else "?"
        return summary
    results = root.find("csw:SearchResults", NS)
    container = results if results is not None else root
    if results is not None:
        summary.matched = results.get("numberOfRecordsMatched")
        summary.returned = results.get("numberOfRecordsReturned")
        summary.next_record = results.get("nextRecord")
        summary.element_set = results.get("elementSet")
        summary.schema = results.get("recordSchema")
    if kind in ("GetRecordsResponse", "GetRecordByIdResponse"):
        for record in container:
            if not isinstance(record.tag, str):
                continue
            ident = record.findtext("dc:identifier", None, NS)
            if ident is None:
                ident = record.findtext("gmd:fileIdentifier/*", None, NS)
            summary.ids.append(ident or f"<{_local(record)}>")
    return summary


def differences(case: Case, ours: Summary, theirs: Summary, quarantined: set[str]) -> list[str]:
    """What differs between two summaries (empty: equal in everything compared).

    `quarantined` are the records Moisson refused at harvest (e.g. CITE records without a
    dc:title): pycsw's answer is compared without them, and its counts may exceed ours by
    at most that many. Without SortBy the order is unspecified (the
    standard leaves it to the server), so ids are compared as sets, and only when every matched
    record was returned."""
    found = []
    for name in ("kind", "code", "element_set", "schema"):
        a, b = getattr(ours, name), getattr(theirs, name)
        if a != b:
            found.append(f"{name}: ours {a!r} pycsw {b!r}")
    hidden = [i for i in theirs.ids if i in quarantined]
    expected_ids = [i for i in theirs.ids if i not in quarantined]
    if theirs.matched is not None and ours.matched is not None:
        missing = int(theirs.matched) - int(ours.matched)
        if not 0 <= missing <= len(quarantined):
            found.append(f"matched: ours {ours.matched} pycsw {theirs.matched}")
        complete = int(theirs.returned or 0) == int(theirs.matched)
        if missing == 0 and (ours.returned, ours.next_record) != (
            theirs.returned,
            theirs.next_record,
        ):
            found.append(
                f"returned/next: ours {ours.returned}/{ours.next_record} "
                f"pycsw {theirs.returned}/{theirs.next_record}"
            )
        if case.sorted:
            # With records missing, pycsw's page may reach further: compare the common head.
            head = min(len(ours.ids), len(expected_ids))
            same = (
                ours.ids == expected_ids
                if missing == 0
                else (ours.ids[:head] == expected_ids[:head])
            )
            if not same:
                found.append(f"sorted ids: ours {ours.ids} pycsw {expected_ids}")
        elif complete and sorted(ours.ids) != sorted(expected_ids):
            found.append(f"ids: ours {sorted(ours.ids)} pycsw {sorted(expected_ids)}")
    elif ours.ids != expected_ids and not hidden:
        found.append(f"ids: ours {ours.ids} pycsw {theirs.ids}")
    return found
