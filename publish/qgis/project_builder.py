"""A QGIS project file (.qgs XML, or .qgz: the .qgs zipped) written with lxml, in the form
QGIS 3.22 writes it, so QGIS and the IDG plugin read it as one of their own.

What is written (tests/qgis/ loads every generated project in real QGIS 3.22):

- `<qgis version="3.22...">` with the project title and CRS (the raster CRS asked of map
  services: layers draw without reprojecting);
- `<layer-tree-group>`: the theme groups and their layers (publish/qgis/tree.py), every
  node unchecked and collapsed, so opening a project in QGIS fetches nothing until the user
  ticks a layer; a layer placed under two themes is two tree nodes of one map layer;
- `<projectlayers>`: one `<maplayer>` per distinct service layer: stable id, data source
  (publish/qgis/datasource.py), provider, name, CRS, and `<resourceMetadata>`: record id,
  language, type, title, abstract, keywords (`gmd:keyword`), topic categories
  (`gmd:topicCategory`, what QGIS calls categories), themes (keywords under the theme
  thesaurus' title), a `metadata` link to the record (the link the IDG plugin opens for
  "Voir les métadonnées") and the record's bbox as extent (EPSG:4326);
- `<projectMetadata>`: title, abstract, a link named `icon` (the IDG plugin shows it as the
  platform's icon) and a link to the Moisson site.

Nothing here reads a network or a database: the caller gives the layers and the tree.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from publish.qgis.layers import ProjectLayer
from publish.qgis.tree import Group

__all__ = ["ProjectInfo", "project_document", "qgs_bytes", "qgz_bytes"]

QGIS_VERSION = "3.22.16-Białowieża"
_UNCHECKED = "Qt::Unchecked"


@dataclass(frozen=True)
class ProjectInfo:
    """What a project says about itself."""

    name: str  # file stem: <name>.qgs / <name>.qgz
    title: str
    abstract: str
    crs: str
    icon_url: str
    home_url: str
    themes_vocabulary: str  # the theme thesaurus' title: keywords vocabulary of themes
    language: str
    saved: datetime


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, tag, attrs)
    if text is not None:
        node.text = text
    return node


def _srs(parent: etree._Element, crs: str) -> None:
    sys = _sub(parent, "spatialrefsys")
    _sub(sys, "wkt", "")
    _sub(sys, "proj4", "")
    code = crs.split(":")[-1]
    _sub(sys, "srsid", "0")
    _sub(sys, "srid", code if code.isdigit() else "0")
    _sub(sys, "authid", crs)
    _sub(sys, "description", "")
    _sub(sys, "projectionacronym", "")
    _sub(sys, "ellipsoidacronym", "")
    _sub(sys, "geographicflag", "true" if crs == "EPSG:4326" else "false")


def _custom_properties(parent: etree._Element) -> None:
    _sub(_sub(parent, "customproperties"), "Option")


def _tree_group(parent: etree._Element, group: Group, layers: dict[str, ProjectLayer]) -> None:
    node = _sub(parent, "layer-tree-group", expanded="0", name=group.label, checked=_UNCHECKED)
    _custom_properties(node)
    _tree_children(node, group, layers)


def _tree_children(node: etree._Element, group: Group, layers: dict[str, ProjectLayer]) -> None:
    for layer_id in group.layers:
        layer = layers[layer_id]
        leaf = _sub(
            node,
            "layer-tree-layer",
            id=layer.id,
            legend_split_behavior="0",
            providerKey=layer.source.tree_provider,
            source=layer.source.source,
            expanded="0",
            legend_exp="",
            name=layer.name,
            patch_size="-1,-1",
            checked=_UNCHECKED,
        )
        _custom_properties(leaf)
    for child in group.groups:
        _tree_group(node, child, layers)


def _keywords(parent: etree._Element, vocabulary: str, values: Sequence[str]) -> None:
    if values:
        node = _sub(parent, "keywords", vocabulary=vocabulary)
        for value in values:
            _sub(node, "keyword", value)


def _metadata(
    parent: etree._Element, layer: ProjectLayer, info: ProjectInfo, theme_labels: list[str]
) -> None:
    meta = _sub(parent, "resourceMetadata")
    _sub(meta, "identifier", layer.record_id)
    _sub(meta, "parentidentifier", "")
    _sub(meta, "language", layer.language or "")
    _sub(meta, "type", layer.resource_type)
    _sub(meta, "title", layer.title)
    _sub(meta, "abstract", layer.abstract)
    _keywords(meta, info.themes_vocabulary, theme_labels)
    _keywords(meta, "gmd:keyword", layer.keywords)
    _keywords(meta, "gmd:topicCategory", layer.topic_categories)
    links = _sub(meta, "links")
    _link(links, "metadata", layer.record_url, "text/html")
    _sub(meta, "fees", "")
    _sub(meta, "encoding", "")
    _srs(_sub(meta, "crs"), layer.source.crs)
    extent = _sub(meta, "extent")
    if layer.bbox is not None:
        west, south, east, north = layer.bbox
        _sub(
            extent,
            "spatial",
            maxz="0",
            maxy=repr(north),
            crs="EPSG:4326",
            miny=repr(south),
            maxx=repr(east),
            minx=repr(west),
            dimensions="2",
            minz="0",
        )


def _map_layer(
    parent: etree._Element, layer: ProjectLayer, info: ProjectInfo, theme_labels: list[str]
) -> etree._Element:
    source = layer.source
    attrs = {
        "type": source.layer_type,
        "hasScaleBasedVisibilityFlag": "0",
        "styleCategories": "AllStyleCategories",
        "refreshOnNotifyEnabled": "0",
        "autoRefreshEnabled": "0",
        "autoRefreshTime": "0",
        "refreshOnNotifyMessage": "",
        "legendPlaceholderImage": "",
        "maxScale": "0",
        "minScale": "1e+08",
    }
    if source.layer_type == "vector":
        attrs.update(geometry="Unknown geometry", wkbType="Unknown", readOnly="1")
    node = _sub(parent, "maplayer", **attrs)
    _sub(node, "id", layer.id)
    _sub(node, "datasource", source.source)
    keyword_list = _sub(node, "keywordList")
    for keyword in layer.keywords or [""]:
        _sub(keyword_list, "value", keyword)
    _sub(node, "layername", layer.name)
    _srs(_sub(node, "srs"), source.crs)
    _metadata(node, layer, info, theme_labels)
    if source.layer_type == "vector":
        _sub(node, "provider", source.provider, encoding="")
    else:
        _sub(node, "provider", source.provider)
    style = _sub(node, "map-layer-style-manager", current="default")
    _sub(style, "map-layer-style", name="default")
    flags = _sub(node, "flags")
    for flag, value in (("Identifiable", "1"), ("Removable", "1"), ("Searchable", "1")):
        _sub(flags, flag, value)
    _sub(flags, "Private", "0")
    _custom_properties(node)
    return node


def project_document(
    info: ProjectInfo,
    tree: Group,
    layers: dict[str, ProjectLayer],
    theme_labels: dict[str, str],
    built: dict[str, etree._Element] | None = None,
) -> etree._ElementTree:
    """The project as an XML tree. `tree` is the root group (publish/qgis/tree.py), `layers`
    every layer it names, `theme_labels` concept id -> label for the layer keywords.
    `built` keeps each layer's <maplayer> across the projects of one set: a layer is in
    the whole-catalogue project and its themes' projects, and copying its element is
    several times cheaper than building it again."""
    root = etree.Element(
        "qgis",
        projectname=info.title,
        version=QGIS_VERSION,
        saveUser="moisson",
        saveUserFull="Moisson",
        saveDateTime=info.saved.strftime("%Y-%m-%dT%H:%M:%S"),
    )
    _sub(root, "homePath", path="")
    _sub(root, "title", info.title)
    _sub(root, "autotransaction", active="0")
    _sub(root, "evaluateDefaultValues", active="0")
    _sub(root, "trust", active="0")
    _srs(_sub(root, "projectCrs"), info.crs)
    tree_root = _sub(root, "layer-tree-group")
    _custom_properties(tree_root)
    _tree_children(tree_root, tree, layers)
    ids = tree.layer_ids()
    order = _sub(tree_root, "custom-order", enabled="0")
    for layer_id in ids:
        _sub(order, "item", layer_id)
    project_layers = _sub(root, "projectlayers")
    for layer_id in ids:
        known = built.get(layer_id) if built is not None else None
        if known is not None:
            project_layers.append(copy.deepcopy(known))
            continue
        layer = layers[layer_id]
        labels = [theme_labels[t] for t in layer.themes if t in theme_labels]
        node = _map_layer(project_layers, layer, info, labels)
        if built is not None:
            built[layer_id] = node
    layer_order = _sub(root, "layerorder")
    for layer_id in ids:
        _sub(layer_order, "layer", id=layer_id)
    properties = _sub(root, "properties")
    srs = _sub(properties, "SpatialRefSys")
    # QGIS 3.22 takes the project CRS from <projectCrs> only when it holds the WKT; with
    # the authority id alone it needs this property (checked in tests/qgis/).
    _sub(srs, "ProjectCrs", info.crs, type="QString")
    _sub(srs, "ProjectionsEnabled", "1", type="int")
    meta = _sub(root, "projectMetadata")
    _sub(meta, "identifier", info.name)
    _sub(meta, "parentidentifier", "")
    _sub(meta, "language", info.language)
    _sub(meta, "type", "")
    _sub(meta, "title", info.title)
    _sub(meta, "abstract", info.abstract)
    links = _sub(meta, "links")
    _link(links, "icon", info.icon_url, "image/png")
    _link(links, "Moisson", info.home_url, "text/html")
    _sub(meta, "author", "Moisson")
    _sub(meta, "creation", info.saved.strftime("%Y-%m-%dT%H:%M:%S"))
    return etree.ElementTree(root)


def _link(links: etree._Element, name: str, url: str, mime: str) -> None:
    """One web link of a layer's or the project's metadata, with every attribute QGIS writes."""
    _sub(
        links,
        "link",
        size="",
        description="",
        format="",
        mimeType=mime,
        name=name,
        type="WWW:LINK",
        url=url,
    )


def qgs_bytes(document: etree._ElementTree) -> bytes:
    """The .qgs file: QGIS's DOCTYPE line, then the XML (UTF-8, no XML declaration, as
    QGIS writes it)."""
    body: bytes = etree.tostring(document, encoding="utf-8", pretty_print=True)
    return b"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


def qgz_bytes(name: str, qgs: bytes, saved: datetime) -> bytes:
    """The .qgz file: a zip holding `<name>.qgs` (stamped `saved`, so equal input gives
    equal bytes and a stable ETag)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(f"{name}.qgs", date_time=saved.timetuple()[:6])
        entry.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(entry, qgs)
    return out.getvalue()
