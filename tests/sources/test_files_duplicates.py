"""A file that a catalogue also describes is folded into the catalogue record's duplicate
cluster, with the evidence: here the file's ISO sidecar is the catalogue's own record
(exported beside the data, as GeoNetwork and ArcGIS do), so they share the resource
identifier."""

from __future__ import annotations

from pathlib import Path

from moisson.config import Settings
from moisson.record import record_id
from pipeline.harvest import harvest_source
from pipeline.runtime import Runtime
from search_api.app import create_app
from testkit.geodata import polygon, write_vector

IDENTIFIER = "https://sdi.example.org/id/parcelles-bio-2024"
RECORD = f"""<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:fileIdentifier><gco:CharacterString>bio-parcelles-2024</gco:CharacterString>
  </gmd:fileIdentifier>
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation>
      <gmd:title><gco:CharacterString>Parcelles en agriculture biologique 2024
      </gco:CharacterString></gmd:title>
      <gmd:identifier><gmd:MD_Identifier><gmd:code>
        <gco:CharacterString>{IDENTIFIER}</gco:CharacterString>
      </gmd:code></gmd:MD_Identifier></gmd:identifier>
    </gmd:CI_Citation></gmd:citation>
    <gmd:abstract><gco:CharacterString>Parcelles certifiées AB suivies par le bureau.
    </gco:CharacterString></gmd:abstract>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def test_a_file_and_its_catalogue_record_share_one_cluster(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    (catalogue / "parcelles-bio.xml").write_text(RECORD, encoding="utf-8")
    share = tmp_path / "partage"
    shp = share / "Agriculture" / "parcelles_bio.shp"
    parcels = [polygon(350000, 6780000, 352000, 6782000)]
    write_vector(shp, parcels, "Polygon", "EPSG:2154", driver="ESRI Shapefile")
    (share / "Agriculture" / "parcelles_bio.shp.xml").write_text(RECORD, encoding="utf-8")
    settings = Settings.model_validate(
        {
            "store": {"url": f"sqlite:///{tmp_path}/store.db"},
            "index": {"url": f"sqlite:///{tmp_path}/index.db"},
            "harvest": {"allow_files": True},
            "sources": [
                {"id": "catalogue", "kind": "csw", "url": catalogue.as_uri()},
                {"id": "partage", "kind": "files", "url": share.as_uri()},
            ],
        }
    )
    with Runtime(settings) as runtime:
        harvest_source(runtime, settings.source("catalogue"))
        harvest_source(runtime, settings.source("partage"))
        file_id = record_id("partage", shp.as_uri())
        cluster = create_app(runtime).test_client().get(f"/api/records/{file_id}/cluster")
        body = cluster.get_json()
    assert cluster.status_code == 200, body
    members = {m["provenance"]["source_id"]: m["id"] for m in body["cluster"]["members"]}
    assert sorted(members) == ["catalogue", "partage"] and members["partage"] == file_id
    assert [(e["kind"], e["detail"]) for e in body["cluster"]["evidence"]] == [
        ("key", "id:sdi.example.org/id/parcelles-bio-2024")
    ]
