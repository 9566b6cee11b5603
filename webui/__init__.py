"""The web interface (issue 16): server-rendered pages for people, beside the JSON API.

Jinja2 templates in Flask, htmx for progressive enhancement (every search and record page
works with JavaScript off), Leaflet for the map, Chart.js for charts; the browser libraries
come from webui/frontend/package-lock.json at build time (scripts/build_frontend.sh) and are
served from /static/vendor/, never from a CDN. `webui.site` lists the blueprints that
search_api/app.py mounts. See docs/webui.md.
"""
