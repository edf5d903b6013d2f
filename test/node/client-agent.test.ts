// How the connection is made: an http.Agent (here one that tunnels through a CONNECT proxy
// written below, the way proxy agents work), `createConnection` in both of node:http's forms, and
// `finishRequest`. Each runs on `ws`'s client and on wsmith's, which must behave alike.
import { once } from 'node:events';
import { Agent, type ClientRequest, type ClientRequestArgs } from 'node:http';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/index.js';
import { CLIENTS, cleanups, newClient, rawServer, accept, record, type AnyClient } from './support/client-peers.js';

/** Our echo server; `requests` lists the path and headers of each handshake it accepted. */
async function echoServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const requests: Array<{ url: string; headers: Record<string, string | string[] | undefined>; remotePort: number }> = [];
  wss.on('connection', (ws, request) => {
    requests.push({ url: request.url ?? '', headers: request.headers, remotePort: request.socket.remotePort ?? 0 });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close(() => resolve());
  }));
  const port = (wss.address() as AddressInfo).port;
  return { port, url: `ws://127.0.0.1:${port}`, requests };
}

/** A minimal HTTP CONNECT proxy (RFC 9110 §9.3.6): it records each tunnel's target, then relays bytes. */
async function connectProxy() {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const [method, authority] = head.slice(0, head.indexOf('\r\n')).split(' ');
      if (method !== 'CONNECT') {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      tunnels.push(authority);
      const colon = authority.lastIndexOf(':');
      const upstream = netConnect(Number(authority.slice(colon + 1)), authority.slice(0, colon), () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return { port: (server.address() as AddressInfo).port, tunnels };
}

/**
 * An http.Agent that reaches every host through a CONNECT proxy. Its createConnection answers
 * through the callback once the tunnel is up, as proxy agents do: no socket is returned at once.
 */
class TunnelAgent extends Agent {
  created = 0;
  constructor(private readonly proxyPort: number) {
    super({ keepAlive: false });
  }

  override createConnection(options: ClientRequestArgs, callback: (error: Error | null, socket: Duplex) => void): undefined {
    this.created++;
    const socket = netConnect(this.proxyPort, '127.0.0.1');
    socket.once('connect', () => socket.write(`CONNECT ${options.host}:${options.port} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n\r\n`));
    let reply = '';
    const onData = (chunk: Buffer): void => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (reply.startsWith('HTTP/1.1 200')) callback(null, socket);
      else callback(new Error(`proxy refused: ${reply.split('\r\n')[0]}`), socket);
    };
    socket.on('data', onData);
    socket.once('error', (error) => callback(error, socket));
    return undefined;
  }
}

function opened(ws: AnyClient): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function echoOf(ws: AnyClient, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(data.toString()));
    ws.send(text);
  });
}

describe.each(CLIENTS)('%s: agent', (_name, Client) => {
  it('an http.Agent that tunnels through a CONNECT proxy carries the handshake and the messages', async () => {
    const { port, requests } = await echoServer();
    const proxy = await connectProxy();
    const agent = new TunnelAgent(proxy.port);
    const ws = newClient(Client, `ws://127.0.0.1:${port}/through?proxy=1`, [], { agent });
    await opened(ws);
    expect(await echoOf(ws, 'via the proxy')).toBe('via the proxy');
    expect(proxy.tunnels).toEqual([`127.0.0.1:${port}`]);
    expect(agent.created).toBe(1);
    expect(requests.map((request) => request.url)).toEqual(['/through?proxy=1']);
  });

  it('a refusal through the agent is an unexpected response like any other', async () => {
    const { port } = await rawServer(({ socket }) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const proxy = await connectProxy();
    const ws = newClient(Client, `ws://127.0.0.1:${port}/`, [], { agent: new TunnelAgent(proxy.port) });
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).toBe('Unexpected server response: 403');
  });
});

describe.each(CLIENTS)('%s: createConnection', (_name, Client) => {
  it('returning a socket: used for the connection, with the host and port of the URL', async () => {
    const { port } = await echoServer();
    const asked: Array<[unknown, unknown]> = [];
    const createConnection = (options: ClientRequestArgs): Duplex => {
      asked.push([options.host, Number(options.port)]);
      return netConnect(Number(options.port), String(options.host));
    };
    const ws = newClient(Client, `ws://127.0.0.1:${port}/`, [], { createConnection });
    await opened(ws);
    expect(await echoOf(ws, 'made by the application')).toBe('made by the application');
    expect(asked).toEqual([['127.0.0.1', port]]);
  });

  it('calling back later instead (node:http allows both forms)', async () => {
    const { port } = await echoServer();
    const createConnection = (options: ClientRequestArgs, callback: (error: Error | null, socket: Duplex) => void): undefined => {
      setTimeout(() => {
        const socket = netConnect(Number(options.port), String(options.host));
        callback(null, socket);
      }, 5);
      return undefined;
    };
    const ws = newClient(Client, `ws://127.0.0.1:${port}/`, [], { createConnection });
    await opened(ws);
    expect(await echoOf(ws, 'called back')).toBe('called back');
  });

  it('an error it reports fails the handshake with that error', async () => {
    const createConnection = (_options: ClientRequestArgs, callback: (error: Error | null, socket?: Duplex) => void): undefined => {
      setImmediate(() => callback(new Error('no route to the moon')));
      return undefined;
    };
    const ws = newClient(Client, 'ws://127.0.0.1:1/', [], { createConnection });
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).toBe('no route to the moon');
  });
});

describe.each(CLIENTS)('%s: finishRequest', (_name, Client) => {
  it('sees the WebSocket CONNECTING with its url, and may close it: the handshake is abandoned', async () => {
    const { url, requests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const seen: string[] = [];
    const finishRequest = (_request: ClientRequest, websocket: AnyClient): void => {
      seen.push(`${websocket.readyState} ${websocket.url}`);
      websocket.close();
    };
    const ws = newClient(Client, `${url.toUpperCase().replace('WS://', 'ws://')}/x`, [], { finishRequest });
    expect(await record(ws).closed).toEqual([
      'error Error: WebSocket was closed before the connection was established [2]',
      'close 1006 [3]',
    ]);
    expect(seen).toEqual([`0 ${url}/x`]);
    expect(requests).toEqual([]);
  });


  it('is called before the constructor returns, with the request and the WebSocket, for every hop', async () => {
    const { url, requests } = await rawServer(({ socket, key, requestLine }) => {
      if (requestLine.startsWith('GET /a ')) socket.end('HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\n');
      else socket.write(accept(key));
    });
    const calls: Array<[returned: boolean, websocket: unknown]> = [];
    let returned = false;
    const finishRequest = (request: ClientRequest, websocket: unknown): void => {
      calls.push([returned, websocket]);
      // A header known only once the socket is connected (ws's use case): its local port.
      request.on('socket', (socket: Socket) => {
        const send = (): void => {
          request.setHeader('X-Local-Port', String(socket.localPort));
          request.end();
        };
        if (socket.localPort !== undefined) send();
        else socket.once('connect', send);
      });
    };
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true, finishRequest });
    returned = true;
    await opened(ws);
    expect(calls.map(([returnedYet, websocket]) => [returnedYet, websocket === ws])).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(requests.map((request) => request.headers.get('x-local-port'))).toEqual([
      expect.stringMatching(/^\d+$/),
      expect.stringMatching(/^\d+$/),
    ]);
  });
});
