"""Geodata files generated with GDAL (pyogrio / rasterio) for the `files` source tests and
bench/bench_sources.py: what a consultancy's share holds, good and bad."""

from __future__ import annotations

import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import rasterio
from affine import Affine

__all__ = ["ISO_SIDECAR", "build_share", "point", "polygon", "write_raster", "write_vector"]

TEN_GB = 10 * 1024**3

ISO_SIDECAR = """<?xml version="1.0" encoding="UTF-8"?>
<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd"
    xmlns:gco="http://www.isotc211.org/2005/gco">
  <gmd:fileIdentifier><gco:CharacterString>bio-parcelles-2024</gco:CharacterString>
  </gmd:fileIdentifier>
  <gmd:identificationInfo><gmd:MD_DataIdentification>
    <gmd:citation><gmd:CI_Citation>
      <gmd:title><gco:CharacterString>Parcelles en agriculture biologique 2024
      </gco:CharacterString></gmd:title>
    </gmd:CI_Citation></gmd:citation>
    <gmd:abstract><gco:CharacterString>Parcelles certifiées AB suivies par le bureau.
    </gco:CharacterString></gmd:abstract>
    <gmd:descriptiveKeywords><gmd:MD_Keywords>
      <gmd:keyword><gco:CharacterString>Parcellaire agricole</gco:CharacterString></gmd:keyword>
    </gmd:MD_Keywords></gmd:descriptiveKeywords>
  </gmd:MD_DataIdentification></gmd:identificationInfo>
</gmd:MD_Metadata>
"""


def point(x: float, y: float) -> bytes:
    return struct.pack("<BIdd", 1, 1, x, y)


def polygon(x0: float, y0: float, x1: float, y1: float) -> bytes:
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return struct.pack("<BIII", 1, 3, 1, len(ring)) + b"".join(
        struct.pack("<dd", x, y) for x, y in ring
    )


def linestring(*coords: tuple[float, float]) -> bytes:
    return struct.pack("<BII", 1, 2, len(coords)) + b"".join(
        struct.pack("<dd", x, y) for x, y in coords
    )


def write_vector(
    path: Path,
    geometries: list[bytes],
    geometry_type: str,
    crs: str,
    *,
    driver: str,
    layer: str | None = None,
    append: bool = False,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = np.array([f"objet {i}" for i in range(len(geometries))], dtype=object)
    pyogrio.raw.write(
        str(path),
        geometry=np.array(geometries, dtype=object),
        field_data=[names],
        fields=["nom"],
        crs=crs,
        geometry_type=geometry_type,
        driver=driver,
        layer=layer,
        append=append,
    )


def write_raster(path: Path, *, size: int = 64) -> None:
    """A one-band Lambert-93 DEM near Rennes, 25 m pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.arange(size * size, dtype="float32").reshape(size, size)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="float32",
        crs="EPSG:2154",
        transform=Affine(25, 0, 350000, 0, -25, 6790000),
    ) as dst:
        dst.write(data, 1)


def build_share(root: Path, outside: Path, *, links: bool = True, huge: bool = True) -> None:
    """The share: good files in thematic folders, then the hostile ones (`links`: with the
    symbolic links, one out of the root and one loop; `huge`: with the two sparse 10 GB
    files)."""
    gpkg = root / "Hydrographie" / "cours_eau.gpkg"
    lines = [linestring((351000, 6785000), (355000, 6789000))]
    write_vector(gpkg, lines, "LineString", "EPSG:2154", driver="GPKG", layer="troncons")
    stations = [point(352000, 6786000), point(354000, 6788000)]
    write_vector(gpkg, stations, "Point", "EPSG:2154", driver="GPKG", layer="stations", append=True)
    shp = root / "Agriculture" / "parcelles_bio.shp"
    parcels = [polygon(350000, 6780000, 352000, 6782000)]
    write_vector(shp, parcels, "Polygon", "EPSG:2154", driver="ESRI Shapefile")
    (root / "Agriculture" / "parcelles_bio.shp.xml").write_text(ISO_SIDECAR, encoding="utf-8")
    write_vector(
        root / "Faune" / "observations_loutre.geojson",
        [point(-1.68, 48.11), point(-1.52, 48.20)],
        "Point",
        "EPSG:4326",
        driver="GeoJSON",
    )
    write_raster(root / "Relief" / "mnt_25m.tif")
    (root / "Faune" / "stations.csv").write_text(
        "nom,lon,lat\nétang,-1.7,48.1\nmare,-1.6,48.2\n", encoding="utf-8"
    )
    (root / "Faune" / "notes.txt").write_text("pas une donnée", encoding="utf-8")
    # A zipped Shapefile set.
    zipped = root / "Livraisons" / "troncons_livres.zip"
    zipped.parent.mkdir(parents=True)
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            archive.write(shp.with_suffix(suffix), f"parcelles_livrees{suffix}")
    # Hostile: corrupt, truncated, huge, a zip bomb, a link out of the root, a loop.
    bad = root / "Divers"
    bad.mkdir()
    (bad / "corrompu.gpkg").write_bytes(b"SQLite format 3\x00" + os.urandom(2000))
    tif = (root / "Relief" / "mnt_25m.tif").read_bytes()
    (bad / "tronque.tif").write_bytes(tif[:300])
    if huge:
        with open(bad / "enorme.geojson", "wb") as handle:  # sparse: 10 GB on no disk
            handle.truncate(TEN_GB)
        write_raster(bad / "mosaique_10go.tif")
        with open(bad / "mosaique_10go.tif", "r+b") as handle:  # a 10 GB raster, sparse too
            handle.truncate(TEN_GB)
    with zipfile.ZipFile(bad / "bombe.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.geojson", b"\0" * 50_000_000)
    if not links:
        return
    outside.mkdir(parents=True, exist_ok=True)
    write_vector(
        outside / "secret.geojson", [point(2.3, 48.8)], "Point", "EPSG:4326", driver="GeoJSON"
    )
    (bad / "lien_dehors.geojson").symlink_to(outside / "secret.geojson")
    (bad / "boucle").symlink_to(root)
