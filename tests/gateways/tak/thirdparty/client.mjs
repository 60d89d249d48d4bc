// A TAK client nobody on the project wrote, against enlace-tak-gateway over TLS:
// @tak-ps/node-tak connects with a client certificate and parses the stream (CoT XML),
// @tak-ps/node-cot builds the client's own SA and turns what arrives into GeoJSON.
// With --protobuf, the client negotiates TAK Protocol 1 on its own TLS socket and encodes
// and decodes the frames with node-cot's bundled TAK protos (to_proto/from_proto).
//
//   node client.mjs --port P --cert C --key K --uid UID --callsign CS --lat L --lon L
//                   --expect TEXT [--expect TEXT...] [--protobuf] [--timeout-ms N]
//
// Prints one JSON line per event received ({"uid","type","callsign","remarks",...}),
// "sent" once its SA is written, and exits 0 once every --expect text was seen in the
// remarks of a received event; 1 on a timeout or an error (with the reason on stderr).
import fs from 'node:fs';
import tls from 'node:tls';
import TAK, { CoT } from '@tak-ps/node-tak';

const args = { expect: [], protobuf: false, timeoutMs: 30000 };
for (let i = 2; i < process.argv.length; ++i) {
  const key = process.argv[i];
  const value = () => process.argv[++i];
  if (key === '--port') args.port = Number(value());
  else if (key === '--cert') args.cert = fs.readFileSync(value());
  else if (key === '--key') args.key = fs.readFileSync(value());
  else if (key === '--uid') args.uid = value();
  else if (key === '--callsign') args.callsign = value();
  else if (key === '--lat') args.lat = Number(value());
  else if (key === '--lon') args.lon = Number(value());
  else if (key === '--expect') args.expect.push(value());
  else if (key === '--protobuf') args.protobuf = true;
  else if (key === '--timeout-ms') args.timeoutMs = Number(value());
  else {
    console.error(`client.mjs: unknown argument ${key}`);
    process.exit(2);
  }
}

const fail = (why) => {
  console.error(`client.mjs: ${why}`);
  process.exit(1);
};
setTimeout(() => fail(`timeout; still expecting ${JSON.stringify(args.expect)}`), args.timeoutMs);

// The client's own position report, as node-cot builds one from GeoJSON, with the <takv>
// an ATAK client sends with its own SA.
function ownSa() {
  const now = Date.now();
  const cot = CoT.from_geojson({
    type: 'Feature',
    id: args.uid,
    properties: {
      type: 'a-f-G-U-C',
      how: 'm-g',
      callsign: args.callsign,
      time: new Date(now).toISOString(),
      start: new Date(now).toISOString(),
      stale: new Date(now + 300000).toISOString(),
      course: 90,
      speed: 2.5,
    },
    geometry: { type: 'Point', coordinates: [args.lon, args.lat, 95] },
  });
  cot.raw.event.detail.takv = {
    _attributes: { device: 'node', platform: 'node-tak', os: process.platform, version: '8.3.0' },
  };
  return cot;
}

const seen = new Set();
function received(cot) {
  const feature = cot.to_geojson();
  const line = {
    uid: cot.raw.event._attributes.uid,
    type: cot.raw.event._attributes.type,
    callsign: feature.properties.callsign,
    remarks: feature.properties.remarks || '',
    coordinates: feature.geometry && feature.geometry.coordinates,
    stale: cot.raw.event._attributes.stale,
  };
  console.log(JSON.stringify(line));
  for (const text of args.expect) {
    if (line.remarks.includes(text)) seen.add(text);
  }
  if (seen.size === args.expect.length) process.exit(0);
}

if (!args.protobuf) {
  const tak = await TAK.connect('enlace-thirdparty', new URL(`ssl://127.0.0.1:${args.port}`), {
    cert: args.cert,
    key: args.key,
  });
  tak.on('secureConnect', () => {
    tak.write([ownSa()]);
    console.log('sent');
  });
  tak.on('cot', received);
  tak.on('error', (error) => fail(`node-tak: ${error.message}`));
  tak.on('end', () => fail('the gateway ended the connection'));
} else {
  // TAK Protocol 1 (FORMATS.md 1.6): the server offers, the client requests, the server
  // answers, then both sides frame TakMessages as 0xbf, varint length, payload.
  const socket = tls.connect({
    host: '127.0.0.1',
    port: args.port,
    cert: args.cert,
    key: args.key,
    rejectUnauthorized: false,
  });
  let text = '';
  let requested = false;
  let binary = null;
  const frame = (payload) => {
    const length = [];
    let n = payload.length;
    do {
      let byte = n & 0x7f;
      n >>>= 7;
      if (n) byte |= 0x80;
      length.push(byte);
    } while (n);
    return Buffer.concat([Buffer.from([0xbf, ...length]), Buffer.from(payload)]);
  };
  const request = () => {
    const now = new Date();
    return new CoT({
      event: {
        _attributes: {
          version: '2.0', uid: args.uid, type: 't-x-takp-q', how: 'm-g', time: now.toISOString(),
          start: now.toISOString(), stale: new Date(now.getTime() + 60000).toISOString(),
        },
        point: { _attributes: { lat: 0, lon: 0, hae: 0, ce: 9999999, le: 9999999 } },
        detail: { TakControl: { TakRequest: { _attributes: { version: '1' } } } },
      },
    });
  };
  socket.on('data', (data) => {
    if (binary === null) {
      text += data.toString('latin1');
      if (text.includes('t-x-takp-v') && !requested) {
        socket.write(request().to_xml());
        requested = true;
      }
      const response = text.indexOf('t-x-takp-r');
      if (response < 0) return;
      const end = text.indexOf('</event>', response);
      if (end < 0) return;
      if (!/TakResponse status=["']true["']/.test(text)) fail('protocol 1 refused');
      // What came before the switch is XML: the offer, the picture, the response.
      let xml = text.slice(0, end + '</event>'.length);
      for (let found = TAK.findCoT(xml); found; found = TAK.findCoT(xml)) {
        const cot = new CoT(found.event);
        if (!cot.raw.event._attributes.type.startsWith('t-x-')) received(cot);
        xml = found.remainder;
      }
      binary = Buffer.from(text.slice(end + '</event>'.length), 'latin1');
      socket.write(frame(ownSa().to_proto()));
      console.log('sent');
    } else {
      binary = Buffer.concat([binary, data]);
    }
    for (;;) {
      if (binary.length < 2) return;
      if (binary[0] !== 0xbf) fail(`byte 0x${binary[0].toString(16)} where a frame starts`);
      let length = 0, shift = 0, at = 1;
      for (;;) {
        if (at >= binary.length) return;
        const byte = binary[at++];
        length += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(byte & 0x80)) break;
      }
      if (binary.length - at < length) return;
      const payload = binary.subarray(at, at + length);
      binary = binary.subarray(at + length);
      received(CoT.from_proto(payload));
    }
  });
  socket.on('error', (error) => fail(`tls: ${error.message}`));
  socket.on('end', () => fail('the gateway ended the connection'));
}
