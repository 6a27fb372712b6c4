// The gis311 map page: a councilor's district (its outline, its cases on the map and in a list)
// or a crew's surroundings (assets and open cases around the map centre). The API key is
// entered once, kept in sessionStorage and sent with every tile and API request.

import {
  authHeaders, request, sameOrigin, say, storeKey, storedKey, STATUS_LABELS,
} from './api.js';
import * as layers from './layers.js';
import * as panels from './panels.js';

const PUBLIC = { role: 'public', districts: [], departments: [], name: null };
const LIST_LIMIT = 100;

const state = {
  view: 'councilor', layer: '', district: '', service: '', status: 'open,in_progress', age: '',
  shownTypes: new Set(), tilesVersion: 0,
};
const ctx = {
  state, me: PUBLIC, services: new Map(), palette: new Map(), assetTypes: [], typeNames: new Map(),
  districts: new Map(), basemap: false, nextPage: null, changed: () => {},
};
const $ = (id) => document.getElementById(id);

async function whoami() {
  if (!storedKey()) return PUBLIC;
  try {
    return await request('api/v1/me');
  } catch (error) {
    if (error.status !== 401) throw error;
    storeKey('');
    say('That API key is not valid (unknown or revoked): showing the public view.');
    return PUBLIC;
  }
}

function describe(me) {
  if (me.role === 'public') return 'Public view (no key)';
  const scope = [...me.districts, ...me.departments].join(', ');
  return `Signed in: ${me.role}${me.name ? ` (${me.name})` : ''}${scope ? ` · ${scope}` : ''}`;
}

function hashParams() {
  return new URLSearchParams(window.location.hash.slice(1));
}

function writeHash() {
  const params = new URLSearchParams({ view: state.view });
  if (state.view === 'councilor' && state.district) params.set('district', state.district);
  else if (state.layer) params.set('layer', state.layer);
  window.history.replaceState(null, '', `#${params}`);
}

async function loadDistricts(layer) {
  if (!layer || ctx.districts.has(layer)) return;
  const collection = await request(`api/v1/boundaries/${encodeURIComponent(layer)}`);
  const byCode = new Map();
  for (const feature of collection.features) byCode.set(String(feature.id), feature);
  ctx.districts.set(layer, byCode);
}

function districtFeature(key) {
  const [layer, code] = key.split(/:(.*)/s);
  const byCode = ctx.districts.get(layer);
  return byCode ? byCode.get(code) : undefined;
}

function districtName(key) {
  const feature = districtFeature(key);
  return feature ? feature.properties.name : key;
}

function fillDistrictSelect() {
  const select = $('district-select');
  const councilor = ctx.me.role === 'councilor';
  const keys = councilor ? ctx.me.districts
    : [...(ctx.districts.get(state.layer) || new Map()).keys()].map((code) => `${state.layer}:${code}`);
  const options = keys.map((key) => new Option(districtName(key), key, false, key === state.district));
  if (!councilor) options.unshift(new Option('Whole city', '', false, state.district === ''));
  select.replaceChildren(...options);
  $('layer-row').hidden = councilor || state.view === 'crew';
  $('district-row').hidden = state.view === 'crew';
}

function fillControls(layerCodes) {
  $('layer-select').replaceChildren(...layerCodes.map((l) => new Option(l.name, l.code, false, l.code === state.layer)));
  const service = $('service-select');
  for (const [code, name] of ctx.services) service.append(new Option(name, code));
  const box = $('asset-types');
  ctx.assetTypes.forEach((t, i) => {
    const input = document.createElement('input');
    Object.assign(input, { type: 'checkbox', value: t.code, checked: state.shownTypes.has(t.code) });
    input.addEventListener('change', () => {
      if (input.checked) state.shownTypes.add(t.code); else state.shownTypes.delete(t.code);
      layers.applyFilters(window.map, state);
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = layers.TYPE_COLOURS[i % layers.TYPE_COLOURS.length];
    const label = document.createElement('label');
    label.append(input, swatch, t.name);
    box.append(label);
  });
  $('legend').replaceChildren(...[...ctx.services].map(([code, name]) => {
    const li = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = layers.colourOf(ctx.palette, code);
    li.append(swatch, name);
    return li;
  }));
}

function listParams() {
  const params = new URLSearchParams({ status: state.status, limit: String(LIST_LIMIT) });
  if (state.service) params.set('service_code', state.service);
  if (state.age) {
    const [kind, days] = state.age.split(':');
    const edge = new Date(Date.now() - Number(days) * 864e5).toISOString();
    params.set(kind === 'new' ? 'requested_after' : 'requested_before', edge);
  }
  return params;
}

function statusWords() {
  return state.status === 'open,in_progress' ? 'Open cases'
    : `Cases ${state.status.split(',').map((s) => STATUS_LABELS[s]).join(' or ')}`;
}

async function refreshList() {
  const map = window.map;
  const params = listParams();
  try {
    if (state.view === 'crew') {
      const b = map.getBounds();
      const clamp = (v, lim) => Math.max(-lim, Math.min(lim, v));
      params.set('bbox', [clamp(b.getWest(), 180), clamp(b.getSouth(), 85), clamp(b.getEast(), 180),
        clamp(b.getNorth(), 85)].join(','));
      params.set('limit', '200');
      const page = await request(`api/v1/cases?${params}`);
      const centre = map.getCenter();
      const distances = new Map(page.cases.map((c) => [c.number, centre.distanceTo({ lng: c.lon, lat: c.lat })]));
      const near = page.cases.sort((a, b2) => distances.get(a.number) - distances.get(b2.number)).slice(0, 50);
      panels.renderList(ctx, `${statusWords()} near the map centre`, near, { distances });
    } else {
      if (state.district) params.set('district', state.district);
      const page = await request(`api/v1/cases?${params}`);
      const where = state.district ? districtName(state.district) : 'the whole city';
      panels.renderList(ctx, `${statusWords()} in ${where}`, page.cases, { more: page.next });
    }
  } catch (error) {
    say(`Could not load the cases: ${error.message}`);
  }
}

async function moreCases() {
  if (!ctx.nextPage) return;
  try {
    const page = await request(ctx.nextPage);
    panels.renderList(ctx, $('list-title').textContent, page.cases, { append: true, more: page.next });
  } catch (error) {
    say(`Could not load more cases: ${error.message}`);
  }
}

function applyView({ move = true } = {}) {
  const map = window.map;
  fillDistrictSelect();
  const feature = state.view === 'councilor' && state.district ? districtFeature(state.district) : null;
  map.getSource('district').setData({ type: 'FeatureCollection', features: feature ? [feature] : [] });
  layers.reloadCases(map, state);
  if (move && feature) map.fitBounds(layers.bounds(feature.geometry), { padding: 30, animate: false });
  writeHash();
  refreshList();
}

function wireControls() {
  for (const radio of document.querySelectorAll('input[name="view"]')) {
    radio.checked = radio.value === state.view;
    radio.addEventListener('change', () => {
      state.view = radio.value;
      if (state.view === 'crew' && state.shownTypes.size === 0) {
        ctx.assetTypes.forEach((t) => state.shownTypes.add(t.code));
        for (const box of document.querySelectorAll('#asset-types input')) box.checked = true;
        layers.applyFilters(window.map, state);
        if (window.map.getZoom() < 15) window.map.easeTo({ zoom: 15 });
      }
      applyView({ move: state.view === 'councilor' });
    });
  }
  $('layer-select').addEventListener('change', async (event) => {
    state.layer = event.target.value;
    state.district = '';
    await loadDistricts(state.layer);
    layers.districtLayers(window.map, state.layer, ctx.basemap);
    applyView();
  });
  $('district-select').addEventListener('change', (event) => {
    state.district = event.target.value;
    applyView();
  });
  $('service-select').addEventListener('change', (event) => {
    state.service = event.target.value;
    layers.applyFilters(window.map, state);
    refreshList();
  });
  $('age-select').addEventListener('change', (event) => {
    state.age = event.target.value;
    layers.applyFilters(window.map, state);
    refreshList();
  });
  $('status-select').addEventListener('change', (event) => {
    state.status = event.target.value;
    layers.reloadCases(window.map, state);
    refreshList();
  });
  $('list-more').addEventListener('click', moreCases);
  $('controls').addEventListener('submit', (event) => event.preventDefault());
}

function wireKeyForm() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    storeKey(key);
    window.location.reload();
  });
  $('key-forget').addEventListener('click', () => {
    storeKey('');
    window.location.reload();
  });
}

function wireMap(map) {
  const clickable = () => ['cases', 'assets-points', 'assets-lines'].filter((id) => map.getLayer(id));
  const around = (p) => [[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]];
  map.on('click', (event) => {
    const hits = map.queryRenderedFeatures(around(event.point), { layers: clickable() });
    const hitCase = hits.find((f) => f.layer.id === 'cases');
    if (hitCase) return panels.showCase(ctx, hitCase.properties.number);
    const asset = hits.find((f) => f.layer.id.startsWith('assets'));
    if (asset) return panels.showAsset(ctx, asset.properties.asset_id);
    const cluster = map.queryRenderedFeatures(around(event.point), { layers: ['cases-clusters'] })[0];
    if (cluster) map.easeTo({ center: event.lngLat, zoom: Math.min(map.getZoom() + 2, 14) });
    return undefined;
  });
  map.on('mousemove', (event) => {
    const hits = map.queryRenderedFeatures(around(event.point), { layers: clickable() });
    map.getCanvas().style.cursor = hits.length ? 'pointer' : '';
  });
  let timer = null;
  map.on('moveend', () => {
    if (state.view !== 'crew') return;
    window.clearTimeout(timer);
    timer = window.setTimeout(refreshList, 250);
  });
}

function startView(layerCodes) {
  const hash = hashParams();
  state.view = hash.get('view') === 'crew' || (!hash.get('view') && ctx.me.role === 'crew') ? 'crew' : 'councilor';
  const wanted = hash.get('district') || '';
  if (ctx.me.role === 'councilor') {
    state.district = ctx.me.districts.includes(wanted) ? wanted : ctx.me.districts[0] || '';
    state.layer = state.district.split(':')[0];
  } else {
    const codes = layerCodes.map((l) => l.code);
    const layer = wanted.split(':')[0] || hash.get('layer');
    state.layer = codes.includes(layer) ? layer : state.layer || codes[0] || '';
    state.district = wanted.startsWith(`${state.layer}:`) ? wanted : '';
  }
  if (state.view === 'crew') ctx.assetTypes.forEach((t) => state.shownTypes.add(t.code));
}

async function init() {
  wireKeyForm();
  ctx.me = await whoami();
  $('who').textContent = describe(ctx.me);
  const [serverStyle, services, types, boundaryLayers] = await Promise.all([
    request('tiles/style.json'), request('open311/v2/services.json'), request('api/v1/asset-types'),
    request('api/v1/boundaries'),
  ]);
  ctx.palette = layers.servicePalette(serverStyle);
  for (const s of services) ctx.services.set(s.service_code, s.service_name);
  ctx.assetTypes = types.asset_types.map((t) => ({ code: t.code, name: t.name }));
  for (const t of ctx.assetTypes) ctx.typeNames.set(t.code, t.name);
  const layerCodes = boundaryLayers.layers.map((l) => ({ code: l.code, name: l.name }));
  const styleLayer = serverStyle.layers.find((l) => l.id === 'districts-fill');
  state.layer = styleLayer ? styleLayer['source-layer'] : '';
  startView(layerCodes);
  const districtLayers = new Set([state.layer, ...ctx.me.districts.map((d) => d.split(':')[0])]);
  await Promise.all([...districtLayers].filter(Boolean).map(loadDistricts));
  if (!state.district && ctx.me.role !== 'councilor' && state.view === 'councilor') {
    const first = [...(ctx.districts.get(state.layer) || new Map()).keys()][0];
    if (first !== undefined) state.district = `${state.layer}:${first}`;
  }
  fillControls(layerCodes);
  wireControls();

  const all = [...ctx.districts.values()].flatMap((m) => [...m.values()]);
  const cityBounds = all.length
    ? layers.bounds({ coordinates: all.map((f) => f.geometry.coordinates) }) : [[-180, -80], [180, 80]];
  const started = await layers.startStyle(serverStyle);
  ctx.basemap = started.basemap;
  const map = new maplibregl.Map({
    container: 'map',
    style: started.style,
    bounds: cityBounds,
    fitBoundsOptions: { padding: 20 },
    attributionControl: { compact: true },
    transformRequest: (target) => (sameOrigin(target) ? { url: target, headers: authHeaders() } : { url: target }),
  });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  ctx.changed = () => {
    state.tilesVersion = Date.now();
    layers.reloadCases(map, state);
    refreshList();
  };
  map.on('load', () => {
    layers.addLayers(map, ctx);
    wireMap(map);
    if (state.view === 'crew') map.jumpTo({ center: map.getCenter(), zoom: Math.max(map.getZoom(), 15) });
    applyView();
    map.once('idle', () => { document.body.dataset.ready = 'true'; });
  });
}

init().catch((error) => {
  console.error(error);
  say(`The map could not start: ${error.message}`);
});
