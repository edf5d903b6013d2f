// wss:// on both ways of running the handshake: wsmith's own (tls.connect with the TLS options
// passed through) and node:http's (an https.Agent, or finishRequest over https.request), on ws's
// client and on wsmith's, against a server with a self-signed certificate made here by openssl.
import { once } from 'node:events';
import type { ClientRequest } from 'node:http';
import { Agent as HttpsAgent, createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { beforeAll, expect, it } from 'vitest';
import { WebSocketServer } from '../../src/index.js';
import { hasOpenssl, localhostCertificate, type Pem } from '../support/certificates.js';
import { describeWithPeers } from '../support/peers.js';
import { CLIENTS, cleanups, newClient, record, type AnyClient } from './support/client-peers.js';

let key: Pem['key'] = Buffer.alloc(0);
let cert: Pem['cert'] = Buffer.alloc(0);

beforeAll(() => {
  if (!hasOpenssl) return;
  ({ key, cert } = localhostCertificate());
});

/** Our echo server behind https on a free port. */
async function secureEcho(): Promise<{ url: string; servernames: Array<string | false | null> }> {
  const server = createServer({ key, cert });
  const servernames: Array<string | false | null> = [];
  server.on('secureConnection', (socket) => servernames.push(socket.servername));
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate();
    wss.close();
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `wss://localhost:${(server.address() as AddressInfo).port}/secure`, servernames };
}

function echo(ws: AnyClient, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(text));
    ws.once('message', (data: Buffer) => resolve(data.toString()));
  });
}

for (const [name, Client] of CLIENTS) describeWithPeers({ openssl: hasOpenssl })(`${name}: wss://`, () => {
  it('the TLS options go to tls.connect; SNI names the host', async () => {
    const { url, servernames } = await secureEcho();
    expect(await echo(newClient(Client, url, [], { ca: cert }), 'over TLS')).toBe('over TLS');
    expect(servernames).toEqual(['localhost']);
  });

  it('an https.Agent carries the handshake', async () => {
    const { url } = await secureEcho();
    const agent = new HttpsAgent({ ca: cert });
    cleanups.push(() => agent.destroy());
    expect(await echo(newClient(Client, url, [], { agent }), 'through the agent')).toBe('through the agent');
  });

  it('finishRequest over https.request', async () => {
    const { url } = await secureEcho();
    const finishRequest = (request: ClientRequest): void => {
      request.setHeader('X-Late', '1');
      request.end();
    };
    expect(await echo(newClient(Client, url, [], { ca: cert, finishRequest }), 'finished late')).toBe('finished late');
  });

  it('an unknown certificate fails the handshake with the TLS error', async () => {
    const { url } = await secureEcho();
    const log = await record(newClient(Client, url)).closed;
    expect(log).toEqual(['error Error: self-signed certificate [2]', 'close 1006 [3]']);
  });
});
