// The web COP page: the picture enlace-web sends over /ws, on an offline map.
//
// Everything a publisher wrote reaches the DOM as text (textContent), never as markup.
// Times: the page corrects its clock by the server's (server_time_ms), so stale items go
// when the server says, whatever the browser's clock.
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import ms from 'milsymbol';
import './app.css';

const TRAIL_POINTS = 12; // short trails of friendly units
const FADE_MS = 10_000; // items fade this long before their stale time
const PANEL_ITEMS = 100; // per side-panel list

const map = L.map('map', { worldCopyJump: true, minZoom: 3 }).setView([-1.6, -72.5], 6);
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution('Natural Earth (world-atlas), CoMapeo fallback map');

const layers = {
  base: L.layerGroup().addTo(map),
  items: L.layerGroup().addTo(map),
};

fetch('basemap.json')
  .then((response) => response.json())
  .then((basemap) => {
    L.geoJSON(basemap.countries, { style: { color: '#8a8f98', weight: 1, fillColor: '#efece3', fillOpacity: 1 }, interactive: false }).addTo(layers.base);
    L.geoJSON(basemap.lakes, { style: { stroke: false, fillColor: '#9cc2e5', fillOpacity: 1 }, interactive: false }).addTo(layers.base);
    L.geoJSON(basemap.rivers, { style: { color: '#6fa8dc', weight: 1.2 }, interactive: false }).addTo(layers.base);
    document.body.dataset.basemap = 'ready';
  });

let clockOffset = 0; // server time - browser time, ms
const now = () => Date.now() + clockOffset;
const utc = (t) => new Date(t).toISOString().replace('.000', '').replace(/\.\d+Z$/, 'Z');

const items = new Map(); // id -> { data, layer, trail, points }
const symbols = new Map(); // sidc -> { url, anchor, size }

function symbolFor(sidc) {
  let symbol = symbols.get(sidc);
  if (!symbol) {
    const drawn = new ms.Symbol(sidc, { size: 26 });
    symbol = { url: drawn.toDataURL(), anchor: drawn.getAnchor(), size: drawn.getSize(), valid: drawn.isValid(), meta: drawn.getMetadata() };
    symbols.set(sidc, symbol);
  }
  return symbol;
}

function element(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (className) e.className = className;
  return e;
}

function describe(data) {
  const rows = [
    ['Kind', data.kind + (data.contact ? ` (${data.contact})` : '')],
    ['Name', data.name || data.callsign || data.title || data.track_id || data.unit_id || data.detection_id || data.alert_id],
    ['Identity', data.identity],
    ['SIDC', data.sidc],
    ['Origin', `${data.origin.nation} / ${data.origin.system}`],
    ['Label', data.label.marking],
    ['Sensor', data.sensor && `${data.sensor.type} ${data.sensor.id}`],
    ['Description', data.description],
    ['Media', data.media_uri],
    ['Observed', data.observed_ms && utc(data.observed_ms)],
    ['Published', utc(data.published_ms)],
    ['Stale', utc(data.stale_ms)],
  ];
  const list = element('dl', undefined, 'cop-popup');
  for (const [name, value] of rows) {
    if (value === undefined || value === null || value === '') continue;
    list.append(element('dt', name), element('dd', String(value)));
  }
  return list;
}

function markerFor(data) {
  const at = [data.position.lat, data.position.lon];
  if (data.kind === 'track' || data.kind === 'unit') {
    const symbol = symbolFor(data.sidc);
    const icon = L.icon({ iconUrl: symbol.url, iconSize: [symbol.size.width, symbol.size.height], iconAnchor: [symbol.anchor.x, symbol.anchor.y], className: 'cop-symbol' });
    return L.marker(at, { icon, keyboard: false });
  }
  if (data.kind === 'alert') {
    return L.marker(at, { icon: L.divIcon({ className: 'cop-alert', html: '!', iconSize: [22, 22] }) });
  }
  return L.circleMarker(at, { radius: 7, color: '#fff', weight: 2, fillColor: data.kind === 'detection' ? '#e8590c' : '#7048e8', fillOpacity: 0.9 });
}

function tag(layer, data) {
  const e = layer.getElement && layer.getElement();
  if (!e) return;
  e.dataset.id = data.id;
  e.dataset.kind = data.kind;
  if (data.sidc) e.dataset.sidc = data.sidc;
  e.classList.add('cop-item');
}

function panelEntry(data) {
  const li = element('li');
  li.dataset.id = data.id;
  const headline = data.kind === 'alert' ? `${data.severity.toUpperCase()} ${data.category.replace(/_/g, ' ')}: ${data.title || ''}`
    : data.kind === 'spot' ? `SALUTE ${data.report_id}: ${data.size || ''} ${data.activity || ''}`
      : data.body;
  li.append(element('div', headline));
  if (data.kind === 'spot') {
    li.append(element('div', [data.location_text, data.unit, data.equipment].filter(Boolean).join(' · ')));
  }
  li.append(element('div', `${data.origin.nation} ${data.origin.system} · ${utc(data.observed_ms || data.published_ms)}`, 'meta'));
  li.append(element('div', data.label.marking, 'marking'));
  return li;
}

function showInPanel(data) {
  const list = document.getElementById({ alert: 'alerts', spot: 'spots', text: 'chat' }[data.kind]);
  if (!list) return;
  list.querySelector(`li[data-id="${CSS.escape(data.id)}"]`)?.remove();
  list.prepend(panelEntry(data));
  while (list.children.length > PANEL_ITEMS) list.lastElementChild.remove();
}

function remove(id) {
  const item = items.get(id);
  if (!item) return;
  if (item.layer) layers.items.removeLayer(item.layer);
  if (item.trail) layers.items.removeLayer(item.trail);
  document.querySelectorAll(`#panel li[data-id="${CSS.escape(id)}"]`).forEach((li) => li.remove());
  items.delete(id);
}

function update(data) {
  if (data.stale_ms <= now()) return remove(data.id);
  const item = items.get(data.id) || { points: [] };
  item.data = data;
  items.set(data.id, item);
  showInPanel(data);
  if (!data.position) return;
  const at = [data.position.lat, data.position.lon];
  if (item.layer && data.kind !== 'track' && data.kind !== 'unit') {
    item.layer.setLatLng(at);
  } else {
    if (item.layer) layers.items.removeLayer(item.layer);
    item.layer = markerFor(data).addTo(layers.items);
  }
  item.layer.bindPopup(() => describe(item.data));
  tag(item.layer, data);
  item.layer.getElement()?.classList.remove('cop-stale');
  if (data.kind === 'unit') {
    const last = item.points[item.points.length - 1];
    if (!last || last[0] !== at[0] || last[1] !== at[1]) item.points.push(at);
    if (item.points.length > TRAIL_POINTS) item.points.shift();
    if (!item.trail) item.trail = L.polyline(item.points, { color: '#1c7ed6', weight: 2, opacity: 0.7, interactive: false }).addTo(layers.items);
    else item.trail.setLatLngs(item.points);
  }
}

// Once a second: the clock, fading and removal at the stale time.
setInterval(() => {
  const t = now();
  document.getElementById('clock').textContent = utc(t).slice(11);
  for (const [id, item] of items) {
    if (item.data.stale_ms <= t) remove(id);
    else if (item.data.stale_ms - t < FADE_MS) item.layer?.getElement()?.classList.add('cop-stale');
  }
}, 1000);

const banner = document.getElementById('banner');
function connection(state, text) {
  const label = document.getElementById('connection');
  label.dataset.state = state;
  label.textContent = state;
  banner.hidden = !text;
  banner.textContent = text || '';
  document.body.dataset.connection = state;
}

let retry = 500;
function connect() {
  const socket = new WebSocket(`ws://${location.host}/ws`);
  // A new connection brings the whole picture again: start from nothing.
  socket.onopen = () => {
    retry = 500;
    for (const id of [...items.keys()]) remove(id);
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'state') {
      clockOffset = message.server_time_ms - Date.now();
      document.getElementById('who').textContent = `${message.nation} · ${message.system} (${message.role})`;
      if (message.broker === 'connected') connection('connected');
      else connection(message.broker, `Broker unreachable (${message.broker}): the picture is not being updated; items disappear at their stale time.`);
    } else if (message.type === 'update') {
      for (const data of message.items) update(data);
      for (const id of message.removed) remove(id);
    }
  };
  socket.onclose = () => {
    connection('offline', 'The enlace-web server is unreachable: reconnecting…');
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 5000);
  };
}
connect();

// For the browser tests and the console: the items held and how a SIDC is drawn.
window.enlaceCop = { items, symbolFor };
