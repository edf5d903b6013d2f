// The client's handshake events — 'upgrade', 'unexpected-response', 'redirect', 'error', 'close' —
// run side by side on `ws`'s client and wsmith's, against the same hand-written servers: each
// scenario expects one record, and both clients must produce it (event, arguments, readyState).
import { ClientRequest, IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CLIENTS, accept, newClient, rawServer, record } from './support/client-peers.js';

const REFUSAL = 'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Length: 5\r\n\r\nhello';
const CLOSED_EARLY = 'error Error: WebSocket was closed before the connection was established [2]';

describe.each(CLIENTS)('%s: a response other than 101', (_name, Client) => {
  it('without an unexpected-response listener: error "Unexpected server response", then close 1006', async () => {
    const { url } = await rawServer(({ socket }) => socket.end(REFUSAL));
    const ws = newClient(Client, `${url}/x`);
    expect(await record(ws).closed).toEqual(['error Error: Unexpected server response: 401 [2]', 'close 1006 [3]']);
  });

  it('a listener gets (ClientRequest, IncomingMessage), reads the body, and no error comes until it closes', async () => {
    const { url } = await rawServer(({ socket }) => socket.end(REFUSAL));
    const ws = newClient(Client, `${url}/x?y=1`);
    const recording = record(ws);
    ws.on('unexpected-response', (request: ClientRequest, response: IncomingMessage) => {
      const kinds = `${request instanceof ClientRequest} ${response instanceof IncomingMessage}`;
      recording.note(`unexpected-response ${kinds} ${request.method} ${request.path} ${response.statusCode} ${response.headers['www-authenticate']}`);
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        recording.note(`body ${body}`);
        ws.close();
      });
    });
    expect(await recording.closed).toEqual([
      'unexpected-response true true GET /x?y=1 401 Bearer [0]',
      'body hello [0]',
      CLOSED_EARLY,
      'close 1006 [3]',
    ]);
  });

  it('a listener that does nothing leaves the WebSocket CONNECTING after the server hangs up', async () => {
    const { url } = await rawServer(({ socket }) => socket.end(REFUSAL));
    const ws = newClient(Client, url);
    const recording = record(ws);
    ws.on('unexpected-response', (_request: ClientRequest, response: IncomingMessage) => {
      response.resume();
      // Once the response and the connection are over, anything ws would emit has been emitted.
      response.socket.once('close', () =>
        setImmediate(() => {
          recording.note('still waiting');
          ws.terminate();
        }),
      );
    });
    expect(await recording.closed).toEqual(['still waiting [0]', CLOSED_EARLY, 'close 1006 [3]']);
  });
});

describe.each(CLIENTS)("%s: 'upgrade'", (_name, Client) => {
  it('comes with the 101 as an IncomingMessage, before open: the Set-Cookie headers can be read', async () => {
    const { url } = await rawServer(({ socket, key }) => socket.write(accept(key, ['Set-Cookie: a=1', 'Set-Cookie: b=2', 'X-Id: 7'])));
    const ws = newClient(Client, url);
    const recording = record(ws, ['upgrade']);
    ws.on('upgrade', (response: IncomingMessage) => {
      recording.note(`cookies ${JSON.stringify(response.headers['set-cookie'])} ${response.headers['x-id']} ${response.rawHeaders.includes('X-Id')}`);
    });
    ws.on('open', () => ws.terminate());
    expect(await recording.closed).toEqual([
      'upgrade 101 true [0]',
      'cookies ["a=1","b=2"] 7 true [0]',
      `open ${url}/ [1]`,
      'close 1006 [3]',
    ]);
  });

  it('comes before the 101 is checked: an invalid one gives upgrade, error, close', async () => {
    const { url } = await rawServer(({ socket }) => socket.write(accept('AAAAAAAAAAAAAAAAAAAAAA==')));
    const ws = newClient(Client, url);
    expect(await record(ws, ['upgrade']).closed).toEqual([
      'upgrade 101 true [0]',
      'error Error: Invalid Sec-WebSocket-Accept header [2]',
      'close 1006 [3]',
    ]);
  });

  it('a listener may close: the handshake is abandoned and open never comes', async () => {
    const { url } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const ws = newClient(Client, url);
    const recording = record(ws, ['upgrade']);
    ws.on('upgrade', () => ws.close());
    expect(await recording.closed).toEqual(['upgrade 101 true [0]', CLOSED_EARLY, 'close 1006 [3]']);
  });
});

/** A server that redirects /a to `location` and accepts anything else; `requests` shows each hop's request. */
function redirector(location: (port: number) => string, status = 302) {
  let port = 0;
  const started = rawServer(({ socket, key, requestLine }) => {
    if (requestLine.startsWith('GET /a ')) socket.end(`HTTP/1.1 ${status} Moved\r\nLocation: ${location(port)}\r\nContent-Length: 0\r\n\r\n`);
    else socket.write(accept(key));
  });
  return started.then((server) => {
    port = server.port;
    return server;
  });
}

describe.each(CLIENTS)('%s: redirects', (_name, Client) => {
  it.each([300, 301, 302, 303, 307, 308])('%i with a Location is followed; url reads the new URL', async (status) => {
    const { url, requests } = await redirector(() => '/b?c=1', status);
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true });
    const recording = record(ws, ['redirect']);
    ws.on('open', () => ws.terminate());
    const log = await recording.closed;
    // A 'redirect' listener routes wsmith through node:http: the request is queued, not yet sent.
    expect(log).toEqual([`redirect ${url}/b?c=1 true sent=false [0]`, `open ${url}/b?c=1 [1]`, 'close 1006 [3]']);
    expect(requests.map((request) => request.requestLine)).toEqual(['GET /a HTTP/1.1', 'GET /b?c=1 HTTP/1.1']);
  });

  it('stops with "Maximum redirects exceeded"', async () => {
    const { url, requests } = await redirector(() => '/a');
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true, maxRedirects: 2 });
    expect(await record(ws).closed).toEqual(['error Error: Maximum redirects exceeded [2]', 'close 1006 [3]']);
    expect(requests).toHaveLength(3);
  });

  it.each([
    ['ftp://127.0.0.1/', 'error SyntaxError: The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:" [2]'],
    ['http://[oops/', 'error SyntaxError: Invalid URL: http://[oops/ [2]'],
  ])('to %s fails with a SyntaxError', async (location, error) => {
    const { url } = await redirector(() => location);
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true });
    expect(await record(ws).closed).toEqual([error, 'close 1006 [3]']);
  });

  it('without a listener: Authorization, Cookie and Host stay behind on another host, the rest goes', async () => {
    const { url: target, port, requests: targetRequests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const { url, requests } = await redirector(() => `ws://localhost:${port}/b`);
    const headers = { Authorization: 'Bearer t', Cookie: 'c=1', Host: 'front.example', 'X-Keep': 'k' };
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true, headers });
    await new Promise((resolve) => ws.once('open', resolve));
    expect(requests[0].headers.get('authorization')).toBe('Bearer t');
    expect(requests[0].headers.get('host')).toBe('front.example');
    const second = targetRequests[0].headers;
    expect([second.get('authorization'), second.get('cookie'), second.get('host'), second.get('x-keep')]).toEqual([
      undefined,
      undefined,
      `localhost:${port}`,
      'k',
    ]);
    expect(target).toContain(String(port));
  });

  it('without a listener: the credentials follow a redirect on the same host, URL credentials too', async () => {
    const { url, requests } = await redirector(() => '/b');
    const withAuth = url.replace('ws://', 'ws://ann:pw@');
    const ws = newClient(Client, `${withAuth}/a`, [], { followRedirects: true, headers: { Cookie: 'c=1' } });
    await new Promise((resolve) => ws.once('open', resolve));
    const basic = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
    expect(requests.map((request) => [request.headers.get('authorization'), request.headers.get('cookie')])).toEqual([
      [basic, 'c=1'],
      [basic, 'c=1'],
    ]);
  });

  it('with a listener nothing is dropped; the listener removes what it wants', async () => {
    const { port, requests: targetRequests } = await rawServer(({ socket, key }) => socket.write(accept(key)));
    const { url } = await redirector(() => `ws://localhost:${port}/b`);
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true, headers: { Authorization: 'Bearer t', Cookie: 'c=1' } });
    ws.on('redirect', (_url: string, request: ClientRequest) => request.removeHeader('cookie'));
    await new Promise((resolve) => ws.once('open', resolve));
    expect([targetRequests[0].headers.get('authorization'), targetRequests[0].headers.get('cookie')]).toEqual(['Bearer t', undefined]);
  });

  it('handshakeTimeout counts for each hop, not for the whole chain', async () => {
    // Each hop answers after 600 ms: within a 1,000 ms timeout, though the two take longer.
    const { url } = await rawServer(({ socket, key, requestLine }) => {
      const answer = requestLine.startsWith('GET /a ') ? 'HTTP/1.1 302 Found\r\nLocation: /b\r\n\r\n' : accept(key);
      setTimeout(() => socket.write(answer), 600);
    });
    const ws = newClient(Client, `${url}/a`, [], { followRedirects: true, handshakeTimeout: 1000 });
    const recording = record(ws);
    ws.on('open', () => ws.terminate());
    expect(await recording.closed).toEqual([`open ${url}/b [1]`, 'close 1006 [3]']);
  });
});
