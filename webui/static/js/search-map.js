// The search map (Leaflet): the bundled world outline (and tiles when configured), the
// result extents, and a search box to draw or move. Progressive enhancement: without this
// script the page shows the four number inputs of the area, which the map only fills.
(function () {
  "use strict";

  const BOX_FIELDS = ["west", "south", "east", "north"];
  let outline = null; // the GeoJSON, fetched once per page load

  function readData() {
    const element = document.getElementById("map-data");
    return element ? JSON.parse(element.textContent) : null;
  }

  function boundsOf(bbox) {
    return L.latLngBounds([bbox[1], bbox[0]], [bbox[3], bbox[2]]);
  }

  function round(value) {
    return Math.round(value * 1000) / 1000;
  }

  function clamp(value, limit) {
    return Math.max(-limit, Math.min(limit, value));
  }

  function boxInputs() {
    return BOX_FIELDS.map((name) => document.getElementById("box-" + name));
  }

  function setInputs(bounds) {
    const values = [
      clamp(bounds.getWest(), 180),
      clamp(bounds.getSouth(), 90),
      clamp(bounds.getEast(), 180),
      clamp(bounds.getNorth(), 90),
    ];
    boxInputs().forEach((input, index) => {
      if (input) input.value = String(round(values[index]));
    });
  }

  function submitArea(container) {
    const form = container.closest("form");
    if (form) form.requestSubmit();
  }

  function addOutline(map, data) {
    const draw = (geojson) =>
      L.geoJSON(geojson, {
        interactive: false,
        style: { color: "#6b7785", weight: 1, fillColor: "#e8edf1", fillOpacity: 1 },
      }).addTo(map).bringToBack();
    if (outline) {
      draw(outline);
      return;
    }
    fetch(data.outline)
      .then((response) => response.json())
      .then((geojson) => {
        outline = geojson;
        draw(geojson);
      })
      .catch(() => {}); // the map still works without the outline
  }

  function init() {
    const container = document.getElementById("map");
    const data = readData();
    if (!container || !data || typeof L === "undefined" || container.dataset.ready) return;
    container.dataset.ready = "1";
    container.hidden = false;
    document.querySelectorAll(".map-help").forEach((help) => (help.hidden = false));
    const readonly = Boolean(data.readonly);
    const map = L.map(container, {
      boxZoom: false, // Shift+drag draws the search box instead
      worldCopyJump: true,
      minZoom: 1,
      maxBounds: [[-90, -540], [90, 540]],
      attributionControl: Boolean(data.tiles),
    });
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.attribution || "" }).addTo(map);
    } else {
      container.classList.add("no-tiles");
    }
    addOutline(map, data);

    const extents = L.featureGroup().addTo(map);
    for (const hit of data.hits || []) {
      const rectangle = L.rectangle(boundsOf(hit.bbox), {
        color: "#0b5cad",
        weight: 1,
        fillOpacity: 0.08,
      });
      rectangle.bindTooltip(hit.title);
      if (!readonly) {
        rectangle.on("click", () => (window.location.href = "/records/" + encodeURIComponent(hit.id)));
      }
      rectangle.addTo(extents);
    }

    let box = null;
    if (data.bbox) {
      box = L.rectangle(boundsOf(data.bbox), { color: "#c1440e", weight: 2, fillOpacity: 0.05 });
      box.addTo(map);
    }
    const focus = box ? box.getBounds() : extents.getLayers().length ? extents.getBounds() : null;
    if (focus && focus.isValid()) {
      map.fitBounds(focus, { padding: [12, 12], maxZoom: 8 });
    } else {
      map.setView([30, 0], 1);
    }
    if (readonly) return;

    // Drawing: Shift+drag, or the "Draw a box" button then drag. Moving: drag the box.
    let drawing = false;
    let start = null;
    let moving = null;
    const button = L.control({ position: "topright" });
    button.onAdd = function () {
      const element = L.DomUtil.create("button", "map-draw");
      element.type = "button";
      element.textContent = container.dataset.drawLabel || "Draw a box";
      element.setAttribute("aria-pressed", "false");
      L.DomEvent.disableClickPropagation(element);
      L.DomEvent.on(element, "click", () => {
        drawing = !drawing;
        element.setAttribute("aria-pressed", String(drawing));
        container.classList.toggle("drawing", drawing);
      });
      return element;
    };
    button.addTo(map);

    map.on("mousedown", (event) => {
      const shift = event.originalEvent.shiftKey;
      if (box && !drawing && !shift && box.getBounds().contains(event.latlng)) {
        moving = { from: event.latlng, bounds: box.getBounds() };
        map.dragging.disable();
        return;
      }
      if (!drawing && !shift) return;
      start = event.latlng;
      map.dragging.disable();
      if (box) box.remove();
      box = L.rectangle(L.latLngBounds(start, start), {
        color: "#c1440e",
        weight: 2,
        fillOpacity: 0.05,
      }).addTo(map);
    });
    map.on("mousemove", (event) => {
      if (start && box) {
        box.setBounds(L.latLngBounds(start, event.latlng));
      } else if (moving && box) {
        const dLat = event.latlng.lat - moving.from.lat;
        const dLng = event.latlng.lng - moving.from.lng;
        const b = moving.bounds;
        box.setBounds(
          L.latLngBounds([b.getSouth() + dLat, b.getWest() + dLng], [b.getNorth() + dLat, b.getEast() + dLng])
        );
      }
    });
    map.on("mouseup", () => {
      if (!start && !moving) return;
      const moved = moving;
      start = null;
      moving = null;
      map.dragging.enable();
      if (!box) return;
      const bounds = box.getBounds();
      if (!moved && bounds.getNorthEast().equals(bounds.getSouthWest())) return; // a click
      setInputs(bounds);
      submitArea(container);
    });
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
