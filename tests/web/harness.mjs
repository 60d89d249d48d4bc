// What the browser tests of enlace-web stand on: a real broker on a free loopback port
// with a policy and keys made here, one enlace-web per nation, scripted publishers (the
// `enlace pub` tool), and Debian's chromium driven by playwright-core, with every request
// that leaves the loopback aborted and counted.
//
// Paths come from the environment CTest sets (tests/web/CMakeLists.txt):
//   ENLACE_BROKER, ENLACE_TOOL, ENLACE_WEB, ENLACE_WEB_UI, ENLACE_WEB_TEST_OUT.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run through ctest)`);
  return value;
};
export const out = env('ENLACE_WEB_TEST_OUT');
mkdirSync(out, { recursive: true });

// Polls `probe` until it returns a truthy value, up to `ms`; never a fixed sleep.
export async function until(what, probe, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function start(program, args, logName) {
  const log = join(out, logName);
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d) => { text += d; });
  child.stderr.on('data', (d) => { text += d; });
  child.on('exit', () => writeFileSync(log, text));
  child.logText = () => text;
  return child;
}

const NATIONS = ['COL', 'ECU', 'PER', 'BRA'];

export class Coalition {
  constructor() {
    this.dir = mkdtempSync(join(out, 'coalition-'));
    this.children = [];
    this.webs = {};
  }

  keygen(name) {
    execFileSync(env('ENLACE_TOOL'), ['keygen', join(this.dir, name)], { stdio: 'ignore' });
    return readFileSync(join(this.dir, `${name}.pub`), 'utf8').trim().split('\n').pop();
  }

  // COL, ECU and PER share tracks and detections by agreement; BRA is party to none, so
  // it sees what is labelled for it and the tracks of the tri-border agreement.
  writePolicy() {
    const systems = [
      ['col-web', 'COL', 'command_post'], ['ecu-web', 'ECU', 'command_post'],
      ['per-web', 'PER', 'command_post'], ['bra-web', 'BRA', 'command_post'],
      ['col-radar', 'COL', 'sensor'], ['ecu-drone', 'ECU', 'sensor'],
    ];
    let text = `[coalition]\nname = "Web test"\npolicy_identifier = "urn:enlace:coalition:webtest"\n\n`;
    for (const n of NATIONS) text += `[nations.${n}]\nname = "${n}"\n\n`;
    text += `[roles.command_post]
publish.allow = ["text.{nation}.>", "spot.{nation}.>", "alert.{nation}.>"]
subscribe.allow = ["position.>", "track.>", "detection.>", "alert.>", "spot.>", "text.>"]

[roles.sensor]
publish.allow = ["track.{nation}.>", "detection.{nation}.>"]

[[agreements]]
name = "joint-patrol"
parties = ["COL", "ECU", "PER"]
topics = ["track.>", "detection.>"]

[[agreements]]
name = "tri-border"
parties = ["COL", "PER", "BRA"]
topics = ["track.*.radar.leticia.>"]

[cop]
cached = ["track.>"]
max_entries = 1000
max_bytes = 1048576
default_stale_seconds = 300
`;
    for (const [id, nation, role] of systems) {
      text += `\n[[systems]]\nid = "${id}"\nnation = "${nation}"\nrole = "${role}"\npublic_key = "${this.keygen(id)}"\n`;
    }
    writeFileSync(join(this.dir, 'policy.toml'), text);
  }

  async startBroker() {
    this.keygen('broker');
    this.writePolicy();
    const ready = join(this.dir, 'broker.ready');
    this.broker = start(env('ENLACE_BROKER'), ['--policy', join(this.dir, 'policy.toml'),
      '--keys', join(this.dir, 'broker'), '--endpoint', 'tcp://127.0.0.1:*', '--http', '127.0.0.1:0',
      '--ready-file', ready], 'broker.log');
    this.children.push(this.broker);
    this.endpoint = (await until('the broker ready file', () => existsSync(ready) && readFileSync(ready, 'utf8').trim())).split('\n')[0];
  }

  async startWeb(nation) {
    const id = `${nation.toLowerCase()}-web`;
    const config = join(this.dir, `${id}.toml`);
    writeFileSync(config, `[bus]\nbroker = "${this.endpoint}"\nbroker_key = "${join(this.dir, 'broker.pub')}"\nkeys = "${join(this.dir, id)}"\n\n[web]\nlisten = "127.0.0.1:0"\nui_dir = "${env('ENLACE_WEB_UI')}"\n`);
    const ready = join(this.dir, `${id}.ready`);
    const web = start(env('ENLACE_WEB'), ['--config', config, '--ready-file', ready], `${id}.log`);
    this.children.push(web);
    const port = JSON.parse(await until(`${id} ready`, () => existsSync(ready) && readFileSync(ready, 'utf8'))).http;
    this.webs[nation] = `http://127.0.0.1:${port}/`;
    return this.webs[nation];
  }

  publish(system, topic, type, payload, extra = []) {
    execFileSync(env('ENLACE_TOOL'), ['pub', '--broker', this.endpoint, '--broker-key', join(this.dir, 'broker.pub'),
      '--keys', join(this.dir, system), '--topic', topic, '--type', type, '--json', JSON.stringify(payload), ...extra],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  }

  stopBroker() {
    this.broker.kill('SIGTERM');
  }

  stop() {
    for (const child of this.children) if (child.exitCode === null) child.kill('SIGTERM');
  }
}

// Chromium with no network of its own: Debian's binary, no first-run, no component
// updates, no background requests, a fresh profile; anything not on the loopback is
// aborted and counted in `blocked`.
export async function launchBrowser() {
  const profile = mkdtempSync(join(out, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
  });
  const blocked = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const loopback = url.protocol === 'data:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (loopback) return route.continue();
    blocked.push(url.href);
    return route.abort();
  });
  const problems = [];
  context.on('page', (page) => {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(String(e)));
  });
  return { context, blocked, problems };
}
