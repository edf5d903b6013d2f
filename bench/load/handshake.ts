// Opening connections for the load client: raw node:net, one pre-built upgrade request, and a
// strict check of the answer (101 + the right Sec-WebSocket-Accept, RFC 6455 §4.2.2). Against the
// raw TCP echo target the "answer" is the request itself, echoed. With an extension offer, the
// answer's Sec-WebSocket-Extensions is handed back for the caller to check (deflate.ts). With TLS
// options the connection is TLS, HTTP/1.1 by ALPN (the HTTP/2 scenarios' HTTP/1.1 side).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { acceptKeyFor, SAMPLE_KEY, upgradeRequest } from './frames.js';

export interface OpenSocket {
  /** A TCP or TLS socket, or an HTTP/2 stream (h2-session.ts). */
  socket: Duplex;
  /** Bytes that arrived after the end of the HTTP response (already frames). */
  leftover: Buffer;
  /** The answer's Sec-WebSocket-Extensions (header lines joined with ', '), '' when absent. */
  extensions: string;
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const EXPECTED_ACCEPT = `sec-websocket-accept: ${acceptKeyFor(SAMPLE_KEY)}`.toLowerCase();

/** Checks an HTTP response head; returns an error message or null. */
export function checkUpgradeResponse(head: string): string | null {
  if (!/^HTTP\/1\.1 101 /.test(head)) return `expected 101, got: ${head.split('\r\n')[0]}`;
  if (!head.toLowerCase().includes(EXPECTED_ACCEPT)) return 'missing or wrong Sec-WebSocket-Accept';
  return null;
}

/**
 * The length of the HTTP response head (with its CRLFCRLF) at the front of `received` once it
 * has arrived and is a right 101, 0 while it is incomplete, or what is wrong with it.
 */
export function upgradeResponseLength(received: Buffer): number | string {
  const end = received.indexOf(HEADER_END);
  if (end < 0) return received.length > 8192 ? 'HTTP response head too long' : 0;
  return checkUpgradeResponse(received.toString('latin1', 0, end)) ?? end + HEADER_END.length;
}

/** The Sec-WebSocket-Extensions of a response head, every line of it joined (RFC 7230 §3.2.2). */
export function extensionsOf(head: string): string {
  const values: string[] = [];
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'sec-websocket-extensions') {
      values.push(line.slice(colon + 1).trim());
    }
  }
  return values.join(', ');
}

export function openWebSocket(
  port: number,
  path: string,
  rawEcho: boolean,
  timeoutMs = 10_000,
  extensionOffer?: string,
  tlsOptions?: tls.ConnectionOptions,
): Promise<OpenSocket> {
  const request = upgradeRequest(path, SAMPLE_KEY, extensionOffer);
  return new Promise((resolve, reject) => {
    const socket = tlsOptions ? tls.connect({ port, host: '127.0.0.1', ...tlsOptions }) : net.connect({ port, host: '127.0.0.1' });
    socket.setNoDelay(true);
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => finish(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null, leftover?: Buffer, extensions = ''): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else {
        resolve({ socket, leftover: leftover ?? Buffer.alloc(0), extensions });
      }
    };
    const onData = (chunk: Buffer): void => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (rawEcho) {
        if (received.length < request.length) return;
        if (!received.subarray(0, request.length).equals(request)) return finish(new Error('raw echo changed the request'));
        return finish(null, received.subarray(request.length));
      }
      const headLength = upgradeResponseLength(received);
      if (typeof headLength === 'string') return finish(new Error(headLength));
      if (headLength === 0) return;
      const extensions = extensionOffer === undefined ? '' : extensionsOf(received.toString('latin1', 0, headLength));
      finish(null, received.subarray(headLength), extensions);
    };
    const onError = (error: Error): void => finish(error);
    const onClose = (): void => finish(new Error('connection closed during the handshake'));
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (socket instanceof tls.TLSSocket) {
      socket.on('secureConnect', () => {
        const alpn = socket.alpnProtocol;
        if (alpn !== 'http/1.1') return finish(new Error(`TLS: ALPN chose ${String(alpn)}, expected http/1.1`));
        socket.write(request);
      });
    } else {
      socket.on('connect', () => socket.write(request));
    }
  });
}

/**
 * TLS as the HTTP/1.1 side of the HTTP/2 scenarios dials it: the bench's CA, ALPN http/1.1 only.
 * One secure context for every connection, as a browser has: given `ca` alone, tls.connect would
 * build a context per connection (~1 ms of CPU each), which is the client's cost, not TLS's.
 */
export function http1TlsOptions(ca: Buffer): tls.ConnectionOptions {
  return { secureContext: tls.createSecureContext({ ca }), servername: 'localhost', ALPNProtocols: ['http/1.1'] };
}

/** Open `count` connections with at most `parallel` handshakes in flight. */
export async function openMany(
  count: number,
  parallel: number,
  open: (index: number) => Promise<OpenSocket>,
): Promise<OpenSocket[]> {
  const sockets: OpenSocket[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      sockets[index] = await open(index);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } catch (error) {
    for (const open of sockets) open?.socket.destroy();
    throw error;
  }
  return sockets;
}
