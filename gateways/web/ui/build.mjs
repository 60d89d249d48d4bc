// Builds the page of enlace-web into OUT_DIR (run by the CMake build; no network):
//   node build.mjs OUT_DIR
// - app.js and app.css: src/app.js with Leaflet and milsymbol, bundled by esbuild (and
//   Leaflet's control images next to them);
// - index.html: src/index.html as it is;
// - basemap.json: country polygons from world-atlas (Natural Earth 1:50m, through
//   topojson-client), minus the few that cross the antimeridian (Leaflet would draw them
//   as a band across the map), and the rivers and lakes of @comapeo/fallback-smp's inline
//   GeoJSON. Coordinates are rounded to 0.001 degree (about 100 m): enough at the zooms
//   these sources are drawn for, and a third of the size.
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { feature } from 'topojson-client';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, 'src/app.js')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100'],
  loader: { '.png': 'file', '.svg': 'file' },
  assetNames: 'images/[name]',
  outdir: out,
  logLevel: 'warning',
  legalComments: 'linked',
});
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'));

// One file of a zip archive (a styled map package is a zip), stored or deflated.
function unzip(archive, name) {
  let end = archive.length - 22;
  while (end >= 0 && archive.readUInt32LE(end) !== 0x06054b50) --end;
  if (end < 0) throw new Error('not a zip archive');
  const entries = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  for (let i = 0; i < entries; ++i) {
    const method = archive.readUInt16LE(at + 10);
    const size = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const extra = archive.readUInt16LE(at + 30);
    const comment = archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    if (archive.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
      const data = archive.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    at += 46 + nameLength + extra + comment;
  }
  throw new Error(`no ${name} in the archive`);
}

const round = (value) => Math.round(value * 1000) / 1000;
function rounded(coordinates) {
  return typeof coordinates[0] === 'number' ? coordinates.map(round) : coordinates.map(rounded);
}
function slim(features) {
  return features
    .filter((f) => f.geometry)
    .map((f) => ({ type: 'Feature', properties: {}, geometry: { type: f.geometry.type, coordinates: rounded(f.geometry.coordinates) } }));
}
// A polygon whose ring jumps by more than 180 degrees of longitude crosses the antimeridian.
function crossesAntimeridian(geometry) {
  const rings = geometry.type === 'Polygon' ? geometry.coordinates : geometry.coordinates.flat();
  return rings.some((ring) => ring.some((p, i) => i > 0 && Math.abs(p[0] - ring[i - 1][0]) > 180));
}

const topology = JSON.parse(readFileSync(join(here, 'node_modules/world-atlas/countries-50m.json')));
const countries = feature(topology, topology.objects.countries).features.filter(
  (f) => f.geometry && !crossesAntimeridian(f.geometry));
const style = JSON.parse(unzip(readFileSync(join(here, 'node_modules/@comapeo/fallback-smp/dist/comapeo-fallback-map.smp')), 'style.json'));
const basemap = {
  countries: { type: 'FeatureCollection', features: slim(countries) },
  lakes: { type: 'FeatureCollection', features: slim(style.sources.lakes.data.features) },
  rivers: { type: 'FeatureCollection', features: slim(style.sources.rivers.data.features) },
};
writeFileSync(join(out, 'basemap.json'), JSON.stringify(basemap));
