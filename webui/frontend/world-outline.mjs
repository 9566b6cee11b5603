// The search map's bundled world outline: Natural Earth 1:110m countries (public domain,
// via the world-atlas package) as GeoJSON, coordinates rounded to 0.01 degree, written to
// the path given. Run by scripts/build_frontend.sh; no tile server is needed offline.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const topology = JSON.parse(readFileSync(require.resolve("world-atlas/countries-110m.json")));
const countries = feature(topology, topology.objects.countries);
const round = (value) =>
  Array.isArray(value) ? value.map(round) : Math.round(value * 100) / 100;
const outline = {
  type: "FeatureCollection",
  features: countries.features.filter((country) => country.geometry).map((country) => ({
    type: "Feature",
    properties: { name: country.properties.name },
    geometry: { type: country.geometry.type, coordinates: round(country.geometry.coordinates) },
  })),
};
writeFileSync(process.argv[2], JSON.stringify(outline));
