// The client's connections have the same guards as the server's: keepalive finds a server that
// vanished (1011), a message that never completes fails (1008), and both can be turned off.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from '../../src/index.js';
import { messageMemory } from '../../src/node/message-guard.js';

/** A raw server: completes each handshake, then does what `after` says (and nothing else). */
async function rawServer(after: (socket: Socket) => void): Promise<{ server: Server; url: string; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.removeListener('data', onData);
      const key = /sec-websocket-key: (.*)\r\n/i.exec(head)![1];
      const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      after(socket);
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets };
}

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length > 0) closers.pop()!();
});

describe('client guards', () => {
  it('keepalive: a server that vanished (reads nothing, answers nothing) is cut with 1011', async () => {
    const { server, url, sockets } = await rawServer((socket) => socket.pause());
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    const ws = new WebSocket(url, { keepalive: { interval: 40, timeout: 40 } });
    await once(ws, 'open');
    const start = Date.now();
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1011);
    expect(Date.now() - start).toBeLessThan(80 + 2_000);
  });

  it('keepalive false: the first Ping the server sees is the one the application sent', async () => {
    const received: Buffer[] = [];
    const { server, url, sockets } = await rawServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    const ws = new WebSocket(url, { keepalive: false });
    await once(ws, 'open');
    await new Promise((resolve) => setTimeout(resolve, 150));
    ws.ping('mine');
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const first = Buffer.concat(received);
    expect(first[0]).toBe(0x89); // FIN + Ping
    expect(first[1] & 0x7f).toBe(4); // "mine"
    ws.terminate();
  });

  it('messageTimeout: a message the server never finishes fails with 1008 and is let go of', async () => {
    const { server, url, sockets } = await rawServer((socket) => socket.write(Buffer.from([0x02, 0x7e, 0x10, 0x00, ...Buffer.alloc(1000)])));
    closers.push(() => {
      for (const socket of sockets) socket.destroy();
      server.close();
    });
    const ws = new WebSocket(url, { messageTimeout: 100 });
    const errors: Error[] = [];
    ws.on('error', (error) => errors.push(error));
    const code = await new Promise<number>((resolve) => ws.once('close', (closeCode) => resolve(closeCode)));
    expect(code).toBe(1008);
    expect((errors[0] as Error & { code?: string }).code).toBe('WS_ERR_MESSAGE_TIMEOUT');
    expect(messageMemory.used).toBe(0);
  });

  it('refuses bad guard options when it is made, synchronously', () => {
    expect(() => new WebSocket('ws://127.0.0.1:1', { keepalive: { interval: 0 } })).toThrow(RangeError);
    expect(() => new WebSocket('ws://127.0.0.1:1', { messageTimeout: -1 })).toThrow(RangeError);
  });
});
