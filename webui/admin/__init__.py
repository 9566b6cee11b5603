"""The admin workbench (issue 16): theme mapping, duplicates and harvesting pages under
`/admin/`, for admins only. `blueprint` goes into webui.site.BLUEPRINTS; the page modules
imported here register their routes on it."""

from webui.admin import duplicates_pages, harvesting_pages, overview, themes_pages
from webui.admin.base import blueprint

__all__ = ["blueprint", "duplicates_pages", "harvesting_pages", "overview", "themes_pages"]
