// Decodes a file of NMEA 0183 / AIS lines with two independent decoders from npm
// (ais-stream-decoder for !AIVDM, nmea-simple for GGA/RMC/GLL) and prints one line per
// decoded message as "key=value" pairs, "na" for a value the decoder reports as absent.
// test_crosscheck.cpp decodes the same file with the gateway's decoders and compares.
'use strict';
const fs = require('fs');
const AisDecoder = require('ais-stream-decoder').default;
const { parseNmeaSentence } = require('nmea-simple');

const out = [];
const v = (x) => (x === null || x === undefined || Number.isNaN(x) ? 'na' : String(x));
const ais = new AisDecoder();
ais.on('error', (e) => out.push('error ' + e.message.replace(/\s+/g, '_')));
ais.on('data', (text) => {
  const m = typeof text === 'string' ? JSON.parse(text) : text;
  const f = [`ais type=${m.type}`, `mmsi=${m.mmsi}`];
  if ('lat' in m) f.push(`lat=${v(m.lat)}`, `lon=${v(m.lon)}`);
  if ('speedOverGround' in m) f.push(`sog_kn=${v(m.speedOverGround)}`);
  if ('courseOverGround' in m) f.push(`cog=${v(m.courseOverGround)}`);
  if ('heading' in m) f.push(`heading=${v(m.heading)}`);
  if ('navStatus' in m) f.push(`status=${v(m.navStatus)}`);
  if ('name' in m) f.push(`name=${m.name.replace(/ /g, '_')}`);
  if ('callsign' in m) f.push(`callsign=${m.callsign.replace(/ /g, '_')}`);
  if ('typeAndCargo' in m) f.push(`shiptype=${v(m.typeAndCargo)}`);
  if ('dimBow' in m) {
    f.push(`bow=${m.dimBow}`, `stern=${m.dimStern}`, `port=${m.dimPort}`,
           `starboard=${m.dimStarboard}`);
  }
  if ('imo' in m) f.push(`imo=${m.imo}`);
  if ('draught' in m) f.push(`draught=${m.draught}`);
  if ('destination' in m) f.push(`destination=${m.destination.replace(/ /g, '_')}`);
  out.push(f.join(' '));
});

for (const line of fs.readFileSync(process.argv[2], 'utf8').split('\n')) {
  if (line.startsWith('!')) {
    ais.write(line);
  } else if (line.startsWith('$')) {
    const s = parseNmeaSentence(line);
    const f = [`nmea id=${s.sentenceId}`, `lat=${v(s.latitude)}`, `lon=${v(s.longitude)}`];
    if (s.sentenceId === 'GGA') f.push(`alt=${v(s.altitudeMeters)}`, `sep=${v(s.geoidalSeperation)}`);
    if (s.sentenceId === 'RMC') f.push(`sog_kn=${v(s.speedKnots)}`, `cog=${v(s.trackTrue)}`);
    out.push(f.join(' '));
  }
}
// The decoder is a stream: its messages come after the writes, before the process ends.
let printed = false;
process.on('beforeExit', () => {
  if (printed) return;
  printed = true;
  process.stdout.write(out.join('\n') + '\n');
});
