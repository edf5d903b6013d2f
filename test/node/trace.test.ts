/**
 * The frame trace (src/node/trace.ts): one line per frame, in and out, in the format of
 * `wsmith decode`, with the connection id and the direction.
 */
import { once } from 'node:events';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, connect } from '../../src/index.js';
import { resolveTraceSink } from '../../src/node/trace.js';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

async function startServer(options: ConstructorParameters<typeof WebSocketServer>[0]): Promise<number> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Replace the connection ids with #S and #C so the lines can be compared whatever ran before. */
function normalize(lines: string[], serverId: string, clientId: string): string[] {
  return lines.map((line) => line.replace(new RegExp(`^#${serverId} `), '#S ').replace(new RegExp(`^#${clientId} `), '#C '));
}

describe('trace', () => {
  it('logs every frame of a conversation on both ends, with ids and directions', async () => {
    const lines: string[] = [];
    const port = await startServer({
      trace: (line) => lines.push(line),
      handleProtocols: (protocols) => (protocols.has('chat') ? 'chat' : false),
    });
    servers[0].on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    const client = await connect(`ws://127.0.0.1:${port}`, { trace: (line) => lines.push(line), protocols: ['chat'] });
    const echoed = once(client, 'message');
    client.send('Hello');
    await echoed;
    const ponged = once(client, 'pong');
    client.ping('hb');
    await ponged;
    const closed = once(client, 'close');
    client.close(1000, 'bye');
    await closed;
    await vi.waitFor(() => expect(lines.filter((line) => line.includes(' closed '))).toHaveLength(2));

    const serverId = /^#(\d+) open server /.exec(lines.find((line) => line.includes(' open server'))!)![1];
    const clientId = /^#(\d+) open client /.exec(lines.find((line) => line.includes(' open client'))!)![1];
    expect(serverId).not.toBe(clientId);
    const normalized = normalize(lines, serverId, clientId).map((line) => line.replace(/key=[0-9a-f]{8}/, 'key=K'));
    const serverLines = normalized.filter((line) => line.startsWith('#S '));
    const clientLines = normalized.filter((line) => line.startsWith('#C '));
    expect(serverLines[0]).toMatch(/^#S open server 127\.0\.0\.1:\d+/);
    expect(serverLines.slice(1)).toEqual([
      '#S <- FIN TEXT key=K len=5 "Hello"',
      '#S -> FIN TEXT len=5 "Hello"',
      '#S <- FIN PING key=K len=2 "hb"',
      '#S -> FIN PONG len=2 "hb"',
      '#S <- FIN CLOSE key=K len=5 code=1000 Normal "bye"',
      '#S -> FIN CLOSE len=5 code=1000 Normal "bye"',
      '#S closed 1000 Normal "bye"',
    ]);
    expect(clientLines[0]).toMatch(/^#C open client 127\.0\.0\.1:\d+/);
    expect(clientLines.slice(1)).toEqual([
      '#C -> FIN TEXT key=K len=5 "Hello"',
      '#C <- FIN TEXT len=5 "Hello"',
      '#C -> FIN PING key=K len=2 "hb"',
      '#C <- FIN PONG len=2 "hb"',
      '#C -> FIN CLOSE key=K len=5 code=1000 Normal "bye"',
      '#C <- FIN CLOSE len=5 code=1000 Normal "bye"',
      '#C closed 1000 Normal "bye"',
    ]);
  });

  it('shows a protocol failure: the refused frame, the failure, and the Close sent', async () => {
    const lines: string[] = [];
    const port = await startServer({ trace: { write: (text: string) => lines.push(text) } });
    const socket = netConnect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await once(socket, 'data'); // the 101 response
    socket.write(Buffer.from([0x83, 0x80, 1, 2, 3, 4])); // a reserved opcode, masked
    socket.resume();
    await once(socket, 'close');
    await vi.waitFor(() => expect(lines.some((line) => line.includes(' closed '))).toBe(true));
    const body = lines.map((line) => line.replace(/^#\d+ /, '#N '));
    // A stream sink gets whole lines.
    expect(body.every((line) => line.endsWith('\n'))).toBe(true);
    expect(body.slice(1).map((line) => line.trimEnd())).toEqual([
      '#N <- FIN OP(0x3) key=01020304 len=0 !! Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)',
      '#N !! fail 1002 ProtocolError: Reserved opcode 0x3 (WS_ERR_INVALID_OPCODE, RFC 6455 §5.2)',
      '#N -> FIN CLOSE len=2 code=1002 ProtocolError',
      '#N closed 1002 ProtocolError',
    ]);
  });

  it('is off by default, on with WSMITH_TRACE=1 (to standard error), and trace: false wins', () => {
    vi.stubEnv('WSMITH_TRACE', '');
    expect(resolveTraceSink(undefined)).toBeNull();
    vi.stubEnv('WSMITH_TRACE', '1');
    const sink = resolveTraceSink(undefined);
    expect(sink).not.toBeNull();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    sink!('#9 <- FIN TEXT len=0');
    expect(write).toHaveBeenCalledWith('#9 <- FIN TEXT len=0\n');
    expect(resolveTraceSink(false)).toBeNull();
  });

  it('WSMITH_TRACE=1 traces a server that did not ask for it', async () => {
    vi.stubEnv('WSMITH_TRACE', '1');
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const port = await startServer({});
    servers[0].on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
    const client = await connect(`ws://127.0.0.1:${port}`, { trace: false });
    const echoed = once(client, 'message');
    client.send(Buffer.from([1, 2, 3]));
    await echoed;
    client.terminate();
    await vi.waitFor(() => expect(written.some((line) => / closed 1006/.test(line))).toBe(true));
    expect(written.some((line) => / -> FIN BINARY len=3 <01 02 03>\n$/.test(line))).toBe(true);
    expect(written.some((line) => / <- FIN BINARY key=[0-9a-f]{8} len=3 <01 02 03>\n$/.test(line))).toBe(true);
    // The client said trace: false: only the server's lines.
    expect(written.filter((line) => / open client/.test(line))).toEqual([]);
  });
});
