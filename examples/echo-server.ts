/**
 * The README's example: an echo server. Every message comes back as it was sent.
 *   PORT=9001 node build/examples/echo-server.js
 */
import { WebSocketServer } from 'wsmith';

const port = Number(process.env.PORT ?? 8080);
const server = new WebSocketServer({ port, host: process.env.HOST ?? '127.0.0.1' });

server.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});

server.on('listening', () => {
  const address = server.address();
  const where = typeof address === 'string' ? address : `ws://${address?.address}:${address?.port}`;
  console.log(`wsmith echo server listening on ${where}`);
});
