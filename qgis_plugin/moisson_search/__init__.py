"""Moisson search: a QGIS plugin searching a Moisson catalogue (see metadata.txt).

QGIS calls `classFactory(iface)`. The import stays inside it so that the pure modules
(service_links, wmts_capabilities) import without QGIS, for the packaging tests.
"""


def classFactory(iface):
    from .plugin import MoissonSearchPlugin

    return MoissonSearchPlugin(iface)
