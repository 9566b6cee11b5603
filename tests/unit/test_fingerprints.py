"""Fingerprints and the same-dataset test, on real ISO records from ../shared/fixtures bent
the way republishing bends them (indexer/fingerprints.py, indexer/clusters.py)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from bench.dedup_eval import build_eval_set, evaluate
from harvester.formats.iso19139 import ISO_NS, parse_iso
from harvester.formats.xmlsafe import parse_xml
from indexer.clusters import Pair, build_clusters, choose_canonical, find_pairs
from indexer.fingerprints import compare, fingerprint, normalise_url, strong_keys
from moisson.record import BBox, Identifier, Link, Record

TAGS = {"MD_Metadata", "MI_Metadata", "CHE_MD_Metadata"}
TITLE = "gmd:identificationInfo/*/gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString"
FILE_ID = "gmd:fileIdentifier/gco:CharacterString"


def iso_element(shared_fixtures: Path, name: str, index: int = 0) -> etree._Element:
    root = parse_xml((shared_fixtures / "csw" / name).read_bytes())
    return [el for el in root.iter() if etree.QName(el).localname in TAGS][index]


def one(element: etree._Element, path: str) -> etree._Element:
    found = element.xpath(path, namespaces=ISO_NS)
    assert len(found) == 1, path
    return found[0]


def republish(element: etree._Element, file_id: str, title: str) -> etree._Element:
    """What a national platform does to a regional record: its own file identifier, its
    own title casing, one more keyword."""
    copy = etree.fromstring(etree.tostring(element))
    one(copy, FILE_ID).text = file_id
    one(copy, TITLE).text = title
    keywords = one(copy, "gmd:identificationInfo/*/gmd:descriptiveKeywords[1]/*")
    extra = etree.SubElement(keywords, f"{{{ISO_NS['gmd']}}}keyword")
    etree.SubElement(extra, f"{{{ISO_NS['gco']}}}CharacterString").text = "données ouvertes"
    return copy


def retitle(element: etree._Element, file_id: str, title: str) -> etree._Element:
    """Another dataset of the same producer: same template and abstract, its own title, and
    neither identifier nor link in common."""
    copy = etree.fromstring(etree.tostring(element))
    one(copy, FILE_ID).text = file_id
    one(copy, TITLE).text = title
    for element in copy.xpath("//gmd:citation//gmd:identifier | //gmd:onLine", namespaces=ISO_NS):
        element.getparent().remove(element)
    return copy


def test_a_republished_record_is_clustered_with_the_original(shared_fixtures: Path) -> None:
    element = iso_element(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    original = parse_iso(element, "regional")
    copy = parse_iso(republish(element, "national-0001", original.title.upper()), "national")
    assert copy.provenance.original_id != original.provenance.original_id
    assert len(copy.keywords) == len(original.keywords) + 1

    pairs, _ = find_pairs([fingerprint(original), fingerprint(copy)])

    assert [(p.a, p.b, p.kind) for p in pairs] == [(*sorted((original.id, copy.id)), "key")]
    assert pairs[0].detail == "layer:OGC:WMS|geonetwork3.fao.org/ows/7386_hypso|hypsography"


def test_a_republished_record_without_ids_or_links_is_found_by_its_text(
    shared_fixtures: Path,
) -> None:
    element = iso_element(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    original = parse_iso(element, "regional")
    copy = parse_iso(republish(element, "national-0001", original.title.upper()), "national")
    copy.links = []  # a DCAT feed that kept neither identifiers nor service links
    assert original.identifiers == copy.identifiers == []

    pairs, _ = find_pairs([fingerprint(original), fingerprint(copy)])

    assert [(p.a, p.b, p.kind) for p in pairs] == [(*sorted((original.id, copy.id)), "similar")]
    assert pairs[0].detail == "text 1.00, title 1.00"


def test_a_republished_record_keeping_its_resource_identifier_joins_by_key(
    shared_fixtures: Path,
) -> None:
    element = iso_element(shared_fixtures, "udata/geoide_fr_single_dataset.xml")
    original = parse_iso(element, "geoide")
    copy = parse_iso(republish(element, "portail-42", original.title.lower()), "portail")

    verdict = compare(fingerprint(original), fingerprint(copy))

    assert verdict.same and verdict.kind == "key"
    assert verdict.detail == (
        "id:catalogue.geo-ide.developpement-durable.gouv.fr/"
        "fr-120066022-orphan-residentifier-c46794fd-005d-499a-9a9b-0627761d31a4"
    )


def test_two_editions_of_one_dataset_are_not_duplicates(shared_fixtures: Path) -> None:
    element = iso_element(shared_fixtures, "geonetwork/GetRecordById_7e926fbf.xml")
    title = parse_iso(element, "x").title
    y2019 = parse_iso(retitle(element, "ed-2019", f"{title} 2019"), "regional")
    y2021 = parse_iso(retitle(element, "ed-2021", f"{title} 2021"), "regional")

    verdict = compare(fingerprint(y2019), fingerprint(y2021))

    assert (verdict.same, verdict.kind, verdict.detail) == (
        False,
        "blocked",
        "titles differ by 2019, 2021",
    )
    assert find_pairs([fingerprint(y2019), fingerprint(y2021)])[0] == []


def test_two_departements_are_not_duplicates(shared_fixtures: Path) -> None:
    element = iso_element(shared_fixtures, "udata/geoide_fr_single_dataset.xml")
    base = "Plan de prévention du risque inondation"
    finistere = parse_iso(retitle(element, "ppri-29", f"{base} du Finistère"), "ddt")
    morbihan = parse_iso(retitle(element, "ppri-56", f"{base} du Morbihan"), "ddt")
    assert finistere.abstract == morbihan.abstract and finistere.bboxes == morbihan.bboxes

    verdict = compare(fingerprint(finistere), fingerprint(morbihan))

    assert not verdict.same
    assert verdict.detail == "titles differ by finistere, morbihan"


def test_real_plu_records_of_one_producer_stay_apart_whatever_the_casing(
    shared_fixtures: Path,
) -> None:
    """Two real PLU records of one DDT: same template abstract, same bbox, other commune."""
    a = parse_iso(iso_element(shared_fixtures, "udata/geonetwork_fr_iso19139_page1.xml", 1), "s")
    b = parse_iso(iso_element(shared_fixtures, "udata/geonetwork_fr_iso19139_page3.xml", 1), "s")
    assert a.bboxes == b.bboxes
    a.title, b.title = a.title.upper(), b.title.upper()  # no capital tells the place apart
    a.identifiers, b.identifiers = [], []

    verdict = compare(fingerprint(a), fingerprint(b))

    assert not verdict.same
    assert verdict.detail == "titles differ by flesselles / longueau"


def test_text_twins_with_different_identifiers_are_different_datasets(
    shared_fixtures: Path,
) -> None:
    """pycsw's sample tiles: identical title, abstract and bbox; only the ids differ."""
    tiles = [
        parse_iso(iso_element(shared_fixtures, "pycsw/GetRecords_iso_full_first5.xml", i), "gr")
        for i in (1, 2)
    ]
    assert tiles[0].title == tiles[1].title and tiles[0].bboxes == tiles[1].bboxes

    verdict = compare(fingerprint(tiles[0]), fingerprint(tiles[1]))

    assert not verdict.same
    assert verdict.detail == "different identifiers in id:"


def test_labelled_evaluation_set_has_no_false_pair(shared_fixtures: Path) -> None:
    result = evaluate(build_eval_set(5, shared_fixtures))
    assert result["labelled_pairs"] >= 40
    assert result["false_pairs"] == 0
    assert result["recall"] >= 0.95


def test_strong_keys_are_normalised() -> None:
    record = Record.new(
        "s",
        "1",
        title="t",
        identifiers=[
            Identifier(code="https://doi.org/10.5281/ZENODO.123."),
            Identifier(code="FR-ABC-42", codespace="HTTP://Example.org/ids/"),
            Identifier(code="42"),  # too short to name anything on its own
        ],
        links=[
            Link(
                url="HTTPS://Data.Example.org:443/ds/7/?utm_source=x#top", protocol="landing page"
            ),
            Link(
                url="https://geo.example.org/wms?SERVICE=WMS&request=GetCapabilities&map=a",
                protocol="OGC:WMS",
                name="Haies ",
            ),
        ],
    )

    assert strong_keys(record) == {
        "doi:10.5281/zenodo.123",
        "id:example.org/ids/fr-abc-42",
        "landing:data.example.org/ds/7",
        "layer:OGC:WMS|geo.example.org/wms?map=a|haies",
    }


def test_normalise_url_keeps_parameters_that_select_data() -> None:
    assert normalise_url("http://h.org/a/?b=2&a=1") == normalise_url("https://H.org/a?a=1&b=2")
    assert normalise_url("http://h.org/a?b=2") != normalise_url("http://h.org/a?b=3")


def test_a_bbox_far_away_blocks_a_text_match() -> None:
    text = "Inventaire des haies bocagères, relevé de terrain par photo-interprétation 2015"
    a = Record.new("s", "a", title=text, abstract=text * 3, bboxes=[BBox(west=-5, south=47,
                   east=-3, north=48)])  # fmt: skip
    b = Record.new("t", "b", title=text, abstract=text * 3, bboxes=[BBox(west=4, south=43,
                   east=5, north=44)])  # fmt: skip

    verdict = compare(fingerprint(a), fingerprint(b))

    assert (verdict.same, verdict.detail) == (False, "bbox overlap 0.00")


def test_admin_apart_decision_beats_any_chain_of_pairs() -> None:
    pairs = [Pair.of("a", "b", "key", "k", 1.0), Pair.of("b", "c", "similar", "s", 1.0)]

    assert build_clusters(pairs) == [["a", "b", "c"]]
    assert build_clusters(pairs, apart=[("a", "c")]) == [["a", "b"]]


def test_canonical_by_source_priority_then_completeness_then_freshness() -> None:
    from datetime import date

    def fp(source: str, original: str, **fields: object):  # type: ignore[no-untyped-def]
        return fingerprint(Record.new(source, original, title="Haies", **fields))

    bare = fp("portal", "1")
    rich = fp("portal", "2", abstract="x", lineage="y")
    old = fp("sdi", "3", revised=date(2019, 1, 1))
    new = fp("sdi", "4", revised=date(2023, 1, 1))

    assert choose_canonical([bare, rich]) == rich.record_id
    assert choose_canonical([bare, rich, old, new], ["sdi"]) == new.record_id
    assert choose_canonical([bare, rich, old, new], ["sdi"], {bare.record_id}) == bare.record_id


LAYER = Link(url="https://geo.example.org/wms", protocol="OGC:WMS", name="plu")


def _plu(shared_fixtures: Path, source: str, oid: str, title: str, **fields: object) -> Record:
    """A real French PLU record, re-identified, publishing the shared multi-year WMS layer."""
    element = iso_element(shared_fixtures, "udata/geonetwork_fr_iso19139_page1.xml", 1)
    record = parse_iso(retitle(element, oid, title), source)
    return record.model_copy(update={"links": [LAYER], "identifiers": [], **fields})


def test_two_years_linking_one_layer_are_related_not_folded(shared_fixtures: Path) -> None:
    y2019 = _plu(shared_fixtures, "region", "plu-2019", "PLU de Longueau 2019")
    y2021 = _plu(shared_fixtures, "national", "plu-2021", "PLU de Longueau 2021")

    verdict = compare(fingerprint(y2019), fingerprint(y2021))

    assert (verdict.same, verdict.kind) == (False, "related")
    assert (
        verdict.detail == "share layer:OGC:WMS|geo.example.org/wms|plu but titles name 2019 / 2021"
    )
    related: list[Pair] = []
    assert find_pairs([fingerprint(y2019), fingerprint(y2021)], related=related)[0] == []
    assert [(p.a, p.b, p.kind) for p in related] == [(*sorted((y2019.id, y2021.id)), "related")]


def test_two_distant_areas_linking_one_layer_are_related(shared_fixtures: Path) -> None:
    here = _plu(shared_fixtures, "region", "zone-a", "Zones inondables", bboxes=[
        BBox(west=-5, south=47, east=-3, north=48)])  # fmt: skip
    there = _plu(shared_fixtures, "national", "zone-b", "Zones inondables", bboxes=[
        BBox(west=4, south=43, east=5, north=44)])  # fmt: skip

    verdict = compare(fingerprint(here), fingerprint(there))

    assert (verdict.kind, verdict.detail.endswith("their extents do not overlap")) == (
        "related",
        True,
    )


def test_a_copy_linking_the_same_layer_still_folds_and_an_identifier_beats_the_years(
    shared_fixtures: Path,
) -> None:
    original = _plu(shared_fixtures, "region", "plu", "PLU de Longueau 2019")
    copy = _plu(shared_fixtures, "national", "portal-plu", "PLU DE LONGUEAU 2019 (copie)")
    assert compare(fingerprint(original), fingerprint(copy)).kind == "key"

    doi = [Identifier(code="https://doi.org/10.1234/plu-longueau")]
    a = _plu(shared_fixtures, "region", "a", "PLU de Longueau 2019", identifiers=doi)
    b = _plu(shared_fixtures, "national", "b", "PLU de Longueau 2021", identifiers=doi)
    verdict = compare(fingerprint(a), fingerprint(b))
    assert (verdict.same, verdict.detail) == (True, "doi:10.1234/plu-longueau")


def test_the_evaluation_set_folds_no_related_pair_and_keeps_recall(shared_fixtures: Path) -> None:
    result = evaluate(build_eval_set(5, shared_fixtures))
    assert result["related_pairs"] >= 60
    assert (result["related_folded"], result["related_kept"]) == (0, result["related_pairs"])
    assert (result["false_pairs"], result["recall"]) == (0, 1.0)
