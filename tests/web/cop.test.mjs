// Browser tests of enlace-web (docs/gateways/web.md): one broker, four web COPs, Debian's
// chromium. Each test waits on the event itself, with a generous bound, and saves a
// screenshot under ENLACE_WEB_TEST_OUT. The broker is stopped by the last test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Coalition, launchBrowser, until, out } from './harness.mjs';

const coalition = new Coalition();
let browser;
const pages = {};

const hasItem = (page, id) => page.evaluate((i) => window.enlaceCop.items.has(i), id);
const onMap = (page, id) => page.evaluate((i) => document.querySelector(`.cop-item[data-id="${CSS.escape(i)}"]`) !== null, id);
const shot = (page, name) => page.screenshot({ path: join(out, `${name}.png`) });
const track = (id, lat, lon, more = {}) => ({ track_id: id, position: { point: { lat_deg: lat, lon_deg: lon } }, ...more });

before(async () => {
  await coalition.startBroker();
  browser = await launchBrowser();
  for (const nation of ['ECU', 'BRA']) {
    const url = await coalition.startWeb(nation);
    pages[nation] = await browser.context.newPage();
    await pages[nation].goto(url);
    await until(`the ${nation} page connected`, () => pages[nation].evaluate(() => document.body.dataset.connection === 'connected'));
  }
});

after(async () => {
  await browser?.context.close();
  coalition.stop();
  assert.deepEqual(browser?.blocked ?? [], [], 'requests that left the loopback');
  assert.deepEqual(browser?.problems ?? [], [], 'console errors or page errors (CSP violations among them)');
});

test('the ECU page shows the ECU-only drone detection and the BRA page does not', async () => {
  coalition.publish('ecu-drone', 'detection.ECU.drone.D1', 'Detection', {
    detection_id: 'D1', sensor: { type: 'Drone', id: 'ED-1' }, kind: 'Vessel',
    position: { point: { lat_deg: -0.25, lon_deg: -75.2 } }, description: 'canoe, 3 persons',
  }, ['--release', 'ECU']);
  // The marker: a Leticia radar track every nation here may see, published after.
  coalition.publish('col-radar', 'track.COL.radar.leticia.T7', 'Track', track('T7', -4.2, -69.9, { identity: 'Unknown', dimension: 'SeaSurface' }));
  const detection = 'detection:ECU:ecu-drone:D1';
  await until('the detection on the ECU map', () => onMap(pages.ECU, detection));
  await until('the marker track on the BRA page', () => hasItem(pages.BRA, 'track:COL:col-radar:T7'));
  assert.equal(await hasItem(pages.BRA, detection), false);
  assert.equal(await onMap(pages.BRA, detection), false);
  await pages.ECU.click(`.cop-item[data-id="${detection}"]`);
  const popup = await until('the popup', () => pages.ECU.evaluate(() => document.querySelector('.leaflet-popup-content')?.textContent));
  assert.match(popup, /ECU \/ ecu-drone/);
  assert.match(popup, /REL TO ECU/);
  await shot(pages.ECU, 'ecu-drone-detection');
  await shot(pages.BRA, 'bra-without-detection');
});

test("a hostile vessel's symbol is the hostile sea-surface symbol of its SIDC", async () => {
  const sidc = '10063000001201000000'; // 2525D: hostile, sea surface, military combatant
  coalition.publish('col-radar', 'track.COL.radar.leticia.H1', 'Track', track('H1', -4.3, -70.1, { identity: 'Hostile', dimension: 'SeaSurface', kind: 'Vessel', sidc }));
  const id = 'track:COL:col-radar:H1';
  await until('the hostile vessel on the BRA map', () => onMap(pages.BRA, id));
  const drawn = await pages.BRA.evaluate((i) => {
    const e = document.querySelector(`.cop-item[data-id="${i}"]`);
    const symbol = window.enlaceCop.symbolFor(e.dataset.sidc);
    return { sidc: e.dataset.sidc, src: e.getAttribute('src'), url: symbol.url, valid: symbol.valid, affiliation: symbol.meta.affiliation, dimension: symbol.meta.dimension };
  }, id);
  assert.equal(drawn.sidc, sidc);
  assert.equal(drawn.src, drawn.url);
  assert.equal(drawn.valid, true);
  assert.equal(drawn.affiliation, 'Hostile');
  assert.equal(drawn.dimension, 'Sea');
  await shot(pages.BRA, 'hostile-vessel');
});

test('a stale track disappears at its stale time', async () => {
  coalition.publish('col-radar', 'track.COL.radar.rx1.S1', 'Track', track('S1', -0.2, -74.8, { identity: 'Suspect', dimension: 'SeaSurface' }), ['--ttl', '4']);
  const id = 'track:COL:col-radar:S1';
  await until('the short-lived track on the ECU map', () => onMap(pages.ECU, id));
  await shot(pages.ECU, 'stale-track-before');
  await until('the stale track gone from the ECU map', async () => !(await onMap(pages.ECU, id)) && !(await hasItem(pages.ECU, id)), 30_000);
  await shot(pages.ECU, 'stale-track-after');
});

test('the banner appears when the broker stops', async () => {
  coalition.stopBroker();
  await until('the broker banner on the ECU page', () => pages.ECU.evaluate(() => {
    const banner = document.getElementById('banner');
    return !banner.hidden && banner.textContent.includes('Broker unreachable');
  }), 30_000);
  await shot(pages.ECU, 'broker-unreachable');
});
