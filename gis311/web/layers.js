// The map's sources and layers: the district layer as background (no basemap needed), the
// chosen district's outline, assets by type, and cases coloured by service and sized by their
// repeat reports. Colours of services come from the server's style (/tiles/style.json).

import { isoSeconds, url } from './api.js';

export const TYPE_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2',
  '#17becf', '#bcbd22', '#7f7f7f'];
const FALLBACK_COLOUR = '#555555';

// Service code -> colour, read from the `match` expression of the server style's cases layer.
export function servicePalette(serverStyle) {
  const colours = new Map();
  const layer = serverStyle.layers.find((l) => l.id === 'cases');
  const expr = layer && layer.paint && layer.paint['circle-color'];
  if (Array.isArray(expr) && expr[0] === 'match') {
    for (let i = 2; i < expr.length - 1; i += 2) colours.set(expr[i], expr[i + 1]);
  }
  return colours;
}

export function colourOf(palette, service) {
  return palette.get(service) || FALLBACK_COLOUR;
}

// The style the map starts with: a basemap when one is configured and reachable, else the
// server's plain background. Our layers are added on `load` (addLayers).
export async function startStyle(serverStyle) {
  const background = serverStyle.layers.find((l) => l.id === 'background');
  const basemap = serverStyle.metadata && serverStyle.metadata['gis311:basemap'];
  if (basemap) {
    try {
      const response = await fetch(basemap);
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      const style = await response.json();
      return { style, basemap: true };
    } catch (error) {
      console.warn(`basemap ${basemap} not loaded (${error.message}); districts only`);
    }
  }
  return { style: { version: 8, name: 'gis311', sources: {}, layers: [background] }, basemap: false };
}

export function casesUrl(state) {
  const params = new URLSearchParams({ status: state.status });
  if (state.view === 'councilor' && state.district) params.set('district', state.district);
  if (state.tilesVersion) params.set('_', String(state.tilesVersion));
  return url(`tiles/cases.json?${params}`);
}

function ageFilter(age) {
  if (!age) return [];
  const [kind, days] = age.split(':');
  const edge = isoSeconds(Date.now() - Number(days) * 864e5);
  return [[kind === 'new' ? '>=' : '<', ['get', 'requested_at'], edge]];
}

export function caseFilter(state) {
  // A case drawn as itself carries its number (a cluster of one does too); clusters do not.
  const parts = ['all', ['has', 'number']];
  if (state.service) parts.push(['==', ['get', 'service_code'], state.service]);
  return parts.concat(ageFilter(state.age));
}

function assetFilter(state, geometry) {
  return ['all', ['==', ['geometry-type'], geometry],
    ['in', ['get', 'type'], ['literal', [...state.shownTypes]]]];
}

function typeColours(types) {
  const expr = ['match', ['get', 'type']];
  types.forEach((t, i) => expr.push(t.code, TYPE_COLOURS[i % TYPE_COLOURS.length]));
  expr.push(FALLBACK_COLOUR);
  return types.length ? expr : FALLBACK_COLOUR;
}

export function districtLayers(map, layer, basemap) {
  for (const id of ['districts-fill', 'districts-line']) {
    if (map.getLayer(id)) map.removeLayer(id);
  }
  if (map.getSource('districts')) map.removeSource('districts');
  if (!layer) return;
  map.addSource('districts', { type: 'vector', url: url(`tiles/boundaries/${encodeURIComponent(layer)}.json`) });
  const before = map.getLayer('district-fill') ? 'district-fill' : undefined;
  map.addLayer({
    id: 'districts-fill', type: 'fill', source: 'districts', 'source-layer': layer,
    paint: { 'fill-color': '#d9e6f2', 'fill-opacity': basemap ? 0.15 : 0.55 },
  }, before);
  map.addLayer({
    id: 'districts-line', type: 'line', source: 'districts', 'source-layer': layer,
    paint: { 'line-color': '#36648b', 'line-width': 1.2 },
  }, before);
}

export function addLayers(map, ctx) {
  const { state, palette, assetTypes } = ctx;
  districtLayers(map, state.layer, ctx.basemap);
  map.addSource('district', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'district-fill', type: 'fill', source: 'district',
    paint: { 'fill-color': '#1b4f72', 'fill-opacity': 0.06 },
  });
  map.addLayer({
    id: 'district-outline', type: 'line', source: 'district',
    paint: { 'line-color': '#1b4f72', 'line-width': 3.5 },
  });
  map.addSource('assets', { type: 'vector', url: url('tiles/assets.json') });
  map.addLayer({
    id: 'assets-lines', type: 'line', source: 'assets', 'source-layer': 'assets', minzoom: 13,
    filter: assetFilter(state, 'LineString'),
    paint: { 'line-color': typeColours(assetTypes), 'line-width': 2, 'line-opacity': 0.6 },
  });
  map.addLayer({
    id: 'assets-points', type: 'circle', source: 'assets', 'source-layer': 'assets', minzoom: 13,
    filter: assetFilter(state, 'Point'),
    paint: {
      'circle-color': typeColours(assetTypes), 'circle-radius': ['interpolate', ['linear'], ['zoom'], 13, 1.5, 18, 5],
      'circle-opacity': 0.8,
    },
  });
  const colour = ['match', ['get', 'service_code']];
  for (const [code, value] of palette) colour.push(code, value);
  colour.push(FALLBACK_COLOUR);
  map.addSource('cases', { type: 'vector', url: casesUrl(state) });
  map.addLayer({
    id: 'cases-clusters', type: 'circle', source: 'cases', 'source-layer': 'cases',
    filter: ['!', ['has', 'number']],
    paint: {
      'circle-color': '#d7301f', 'circle-opacity': 0.55,
      'circle-radius': ['interpolate', ['linear'], ['get', 'count'], 1, 4, 100, 14, 1000, 24],
    },
  });
  map.addLayer({
    id: 'cases', type: 'circle', source: 'cases', 'source-layer': 'cases',
    filter: caseFilter(state),
    paint: {
      'circle-color': palette.size ? colour : FALLBACK_COLOUR,
      'circle-radius': ['+', 5, ['*', 0.9, ['min', 12, ['coalesce', ['get', 'duplicate_count'], 0]]]],
      'circle-opacity': ['case', ['==', ['get', 'status'], 'closed'], 0.45, 0.9],
      'circle-stroke-color': ['match', ['get', 'status'], 'in_progress', '#111111', '#ffffff'],
      'circle-stroke-width': ['match', ['get', 'status'], 'in_progress', 2.5, 1],
    },
  });
  map.addLayer({
    id: 'case-selected', type: 'circle', source: 'cases', 'source-layer': 'cases',
    filter: ['==', ['get', 'number'], ''],
    paint: {
      'circle-color': 'rgba(0,0,0,0)', 'circle-radius': 14,
      'circle-stroke-color': '#e67e22', 'circle-stroke-width': 3,
    },
  });
}

export function applyFilters(map, state) {
  map.setFilter('cases', caseFilter(state));
  map.setFilter('assets-lines', assetFilter(state, 'LineString'));
  map.setFilter('assets-points', assetFilter(state, 'Point'));
}

export function reloadCases(map, state) {
  map.getSource('cases').setUrl(casesUrl(state));
}

export function selectCase(map, number) {
  map.setFilter('case-selected', ['==', ['get', 'number'], number || '']);
}

// [[minlon, minlat], [maxlon, maxlat]] of a GeoJSON geometry.
export function bounds(geometry) {
  let minx = Infinity; let miny = Infinity; let maxx = -Infinity; let maxy = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      minx = Math.min(minx, c[0]); maxx = Math.max(maxx, c[0]);
      miny = Math.min(miny, c[1]); maxy = Math.max(maxy, c[1]);
    } else c.forEach(walk);
  };
  walk(geometry.coordinates);
  return [[minx, miny], [maxx, maxy]];
}
