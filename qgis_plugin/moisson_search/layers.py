"""Build the QGIS layer for one service link, off the UI thread.

QGIS's providers read the service's capabilities while a layer is constructed, and a WMTS
layer needs its capabilities read first (wmts_capabilities.py). So the layer is built in a
QgsTask (a worker thread, where QgsBlockingNetworkRequest may block), moved to the main
thread, and added to the project in `finished`, which QGIS calls on the main thread.
"""

from __future__ import annotations

from collections.abc import Callable

from qgis.core import (
    QgsBlockingNetworkRequest,
    QgsDataSourceUri,
    QgsMapLayer,
    QgsProject,
    QgsRasterLayer,
    QgsTask,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QCoreApplication, QUrl
from qgis.PyQt.QtNetwork import QNetworkRequest

from .service_links import (
    Params,
    ServiceLink,
    oapif_params,
    wfs_params,
    wms_params,
    wmts_params,
)
from .wmts_capabilities import WmtsError, choose_tiling

__all__ = ["AddLayerTask", "build_layer", "raster_source", "vector_source"]

DEFAULT_CRS = "EPSG:4326"


class LayerError(Exception):
    """The layer could not be built; the message says why, for the message bar."""


def _wmts_capabilities(url: str) -> bytes:
    separator = "&" if "?" in url else "?"
    request = QNetworkRequest(QUrl(f"{url}{separator}SERVICE=WMTS&REQUEST=GetCapabilities"))
    fetch = QgsBlockingNetworkRequest()
    if fetch.get(request, True) != QgsBlockingNetworkRequest.NoError:
        raise LayerError(f"WMTS capabilities of {url} could not be read: {fetch.errorMessage()}")
    return bytes(fetch.reply().content())


def raster_source(params: Params) -> str:
    """`key=value&...`, encoded by QGIS itself (a service URL's own query string survives)."""
    uri = QgsDataSourceUri()
    for key, value in params:
        uri.setParam(key, value)
    return bytes(uri.encodedUri()).decode("utf-8")


def vector_source(params: Params) -> str:
    """`key='value' ...`, quoted by QGIS itself, as the WFS and OAPIF providers read it."""
    uri = QgsDataSourceUri()
    for key, value in params:
        uri.setParam(key, value)
    return uri.uri(False).strip()


def build_layer(link: ServiceLink, crs: str = DEFAULT_CRS) -> QgsMapLayer:
    """The layer for `link` (may block on the network: call it from a task)."""
    if link.kind == "WMS":
        source = raster_source(wms_params(link, crs))
        layer: QgsMapLayer = QgsRasterLayer(source, link.title or link.layer, "wms")
    elif link.kind == "WMTS":
        try:
            tiling = choose_tiling(_wmts_capabilities(link.url), link.layer, crs)
        except WmtsError as exc:
            raise LayerError(f"WMTS {link.url}: {exc}") from exc
        params = wmts_params(link, tiling.crs, tiling.matrix_set, tiling.image_format, tiling.style)
        layer = QgsRasterLayer(raster_source(params), link.title or link.layer, "wms")
    elif link.kind == "WFS":
        layer = QgsVectorLayer(vector_source(wfs_params(link)), link.title or link.layer, "WFS")
    else:
        source = vector_source(oapif_params(link))
        layer = QgsVectorLayer(source, link.title or link.layer, "OAPIF")
    if not layer.isValid():
        error = layer.error()  # kept in a name: a temporary QgsError's summary() can crash
        problem = error.summary() or "the service did not answer as expected"
        raise LayerError(f"{link.label} from {link.url} is not a valid layer: {problem}")
    return layer


class AddLayerTask(QgsTask):
    """Build the layer in the background, add it to the project on the main thread, then
    call `on_done(layer, None)` or `on_done(None, message)`."""

    def __init__(
        self,
        link: ServiceLink,
        crs: str,
        on_done: Callable[[QgsMapLayer | None, str | None], None],
    ) -> None:
        super().__init__(f"Moisson: add {link.label}", QgsTask.CanCancel)
        self.link = link
        self.crs = crs
        self.on_done = on_done
        self.layer: QgsMapLayer | None = None
        self.message: str | None = None

    def run(self) -> bool:
        try:
            layer = build_layer(self.link, self.crs)
        except LayerError as exc:
            self.message = str(exc)
            return False
        layer.moveToThread(QCoreApplication.instance().thread())
        self.layer = layer
        return True

    def finished(self, result: bool) -> None:
        if result and self.layer is not None:
            QgsProject.instance().addMapLayer(self.layer)
            self.on_done(self.layer, None)
        else:
            self.on_done(None, self.message or f"adding {self.link.label} was cancelled")
