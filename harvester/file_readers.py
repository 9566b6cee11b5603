"""Reading what a geodata file says about itself, with GDAL (the pyogrio / rasterio adapter).

Only headers and indexes are read: layer list, geometry type, feature count, fields, CRS and
extent from the driver's fast paths (GeoPackage contents and R-tree, Shapefile header,
FlatGeobuf header, GeoTIFF tags), so memory stays bounded whatever the file's size. The
formats GDAL must parse whole to count (GeoJSON, KML, GML, CSV) are refused above
`max_text_bytes`. A zip is opened through /vsizip/ after its directory has been checked
against zip bombs. GDAL and library errors become SourceError children here, so the caller
quarantines the file with a readable reason.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath
from typing import IO

import pyogrio
import pyogrio.errors
import rasterio
import rasterio.errors
from rasterio.crs import CRS
from rasterio.warp import transform_bounds
from rasterio.windows import Window

from harvester.formats.geofile import LayerFacts
from moisson.errors import SourceError, SourceProtocolError, UnsafeInput

__all__ = [
    "DATA_SUFFIXES",
    "RASTER_SUFFIXES",
    "TEXT_SUFFIXES",
    "VECTOR_SUFFIXES",
    "read_layers",
]

VECTOR_SUFFIXES = frozenset(
    {".gpkg", ".shp", ".geojson", ".fgb", ".kml", ".gml", ".csv", ".parquet", ".geoparquet"}
)
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".jp2", ".ecw", ".asc"})
# Formats GDAL parses whole (to count features or find the extent).
TEXT_SUFFIXES = frozenset({".geojson", ".kml", ".gml", ".csv"})
DATA_SUFFIXES = VECTOR_SUFFIXES | RASTER_SUFFIXES | {".zip"}
# Formats whose driver is absent from the GDAL wheels: skipped with that reason.
NO_DRIVER = {".parquet": "Parquet", ".geoparquet": "Parquet", ".ecw": "ECW"}
# Open options so a CSV with coordinate columns becomes points.
CSV_OPTIONS = {
    "X_POSSIBLE_NAMES": "x,lon,long,longitude,easting",
    "Y_POSSIBLE_NAMES": "y,lat,latitude,northing",
    "KEEP_GEOM_COLUMNS": "NO",
}
MAX_ZIP_RATIO = 200  # uncompressed / compressed: beyond this, a zip bomb
MAX_ZIP_MEMBERS = 10_000

# GDAL never writes .aux.xml beside the files it reads, never goes on the network.
pyogrio.set_gdal_config_options({"GDAL_PAM_ENABLED": "NO", "GDAL_HTTP_TIMEOUT": "1"})
_ENV = {"GDAL_PAM_ENABLED": "NO", "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR"}


def read_layers(
    path: str,
    *,
    size: int,
    max_text_bytes: int,
    max_unzipped_bytes: int,
    opener: Callable[..., IO[bytes]] | None = None,
) -> list[LayerFacts]:
    """The layers (vector) or the raster of one local file. Raises UnsafeInput for a file
    too big to read safely or a zip bomb, SourceProtocolError when GDAL cannot read it.
    An empty list: nothing geographic in it (a CSV without coordinates)."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in NO_DRIVER:
        raise SourceProtocolError(f"no {NO_DRIVER[suffix]} driver in this GDAL build")
    if suffix in TEXT_SUFFIXES and size > max_text_bytes:
        raise UnsafeInput(
            f"{size} bytes: a {suffix} file is parsed whole by GDAL; larger than "
            f"max_text_bytes ({max_text_bytes})"
        )
    if suffix == ".zip":
        return _zip_layers(path, max_text_bytes, max_unzipped_bytes)
    try:
        if suffix in RASTER_SUFFIXES:
            return [_raster(path, opener)]
        return _vector(path, csv=suffix == ".csv")
    except SourceError:
        raise
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.CRSError,
        rasterio.errors.RasterioError,
        OSError,
        ValueError,
        RuntimeError,
    ) as exc:
        raise SourceProtocolError(f"GDAL cannot read it: {_first_line(exc)}") from exc


def _vector(path: str, *, csv: bool = False) -> list[LayerFacts]:
    options = CSV_OPTIONS if csv else {}
    # A CSV is one layer whose geometry exists only with the open options.
    layers = [[None, "Unknown"]] if csv else pyogrio.list_layers(path)
    found = []
    for name, geometry_type in layers:
        if geometry_type is None:
            continue  # an attribute table (or a CSV without coordinates)
        info = pyogrio.read_info(
            path, layer=name, force_feature_count=True, force_total_bounds=True, **options
        )
        crs = info.get("crs")
        if csv and not info.get("geometry_type"):
            continue
        if csv and not crs and _in_degrees(info.get("total_bounds")):
            crs = "EPSG:4326"  # lon/lat columns without a CRS: WGS84 is what they mean
        found.append(
            LayerFacts(
                layer=str(info.get("layer_name") or name),
                driver=str(info.get("driver") or ""),
                crs=crs,
                bbox=_wgs84(crs, info.get("total_bounds")),
                geometry_type=str(info.get("geometry_type") or geometry_type),
                features=int(info["features"]) if info.get("features", -1) >= 0 else None,
                fields=[str(f) for f in info.get("fields", [])],
                layer_count=0,  # set below, once the geographic layers are counted
            )
        )
    return [replace(layer, layer_count=len(found)) for layer in found]


def _raster(path: str, opener: Callable[..., IO[bytes]] | None = None) -> LayerFacts:
    """`opener`: a remote file's ranges are read through it (harvester/file_remote.py)."""
    extra = {"opener": opener} if opener is not None else {}
    with rasterio.Env(**_ENV), rasterio.open(path, **extra) as src:
        # One pixel of the last block: a truncated file fails here, and only one block
        # (a few KiB) is read whatever the raster's size.
        src.read(1, window=Window(src.width - 1, src.height - 1, 1, 1))
        crs = src.crs.to_string() if src.crs else None
        bounds = tuple(src.bounds) if src.crs else None
        return LayerFacts(
            layer=None,
            driver=src.driver,
            crs=crs,
            bbox=_wgs84(crs, bounds),
            width=src.width,
            height=src.height,
            bands=src.count,
            resolution=(abs(src.res[0]), abs(src.res[1])),
            data_type=src.dtypes[0] if src.dtypes else None,
        )


def _zip_layers(path: str, max_text_bytes: int, max_unzipped_bytes: int) -> list[LayerFacts]:
    """Layers of the geodata members of a zip (a zipped Shapefile set, most often), read
    through /vsizip/ after checking the zip's directory: total size, ratio, member count."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceProtocolError(f"not a readable zip: {_first_line(exc)}") from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnsafeInput(f"zip with {len(members)} members (limit {MAX_ZIP_MEMBERS})")
    unzipped = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unzipped > max_unzipped_bytes or unzipped / packed > MAX_ZIP_RATIO:
        raise UnsafeInput(
            f"zip bomb refused: {unzipped} bytes unzipped from {packed} "
            f"(limits {max_unzipped_bytes} bytes, ratio {MAX_ZIP_RATIO})"
        )
    found: list[LayerFacts] = []
    for member in members:
        suffix = PurePosixPath(member.filename).suffix.lower()
        if member.is_dir() or suffix not in (VECTOR_SUFFIXES | RASTER_SUFFIXES):
            continue
        if suffix in NO_DRIVER:
            continue
        inner = f"/vsizip/{path}/{member.filename}"
        for layer in read_layers(
            inner,
            size=member.file_size,
            max_text_bytes=max_text_bytes,
            max_unzipped_bytes=max_unzipped_bytes,
        ):
            name = member.filename if layer.layer is None else f"{member.filename}:{layer.layer}"
            found.append(replace(layer, layer=name))
    return [replace(layer, layer_count=len(found)) for layer in found]


def _in_degrees(bounds: object) -> bool:
    if bounds is None:
        return False
    west, south, east, north = (float(v) for v in bounds)  # type: ignore[attr-defined]
    return -180 <= west <= east <= 180 and -90 <= south <= north <= 90


def _wgs84(crs: str | None, bounds: object) -> tuple[float, float, float, float] | None:
    """The extent in WGS84, or None (no CRS, an empty layer, a box GDAL cannot project)."""
    if not crs or bounds is None:
        return None
    values = [float(v) for v in bounds]  # type: ignore[attr-defined]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        return None
    try:
        west, south, east, north = transform_bounds(CRS.from_user_input(crs), "EPSG:4326", *values)
    except (rasterio.errors.RasterioError, ValueError):
        return None
    box = (max(west, -180.0), max(south, -90.0), min(east, 180.0), min(north, 90.0))
    if not all(math.isfinite(v) for v in box) or box[0] > box[2] or box[1] > box[3]:
        return None
    return (round(box[0], 6), round(box[1], 6), round(box[2], 6), round(box[3], 6))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
