"""Runs inside QGIS's Python (/usr/bin/python3, QT_QPA_PLATFORM=offscreen), not the venv:
tests/qgis/test_projects_qgis.py starts it and reads the one `RESULT {json}` line it prints.

    project_driver.py inspect FILE...    read each project as the IDG plugin does (layers not
                                         resolved) and report what QGIS read
    project_driver.py render FILE LAYER_ID
                                         read the project resolving layers (the layer's
                                         service must answer) and render that layer

It only reports; the test decides what is right.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from typing import Any

from qgis.core import (
    QgsApplication,
    QgsDataSourceUri,
    QgsLayerTreeGroup,
    QgsLayerTreeLayer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def _tree(group: QgsLayerTreeGroup) -> dict[str, Any]:
    children: list[dict[str, Any]] = []
    for node in group.children():
        if isinstance(node, QgsLayerTreeLayer):
            children.append({"layer": node.layerId(), "name": node.name()})
        elif isinstance(node, QgsLayerTreeGroup):
            children.append(_tree(node))
    return {"group": group.name(), "children": children}


def _params(provider: str, source: str) -> dict[str, str]:
    """The source's parameters as QGIS parses them."""
    if provider == "wms":  # what the WMS provider does with its source (QgsWmsSettings)
        uri = QgsDataSourceUri()
        uri.setEncodedUri(source)
        return {key: uri.param(key) for key in re.findall(r"(?:^|&)(\w+)(?==|&|$)", source)}
    parsed = QgsDataSourceUri(source)  # QGIS parses the values; keys are all `\w+=`
    return {key: parsed.param(key) for key in re.findall(r"(?:^|\s)(\w+)=", source)}


def _rebuilt(provider: str, source: str) -> str:
    """The source as QGIS itself writes it from its own parameters."""
    uri = QgsDataSourceUri()
    for key, value in _params(provider, source).items():
        uri.setParam(key, value)
    if provider == "wms":
        return bytes(uri.encodedUri()).decode()
    return uri.uri(False).strip()


def _layer(project: QgsProject, layer_id: str) -> dict[str, Any]:
    layer = project.mapLayer(layer_id)
    meta = layer.metadata()
    extents = meta.extent().spatialExtents()
    box = extents[0].bounds if extents else None
    provider = layer.providerType()
    return {
        "id": layer.id(),
        "name": layer.name(),
        "provider": provider,
        "source": layer.source(),
        "rebuilt": _rebuilt(provider, layer.source()),
        "params": _params(provider, layer.source()),
        "crs": layer.crs().authid(),
        "title": meta.title(),
        "abstract": meta.abstract(),
        "identifier": meta.identifier(),
        "keywords": {k: list(v) for k, v in meta.keywords().items()},
        "links": [{"name": link.name, "url": link.url} for link in meta.links()],
        "extent": [box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()]
        if box is not None
        else None,
        "extent_crs": extents[0].extentCrs.authid() if extents else None,
    }


def inspect(paths: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in paths:
        project = QgsProject()
        flags = QgsProject.ReadFlags() | QgsProject.FlagDontResolveLayers
        flags |= QgsProject.FlagDontLoadLayouts
        read = project.read(path, flags)
        found[path] = {
            "read": read,
            "error": project.error(),
            "title": project.metadata().title(),
            "crs": project.crs().authid(),
            "links": [{"name": x.name, "url": x.url} for x in project.metadata().links()],
            "tree": _tree(project.layerTreeRoot()),
            "layers": [_layer(project, i) for i in sorted(project.mapLayers())],
        }
    return found


def render(path: str, layer_id: str) -> dict[str, Any]:
    project = QgsProject()
    read = project.read(path)
    layer = project.mapLayer(layer_id)
    if layer is None:
        return {"read": read, "error": project.error(), "valid": False}
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(project.crs())
    settings.setExtent(layer.extent() if not layer.extent().isEmpty() else project.crs().bounds())
    settings.setOutputSize(QSize(64, 64))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    colours: dict[str, int] = {}
    for y in range(image.height()):
        for x in range(image.width()):
            colour = QColor(image.pixel(x, y))
            key = f"{colour.red()},{colour.green()},{colour.blue()}"
            colours[key] = colours.get(key, 0) + 1
    return {
        "read": read,
        "error": project.error(),
        "valid": layer.isValid(),
        "provider": layer.providerType(),
        "errors": [str(e) for e in job.errors()],
        "size": [image.width(), image.height()],
        "colours": colours,
    }


def main() -> None:
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    with tempfile.TemporaryDirectory():
        if sys.argv[1] == "inspect":
            result = inspect(sys.argv[2:])
        else:
            result = render(sys.argv[2], sys.argv[3])
    print("RESULT " + json.dumps(result), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main()
