"""QGIS projects for the IDG plugin and its forks (docs/qgis.md).

Routes under `[qgis] prefix` (default `/qgis`):

- `GET /qgis/platforms.json`: the plugin's platform list, `[{"name", "url"}]`; with
  `?format=legacy` the older `{"name": "url"}` form. One entry for the whole catalogue and
  one per top-level theme with layers (`[qgis] per_theme`), URLs ending in `<name>.qgz`
  (or `.qgs`, `[qgis] project_format`);
- `GET /qgis/projects/<name>.qgs` and `.qgz`: the project (publish/qgis/project_builder.py);
  an unknown name is a 404;
- `GET /qgis/icon.png`: the icon every project's metadata links to as `icon`.

Every answer carries an `ETag` (derived from the index generation, publish/qgis/catalogue.py,
so it is the same in every worker) and `Last-Modified` (when this worker first saw that
generation), and answers 304 to a matching `If-None-Match` / `If-Modified-Since`. The
projects are built on first request and kept until the index changes. Errors are JSON
problem details, as on the DCAT endpoint.
"""

from publish.qgis.endpoint import QgisProjects

__all__ = ["QgisProjects"]
