// A `ws` client, written for `ws` and nothing else: binary messages as ArrayBuffers (binaryType),
// a connection used as a Node.js stream (createWebSocketStream), a refused handshake, and a client
// that does not answer pings, cut off by the server's heartbeat. test/docs/from-ws.test.ts runs it,
// unchanged, on ws and on wsmith. URL: the server (ws://127.0.0.1:PORT); TOKEN: its token. Prints one JSON line.
import WebSocket, { createWebSocketStream } from 'ws';

const base = process.env.URL ?? 'ws://127.0.0.1:8080';
const token = process.env.TOKEN ?? 'let-me-in';
const url = `${base}/?token=${token}`;

function whenClosed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function binaryEcho() {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const reply = new Promise((resolve) => {
    ws.once('message', (data, isBinary) => resolve({ isBinary, type: data.constructor.name, bytes: [...new Uint8Array(data)] }));
  });
  ws.once('open', () => ws.send(new Uint8Array([1, 2, 3, 250])));
  const received = await reply;
  const closed = whenClosed(ws);
  ws.close(1000, 'done');
  return { ...received, close: await closed };
}

async function streamEcho() {
  const ws = new WebSocket(url);
  const duplex = createWebSocketStream(ws, { encoding: 'utf8' });
  duplex.on('error', () => {});
  const closed = whenClosed(ws);
  duplex.write('through a stream');
  const chunk = await new Promise((resolve) => duplex.once('data', resolve));
  duplex.end();
  return { chunk, close: (await closed).code };
}

async function refused() {
  const ws = new WebSocket(`${base}/?token=wrong`);
  const error = new Promise((resolve) => ws.once('error', (error) => resolve(error.message)));
  const closed = whenClosed(ws);
  return { error: await error, close: (await closed).code };
}

async function silentClient() {
  // autoPong: false — this client hears pings and never answers them.
  const ws = new WebSocket(url, { autoPong: false });
  let pings = 0;
  ws.on('ping', () => pings++);
  const { code } = await whenClosed(ws);
  return { pingsHeard: pings > 0, close: code };
}

console.log(JSON.stringify({
  binary: await binaryEcho(),
  stream: await streamEcho(),
  refused: await refused(),
  heartbeat: await silentClient(),
}));
