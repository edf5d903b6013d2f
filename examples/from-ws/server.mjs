// A `ws` server, written for `ws` and nothing else: an echo server that admits only clients with
// the right token (verifyClient, in its (info, callback) form) and drops clients that stop
// answering pings (the heartbeat of ws's README). test/docs/from-ws.test.ts runs it, unchanged, on
// ws and on wsmith (docs/from-ws-to-wsmith.md). Environment: PORT (0: any), TOKEN, HEARTBEAT_MS.
import { WebSocketServer } from 'ws';

const token = process.env.TOKEN ?? 'let-me-in';
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 30_000);

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.PORT ?? 8080),
  verifyClient(info, callback) {
    const { searchParams } = new URL(info.req.url, 'http://localhost');
    if (searchParams.get('token') === token) callback(true);
    else callback(false, 401, 'Unauthorized');
  },
});

function markAlive() {
  this.alive = true;
}

wss.on('connection', (socket) => {
  socket.alive = true;
  socket.on('pong', markAlive);
  socket.on('error', (error) => console.error('socket error:', error.message));
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});

// Every period: a client that has not answered the last ping is cut off; the others get a new one.
const heartbeat = setInterval(() => {
  for (const socket of wss.clients) {
    if (!socket.alive) {
      socket.terminate();
      continue;
    }
    socket.alive = false;
    socket.ping();
  }
}, heartbeatMs);

wss.on('close', () => clearInterval(heartbeat));
wss.on('listening', () => console.log(`listening ${wss.address().port}`));

process.on('SIGTERM', () => {
  for (const socket of wss.clients) socket.terminate();
  wss.close(() => process.exit(0));
});
