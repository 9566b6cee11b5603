"""A small, realistic catalogue for the search backend contract suite.

French and English environmental records from two sources, with the traits the tests rely
on: accented titles, singular/plural pairs in both languages, a title match and an
abstract-only match for the same word, a box outside Europe, a record with no box, distinct
reference dates, HTML in an abstract. Change it only with the tests that count on it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from moisson.record import BBox, Contact, Identifier, Keyword, Link, Record, TemporalExtent, Theme

__all__ = ["GEO", "OPEN", "THEMES", "by_key", "corpus"]

GEO = "geo"
OPEN = "opendata"

BRETAGNE = BBox(west=-5.2, south=47.2, east=-1.0, north=48.9)
FRANCE = BBox(west=-5.2, south=41.3, east=9.6, north=51.1)
EUROPE = BBox(west=-31.3, south=27.6, east=44.9, north=71.2)
CAMARGUE = BBox(west=4.1, south=43.3, east=4.9, north=43.8)
AMAZONIA = BBox(west=-74.0, south=-16.0, east=-44.0, north=5.0)

WMS = Link(url="https://geo.example.org/wms", protocol="OGC:WMS", name="layer")
WFS = Link(url="https://geo.example.org/wfs", protocol="OGC:WFS", name="features")
DOWNLOAD = Link(url="https://data.example.org/file.zip", protocol="download")


def _record(source: str, key: str, title: str, **fields: Any) -> Record:
    keywords = [Keyword(label=k) for k in fields.pop("keywords", [])]
    contacts = [Contact(organisation=o) for o in fields.pop("organisations", [])]
    return Record.new(source, key, title=title, keywords=keywords, contacts=contacts, **fields)


# Themes as the matcher would assign them (set here so the backend contract does not depend
# on the thesaurus): concept id and its ancestors, nearest first. 'camargue' is filed under
# wetlands but its text is English only, so a French 'zones humides' finds it only through
# the thesaurus expansion; 'vilaine' is under a sibling of wetlands, inside 'water'.
THEMES: dict[str, list[tuple[str, list[str]]]] = {
    "camargue": [("wetlands", ["water"])],
    "zh-loire-bretagne": [("wetlands", ["water"])],
    "vilaine": [("hydrography", ["water"])],
    "natura2000": [("natura2000", ["protected-areas", "biodiversity"])],
    "amazonia": [("forest", ["agriculture-forestry"])],
}


def _with_themes(records: list[Record]) -> list[Record]:
    for record in records:
        record.themes = [
            Theme(id=concept, uri=f"https://w3id.org/moisson/theme/{concept}", broader=broader)
            for concept, broader in THEMES.get(record.provenance.original_id, [])
        ]
    return records


def _records() -> list[Record]:
    return [
        _record(
            GEO,
            "foret-broceliande",
            "Forêt de Brocéliande",
            abstract="Limites et peuplements du massif forestier de Paimpont.",
            keywords=["forêt", "peuplement forestier"],
            organisations=["ONF"],
            bboxes=[BRETAGNE],
            revised=date(2021, 3, 1),
            formats=["Shapefile"],
            links=[WMS, DOWNLOAD],
        ),
        _record(
            GEO,
            "forets-domaniales",
            "Forêts domaniales de Bretagne",
            abstract="Périmètres des forêts publiques gérées par l'Office national des forêts.",
            keywords=["Forêt", "forêt domaniale", "FORÊT"],
            organisations=["ONF", "DRAAF Bretagne"],
            bboxes=[BRETAGNE],
            published=date(2019, 11, 20),
            metadata_date=date(2024, 1, 5),
            formats=["Shapefile"],
            links=[WFS],
            identifiers=[Identifier(code="FR-ONF-0042", codespace="https://data.onf.fr")],
        ),
        _record(
            GEO,
            "zh-loire-bretagne",
            "Zones humides du bassin Loire-Bretagne",
            abstract="Inventaire des zones humides effectives et des cours d'eau du bassin.",
            keywords=["zones humides", "eau"],
            organisations=["Agence de l'eau Loire-Bretagne", "OFB"],
            bboxes=[FRANCE],
            revised=date(2020, 5, 4),
            formats=["GeoPackage"],
            links=[WMS, WFS],
        ),
        _record(
            GEO,
            "zh-potentielle",
            "Carte de zone humide potentielle",
            abstract="Modélisation de la probabilité de présence d'une zone humide.",
            keywords=["eau"],
            organisations=["INRAE"],
            bboxes=[FRANCE],
            created=date(2014, 2, 10),
            formats=["GeoTIFF"],
            links=[WMS],
        ),
        _record(
            OPEN,
            "camargue",
            "Wetlands of the Camargue",
            abstract="Mapping of marshes, lagoons and reed beds in the Rhône delta.",
            keywords=["Ramsar", "lagoons"],
            organisations=["Tour du Valat"],
            bboxes=[CAMARGUE],
            published=date(2017, 9, 1),
            formats=["GeoPackage"],
            links=[WFS],
            language="eng",
            identifiers=[Identifier(code="https://doi.org/10.5281/ZENODO.12345")],
        ),
        _record(
            OPEN,
            "coastal-wetland",
            "Coastal wetland monitoring",
            abstract="Yearly survey of one coastal wetland site and its water levels.",
            keywords=["monitoring"],
            organisations=["Tour du Valat"],
            bboxes=[CAMARGUE],
            published=date(2022, 4, 12),
            formats=["CSV"],
            links=[DOWNLOAD],
            language="eng",
        ),
        _record(
            OPEN,
            "oiseaux",
            "Inventaire des oiseaux d'eau hivernants",
            abstract="Comptages des anatidés en Camargue et sur le littoral méditerranéen.",
            keywords=["avifaune", "eau"],
            organisations=["OFB"],
            bboxes=[FRANCE],
            published=date(2016, 1, 15),
            formats=["CSV"],
            links=[DOWNLOAD],
        ),
        _record(
            GEO,
            "eolien",
            "Parcs éoliens",
            abstract="Localisation des éoliennes terrestres autorisées et en service.",
            keywords=["énergie", "éolien"],
            organisations=["DREAL Bretagne"],
            bboxes=[BRETAGNE],
            revised=date(2023, 1, 9),
            formats=["CSV"],
            links=[DOWNLOAD, WMS],
        ),
        _record(
            GEO,
            "natura2000",
            "Sites Natura 2000",
            abstract="Zones spéciales de conservation et zones de protection spéciale.",
            keywords=["Natura 2000", "biodiversité"],
            organisations=["MNHN"],
            bboxes=[FRANCE],
            published=date(2020, 12, 1),
            formats=["Shapefile"],
            links=[WMS, WFS],
        ),
        _record(
            OPEN,
            "corine",
            "Occupation du sol Corine Land Cover 2018",
            abstract="Biophysical land cover of Europe in 44 classes.",
            keywords=["occupation du sol", "land cover"],
            organisations=["EEA"],
            bboxes=[EUROPE],
            published=date(2018, 6, 30),
            formats=["GeoTIFF"],
            links=[DOWNLOAD],
            identifiers=[
                Identifier(code="EEA-CLC-2018"),
                Identifier(code="doi:10.2909/71c95a07-e296-44fc-b22b-415f42acfdf0"),
            ],
        ),
        _record(
            OPEN,
            "amazonia",
            "Forest cover of Amazonia",
            abstract="Annual loss of tropical forests in the Amazon basin.",
            keywords=["forests", "deforestation"],
            organisations=["INPE"],
            bboxes=[AMAZONIA],
            published=date(2015, 8, 3),
            formats=["GeoTIFF"],
            links=[DOWNLOAD],
            language="eng",
            temporal=TemporalExtent(start=date(2000, 1, 1), end=date(2014, 12, 31)),
        ),
        _record(
            OPEN,
            "vilaine",
            "Qualité de la rivière Vilaine",
            abstract="Mesures physico-chimiques en station sur la rivière.",
            keywords=["qualité de l'eau"],
            organisations=["Agence de l'eau Loire-Bretagne"],
            bboxes=[BRETAGNE],
            revised=date(2021, 10, 2),
            created=date(2008, 3, 3),
            formats=["CSV"],
            topic_categories=["inlandWaters"],
        ),
        _record(
            OPEN,
            "meteo",
            "Stations météorologiques",
            abstract="Emplacement et relevés des stations de mesure.",
            keywords=["climat"],
            organisations=["Météo-France"],
            published=date(2012, 7, 7),
            resource_type="series",
            temporal=TemporalExtent(start=date(1950, 1, 1)),
            formats=["CSV"],
        ),
        _record(
            GEO,
            "ppri",
            "Plan de prévention des risques d'inondation",
            abstract="Zonage réglementaire des plans approuvés.",
            keywords=["risque", "inondation"],
            organisations=["DDTM 35"],
            bboxes=[BRETAGNE],
            revised=date(2013, 4, 22),
            resource_type="series",
            links=[WMS],
        ),
        _record(
            GEO,
            "haies",
            "Haies et bocage",
            abstract='Linéaire de haies <script>alert("x")</script> & talus, relevé en 2019.',
            keywords=["bocage"],
            organisations=["DRAAF Bretagne"],
            bboxes=[BRETAGNE],
            published=date(2019, 2, 14),
            formats=["GeoPackage"],
            links=[WFS],
        ),
    ]


def corpus() -> list[Record]:
    return _with_themes(_records())


def by_key() -> dict[str, Record]:
    """The corpus keyed by original id, for tests that name a record."""
    return {r.provenance.original_id: r for r in corpus()}
