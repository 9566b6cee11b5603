"""Synthetic but realistic ISO 19139 records, for benchmarks at sizes no real fixture reaches.

Realistic where speed depends on it: French and English environmental titles and abstracts
(accents, stemming, ~300 distinct words so full-text postings look natural), keywords from
INSPIRE/GEMET-like lists (some as gmx:Anchor with real INSPIRE theme URIs, some free), 200
organisations (facet cardinality), bboxes in France and Europe, dates 2000-2025 and 1-3 online
resources. Deterministic for a seed, so Moisson and pycsw ingest exactly the same records.

Records are built from string templates, not lxml trees: 100k records take a few seconds.

    python -m bench.generate 1000 /tmp/records      # one file per record
"""

from __future__ import annotations

import random
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["generate_iso_records", "getrecords_pages", "write_records"]


def _items(text: str, separator: str | None = "|") -> tuple[str, ...]:
    """Vocabularies are '|'- or space-separated text, so 300 words fit in a few lines."""
    return tuple(item.strip() for item in text.split(separator) if item.strip())


def _words(text: str) -> tuple[str, ...]:
    return _items(text, None)


THEMES_FR = _items("""
Observations de chiroptères | Zones humides | Sites Natura 2000 (ZPS) | Sites Natura 2000 (SIC) |
ZNIEFF de type I | ZNIEFF de type II | Occupation du sol | Cours d'eau BD TOPAGE |
Parcs éoliens terrestres autorisés | Centrales solaires au sol | Forêts domaniales |
Plan de prévention du risque inondation | Trame verte et bleue | Espèces exotiques envahissantes |
Carte des sols | Érosion du trait de côte | Cartes de bruit stratégiques | Parcelles cadastrales |
Limites administratives | Orthophotographie | Modèle numérique de terrain | Réseau routier |
Inventaire des haies bocagères | Frayères à poissons migrateurs | Qualité des eaux de surface |
Herbiers de zostères | Avifaune nicheuse | Mares et plans d'eau | Réserves naturelles |
Périmètres de captage d'eau potable""")
THEMES_EN = _items("""
Bat roost survey | Wetland inventory | Special protection areas | Land cover | River network |
Onshore wind farms | Ground-mounted solar farms | Ancient woodland | Flood risk zones |
Ecological corridors | Invasive alien species | Soil map | Coastal erosion | Strategic noise maps |
Administrative boundaries | Orthoimagery | Digital elevation model | Road network |
Breeding bird atlas | Seagrass meadows""")
# name, west, south, east, north (WGS84)
_PLACE_ROWS = """
en Bretagne, -5.14, 47.28, -1.02, 48.90 | du bassin de la Vilaine, -2.55, 47.35, -0.85, 48.55 |
en Pays de la Loire, -2.56, 46.27, 0.92, 48.57 | en Occitanie, -0.33, 42.33, 4.85, 45.05 |
en Camargue, 4.10, 43.30, 4.90, 43.75 | en Provence-Alpes-Côte d'Azur, 4.23, 42.98, 7.72, 45.13 |
dans les Hauts-de-France, 1.38, 48.84, 4.26, 51.09 | dans le Grand Est, 3.38, 47.42, 8.23, 50.17 |
en Nouvelle-Aquitaine, -1.79, 42.78, 2.61, 47.18 | en Normandie, -1.95, 48.18, 1.80, 50.07 |
du Finistère, -5.14, 47.70, -3.39, 48.76 | de la Loire-Atlantique, -2.56, 46.86, -0.96, 47.83 |
du Gard, 3.26, 43.46, 4.85, 44.46 | de La Réunion, 55.21, -21.40, 55.84, -20.87 |
de Guyane, -54.60, 2.11, -51.61, 5.78 | en France métropolitaine, -5.2, 41.3, 9.6, 51.1"""
_PLACE_ROWS_EN = """
in Scotland, -7.6, 54.6, -0.7, 60.9 | in Wales, -5.4, 51.3, -2.6, 53.5 |
in the Netherlands, 3.3, 50.7, 7.3, 53.6 | in Belgium, 2.5, 49.5, 6.4, 51.5 |
in Catalonia, 0.15, 40.5, 3.35, 42.9 | in the Alps, 5.0, 43.5, 16.0, 48.3 |
in Europe, -10.5, 34.5, 34.6, 71.2 | in the Camargue, 4.10, 43.30, 4.90, 43.75"""


def _places(rows: str) -> tuple[tuple[str, float, float, float, float], ...]:
    parts = (row.split(",") for row in _items(rows))
    return tuple((name, *map(float, box)) for name, *box in parts)  # type: ignore[misc]


PLACES, PLACES_EN = _places(_PLACE_ROWS), _places(_PLACE_ROWS_EN)
WORDS_FR = _words("""
inventaire données espèces habitats protégées cartographie relevés terrain naturalistes
observation station suivi annuel réseau écologique continuités réservoirs biodiversité milieux
aquatiques humides prairies boisements bocage littoral estuaire marais tourbières landes dunes
falaises vasières ripisylve berges lit mineur majeur crue aléa enjeux vulnérabilité submersion
ruissellement érosion sédiments qualité physico-chimique nitrates pesticides masses d'eau
directive cadre programme mesures gestion restauration renaturation compensation évitement
réduction impacts projet étude évaluation environnementale emprise parcelles communes
intercommunalités département région échelle précision résolution mètres maille kilométrique
photo-interprétation télédétection images satellitaires Sentinel-2 lidar altimétrie pente
exposition géologie pédologie sols agricoles forestiers peuplements essences feuillus résineux
chênaie hêtraie chiroptères gîtes hibernation reproduction amphibiens odonates avifaune nicheurs
hivernants migrateurs flore patrimoniale invasives renouée jussie ragondin frelon éoliennes mâts
puissance installée raccordement photovoltaïque toitures friches bruit routier ferroviaire
décibels cadastre limites voirie orthophotographie millésime mise à jour""")
WORDS_EN = _words("""
survey dataset species habitat protected mapping records field monitoring annual network
ecological corridors biodiversity wetlands grassland woodland hedgerows coastal estuary saltmarsh
peatland heath dunes cliffs riparian floodplain flood hazard exposure risk storm surge runoff
erosion sediment water quality nitrate catchment framework directive management restoration
offsetting mitigation impact assessment environmental parcels municipalities county region scale
accuracy resolution metres grid square interpretation remote sensing imagery satellite elevation
slope geology soil agricultural forest stands broadleaved conifer bats roosts hibernation
breeding amphibians dragonflies birds wintering migratory flora invasive knotweed turbines
capacity solar photovoltaic noise road railway decibels boundaries updated release open licence
download service layer attribute""")
# Real INSPIRE theme codes (http://inspire.ec.europa.eu/theme/<code>): code, French, English.
INSPIRE = tuple(
    tuple(row.split(":"))
    for row in _items("""
hy:Hydrographie:Hydrography | ps:Sites protégés:Protected sites |
lc:Occupation des terres:Land cover | sd:Répartition des espèces:Species distribution |
hb:Habitats et biotopes:Habitats and biotopes | er:Sources d'énergie:Energy resources |
nz:Zones à risque naturel:Natural risk zones | so:Sols:Soil | el:Altitude:Elevation |
oi:Ortho-imagerie:Orthoimagery | au:Unités administratives:Administrative units |
cp:Parcelles cadastrales:Cadastral parcels | tn:Réseaux de transport:Transport networks |
lu:Usage des sols:Land use | hh:Santé et sécurité des personnes:Human health and safety""")
)
INSPIRE_THESAURUS = "GEMET - INSPIRE themes, version 1.0"
GEMET = _items("""
zone humide | biodiversité | cours d'eau | espèce protégée | énergie éolienne | forêt | inondation |
érosion côtière | sol | bruit | wetland | biodiversity | river | protected species | wind energy |
forest | flood | coastal erosion | soil | noise""")
TOPICS = _words("""
biota environment inlandWaters boundaries elevation imageryBaseMapsEarthCover planningCadastre
geoscientificInformation oceans transportation utilitiesCommunication""")
_ORG_KINDS = _items("""
DREAL | DDTM | Conservatoire d'espaces naturels | Syndicat de bassin versant |
Parc naturel régional | Observatoire de l'environnement | Agence de l'eau | Conseil départemental |
Communauté d'agglomération | Bureau d'études | Fédération de pêche | Groupe mammalogique |
Ligue pour la protection des oiseaux""")
# 16 places x 13 kinds, cut to 200: a realistic facet cardinality for a regional SDI.
ORGANISATIONS = tuple(f"{kind} {p[0]}" for p in PLACES for kind in _ORG_KINDS)[:200]
PROTOCOLS = ("OGC:WMS", "OGC:WFS", "WWW:DOWNLOAD-1.0-http--download", "WWW:LINK")
LICENCES = _items("""
Licence Ouverte / Open Licence version 2.0 (Etalab) | CC-BY 4.0 | ODbL 1.0 |
Pas de restriction d'accès public | Open Government Licence v3.0""")

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
NAMESPACES = (
    'xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" '
    'xmlns:gmx="http://www.isotc211.org/2005/gmx" xmlns:gml="http://www.opengis.net/gml" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)
_LANGUAGES = {  # French?: places, themes, words, language code, abstract lead
    True: (PLACES, THEMES_FR, WORDS_FR, "fre", "Ce jeu de données décrit : {}, produit par {}. "),
    False: (PLACES_EN, THEMES_EN, WORDS_EN, "eng", "This dataset describes {}, produced by {}. "),
}
_CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _x(text: str) -> str:
    return text.translate(_ESCAPES)


def _cs(tag: str, text: str) -> str:
    return f"<gmd:{tag}><gco:CharacterString>{_x(text)}</gco:CharacterString></gmd:{tag}>"


def _date(value: str, kind: str) -> str:
    return (
        f"<gmd:date><gmd:CI_Date><gmd:date><gco:Date>{value}</gco:Date></gmd:date><gmd:dateType>"
        f'<gmd:CI_DateTypeCode codeList="{_CODELISTS}#CI_DateTypeCode" codeListValue="{kind}"/>'
        "</gmd:dateType></gmd:CI_Date></gmd:date>"
    )


def _keywords(labels: list[str], thesaurus: str = "", anchors: list[str] | None = None) -> str:
    if anchors:
        words = "".join(
            f'<gmd:keyword><gmx:Anchor xlink:href="{uri}">{_x(label)}</gmx:Anchor></gmd:keyword>'
            for label, uri in zip(labels, anchors, strict=True)
        )
    else:
        words = "".join(_cs("keyword", label) for label in labels)
    if thesaurus:
        words += f"<gmd:thesaurusName><gmd:CI_Citation>{_cs('title', thesaurus)}"
        words += f"{_date('2008-06-01', 'publication')}</gmd:CI_Citation></gmd:thesaurusName>"
    return (
        f"<gmd:descriptiveKeywords><gmd:MD_Keywords>{words}</gmd:MD_Keywords>"
        "</gmd:descriptiveKeywords>"
    )


def _record(rng: random.Random) -> tuple[str, str]:
    """One record as (fileIdentifier, XML without declaration)."""
    french = rng.random() < 0.65  # about the share of French records in the client's SDI
    places, themes, words, lang, lead = _LANGUAGES[french]
    year = rng.randint(2000, 2025)
    place, west, south, east, north = rng.choice(places)
    title = f"{rng.choice(themes)} {place} {year}"
    identifier = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    number = rng.randrange(len(ORGANISATIONS))
    organisation, email = ORGANISATIONS[number], f"sig@org{number:03d}.example.org"
    filler = " ".join(rng.choices(words, k=rng.randint(28, 105)))
    abstract = lead.format(title.lower(), organisation) + f"{filler[:1].upper()}{filler[1:]}."
    # A sub-box of the place: real records cover anything from a site to a whole region.
    w, e = sorted(rng.uniform(west, east) for _ in range(2))
    s, n = sorted(rng.uniform(south, north) for _ in range(2))
    created = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    revised = f"{rng.randint(year, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    themes = rng.sample(INSPIRE, rng.randint(1, 2))
    label = 1 if french else 2
    anchors = [f"http://inspire.ec.europa.eu/theme/{t[0]}" for t in themes]
    keywords = (
        _keywords([t[label] for t in themes], INSPIRE_THESAURUS, rng.choice((anchors, None)))
        + _keywords(rng.sample(GEMET[:10] if french else GEMET[10:], 2), "GEMET")
        + _keywords(rng.sample(words, rng.randint(2, 5)))
    )
    links = "".join(
        "<gmd:onLine><gmd:CI_OnlineResource><gmd:linkage><gmd:URL>"
        f"https://sdi{rng.randint(1, 40)}.example.org/{p.split(':')[1].split('-')[0].lower()}"
        f"?layer={identifier[:8]}</gmd:URL></gmd:linkage>{_cs('protocol', p)}"
        f"{_cs('name', f'layer_{identifier[:8]}')}</gmd:CI_OnlineResource></gmd:onLine>"
        for p in rng.sample(PROTOCOLS, rng.randint(1, 3))
    )
    xml = (
        f"<gmd:MD_Metadata {NAMESPACES}>"
        f"{_cs('fileIdentifier', identifier)}"
        f'<gmd:language><gmd:LanguageCode codeList="http://www.loc.gov/standards/iso639-2/" '
        f'codeListValue="{lang}"/></gmd:language>'
        f'<gmd:hierarchyLevel><gmd:MD_ScopeCode codeList="{_CODELISTS}#MD_ScopeCode" '
        'codeListValue="dataset"/></gmd:hierarchyLevel>'
        f"<gmd:contact><gmd:CI_ResponsibleParty>{_cs('organisationName', organisation)}"
        f"<gmd:contactInfo><gmd:CI_Contact><gmd:address><gmd:CI_Address>"
        f"{_cs('electronicMailAddress', email)}</gmd:CI_Address></gmd:address></gmd:CI_Contact>"
        f'</gmd:contactInfo><gmd:role><gmd:CI_RoleCode codeList="{_CODELISTS}#CI_RoleCode" '
        'codeListValue="pointOfContact"/></gmd:role>'
        "</gmd:CI_ResponsibleParty></gmd:contact>"
        f"<gmd:dateStamp><gco:Date>{revised}</gco:Date></gmd:dateStamp>"
        "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation><gmd:CI_Citation>"
        f"{_cs('title', title)}"
        f"{_date(created, 'creation')}{_date(revised, 'revision')}"
        f"<gmd:identifier><gmd:MD_Identifier>{_cs('code', f'BENCH-{identifier[:13]}')}"
        "</gmd:MD_Identifier></gmd:identifier></gmd:CI_Citation></gmd:citation>"
        f"{_cs('abstract', abstract)}{keywords}"
        "<gmd:resourceConstraints><gmd:MD_LegalConstraints>"
        f"{_cs('otherConstraints', rng.choice(LICENCES))}"
        "</gmd:MD_LegalConstraints></gmd:resourceConstraints>"
        f"<gmd:topicCategory><gmd:MD_TopicCategoryCode>{rng.choice(TOPICS)}"
        "</gmd:MD_TopicCategoryCode></gmd:topicCategory>"
        "<gmd:extent><gmd:EX_Extent><gmd:geographicElement><gmd:EX_GeographicBoundingBox>"
        f"<gmd:westBoundLongitude><gco:Decimal>{w:.4f}</gco:Decimal></gmd:westBoundLongitude>"
        f"<gmd:eastBoundLongitude><gco:Decimal>{e:.4f}</gco:Decimal></gmd:eastBoundLongitude>"
        f"<gmd:southBoundLatitude><gco:Decimal>{s:.4f}</gco:Decimal></gmd:southBoundLatitude>"
        f"<gmd:northBoundLatitude><gco:Decimal>{n:.4f}</gco:Decimal></gmd:northBoundLatitude>"
        "</gmd:EX_GeographicBoundingBox></gmd:geographicElement></gmd:EX_Extent></gmd:extent>"
        "</gmd:MD_DataIdentification></gmd:identificationInfo>"
        "<gmd:distributionInfo><gmd:MD_Distribution><gmd:transferOptions>"
        f"<gmd:MD_DigitalTransferOptions>{links}</gmd:MD_DigitalTransferOptions>"
        "</gmd:transferOptions></gmd:MD_Distribution></gmd:distributionInfo></gmd:MD_Metadata>"
    )
    return identifier, xml


def generate_iso_records(n: int, seed: int = 0) -> Iterator[tuple[str, bytes]]:
    """Yield n (fileIdentifier, ISO 19139 document bytes); the same seed gives the same
    records, byte for byte."""
    rng = random.Random(seed)
    for _ in range(n):
        identifier, xml = _record(rng)
        yield identifier, (_DECLARATION + xml).encode()


def write_records(directory: Path | str, n: int, seed: int = 0) -> list[Path]:
    """Write one `<fileIdentifier>.xml` per record (what pycsw's load_records and Moisson's
    file: sources both read) and return the paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for identifier, data in generate_iso_records(n, seed):
        paths.append(folder / f"{identifier}.xml")
        paths[-1].write_bytes(data)
    return paths


def getrecords_pages(n: int, page_size: int, seed: int = 0) -> Iterator[bytes]:
    """The n records as CSW 2.0.2 GetRecordsResponse pages (outputSchema gmd, as a server
    paged by startPosition would send them), so harvest paging can be timed without a
    server. nextRecord is 0 on the last page, as the standard says."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    rng = random.Random(seed)
    for start in range(1, n + 1, page_size):
        count = min(page_size, n - start + 1)
        following = start + count if start + count <= n else 0
        body = "".join(_record(rng)[1] for _ in range(count))
        yield (
            f'{_DECLARATION}<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"'
            ' version="2.0.2"><csw:SearchStatus timestamp="2025-01-01T00:00:00Z"/>'
            f'<csw:SearchResults numberOfRecordsMatched="{n}" numberOfRecordsReturned="{count}"'
            f' nextRecord="{following}" recordSchema="http://www.isotc211.org/2005/gmd"'
            f' elementSet="full">{body}</csw:SearchResults></csw:GetRecordsResponse>'
        ).encode()


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or not argv[0].isdigit():
        sys.exit("usage: python -m bench.generate N FOLDER [SEED]")
    paths = write_records(argv[1], int(argv[0]), int(argv[2]) if len(argv) == 3 else 0)
    print(f"wrote {len(paths)} records to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
