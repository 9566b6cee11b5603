"""The Moisson search plugin for QGIS (`moisson_search/`, pure Python, runs inside QGIS)
and the code that packages it (`plugin_zip.py`, runs in Moisson). The plugin's files ship
in the wheel as package data so `moisson qgis plugin-zip` works from an installed Moisson."""
