// Drives one WebSocket connection with the `ws` package for the C# end-to-end tests.
// Usage: node ws-client.mjs <url> <options-json>
// options: { protocols: [..], headers: {..}, sizes: [n..], ping: bool, insecure: bool }
// Prints one JSON line: { protocol, opened, echoes: [{size, ok}], pong, received: [text..], close: [code, reason], error }
import WebSocket from 'ws';

const [url, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}');
const result = { protocol: null, opened: false, echoes: [], pong: false, received: [], close: null, error: null };
const ws = new WebSocket(url, options.protocols ?? [], {
  headers: options.headers ?? {},
  rejectUnauthorized: !options.insecure,
  maxPayload: 64 * 1024 * 1024,
});

const sizes = options.sizes ?? [];
let next = 0;
function payloadOf(size) {
  const text = JSON.stringify({ type: 'echo', n: size });
  return size <= text.length ? 'x'.repeat(size) : text + ' '.repeat(size - text.length);
}
function sendNext() {
  if (next < sizes.length) { ws.send(payloadOf(sizes[next])); return; }
  if (options.ping && !result.pong) { ws.ping(Buffer.from('node')); return; }
  ws.close(1000, 'OK');
}

ws.on('open', () => { result.opened = true; result.protocol = ws.protocol; sendNext(); });
ws.on('message', (data, isBinary) => {
  const text = data.toString('utf8');
  if (next < sizes.length) {
    result.echoes.push({ size: sizes[next], ok: !isBinary && text === payloadOf(sizes[next]) });
    next++;
    sendNext();
  } else {
    result.received.push(text);
  }
});
ws.on('pong', (data) => { result.pong = data.toString() === 'node'; sendNext(); });
ws.on('close', (code, reason) => { result.close = [code, reason.toString()]; console.log(JSON.stringify(result)); process.exit(0); });
ws.on('error', (e) => { result.error = e.message; });
setTimeout(() => { result.error = result.error ?? 'timeout'; console.log(JSON.stringify(result)); process.exit(0); }, 60000);
