/**
 * The front door of a WebSocketServer that listens on its own port: HTTP/1.1 read straight from
 * TCP, with no `node:http` server in between. The only request it serves is the opening handshake
 * (RFC 6455 §4.2.1); anything else is answered 426 Upgrade Required (§4.2.2), as ws answers it.
 *
 * Reading the head ourselves keeps an idle connection to the socket plus the WebSocket: node:http
 * would leave its per-connection state behind on every upgraded socket, and parse each request
 * into objects we do not need.
 */
import { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { buildRejectResponse, parseRequestLine } from '../protocol/handshake.js';
import { HttpHeadReader } from '../protocol/http-head.js';

/** Like node:http's default (--max-http-header-size): 16 KiB for the request line and headers. */
export const MAX_REQUEST_HEAD_SIZE = 16 * 1024;

export interface RequestReaderOptions {
  /** How long a client may take to send its request head (ms); then 408. */
  timeout: number;
  /** Called with each complete upgrade request, its socket (paused) and the bytes after the head. */
  onUpgrade: (request: IncomingMessage, socket: Socket, head: Buffer) => void;
}

/** The request line is judged as soon as it is complete, before the headers arrive. */
function checkRequestLine(line: string): string | null {
  return parseRequestLine(line) === null ? 'malformed request line' : null;
}

/**
 * Read requests from a fresh TCP connection: hand an upgrade on, answer anything else. A plain
 * request without a body on a persistent HTTP/1.1 connection is answered and the next one read
 * (RFC 7230 §6.3), as node:http would, so a client that probes the endpoint keeps its connection.
 * Like node:http, we stop reading pipelined requests while the client does not read our answers:
 * otherwise a peer that only sends would make us queue answers without limit.
 */
export function readRequest(socket: Socket, options: RequestReaderOptions): void {
  let reader = new HttpHeadReader(MAX_REQUEST_HEAD_SIZE, checkRequestLine);
  let timer = setTimeout(onTimeout, options.timeout);
  function onTimeout(): void {
    socket.removeListener('data', onData);
    answer(socket, 408, 'The request head did not arrive in time');
  }
  function onError(): void {
    clearTimeout(timer);
    socket.destroy();
  }
  /** Wait for the next request on this connection. */
  function startReading(): void {
    reader = new HttpHeadReader(MAX_REQUEST_HEAD_SIZE, checkRequestLine);
    timer = setTimeout(onTimeout, options.timeout);
    socket.on('data', onData);
    socket.resume();
  }
  function onData(chunk: Buffer): void {
    // A loop, not recursion: one read may hold thousands of small pipelined requests.
    for (let input = chunk; input.length > 0; ) {
      const result = reader.push(input);
      if (result.kind === 'incomplete') return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      // Keep what follows the head in the socket's buffer until the WebSocket takes over.
      socket.pause();
      if (result.kind === 'error') {
        socket.removeListener('error', onError);
        answer(socket, result.tooLarge ? 431 : 400, `Invalid HTTP request: ${result.message}`);
        return;
      }
      // checkRequestLine has refused a malformed line already; this parse gives us its parts.
      const line = parseRequestLine(result.head.startLine);
      if (line === null) {
        socket.removeListener('error', onError);
        answer(socket, 400, 'Invalid HTTP request: malformed request line');
        return;
      }
      const headers = result.head.headers;
      if (headers.upgrade !== undefined) {
        socket.removeListener('error', onError);
        options.onUpgrade(toIncomingMessage(socket, line, result.head.rawHeaders, headers), socket, result.rest);
        return;
      }
      // A plain HTTP request to a WebSocket-only port: say what is expected (§4.2.2, §4.4).
      const keepAlive = isPersistent(line.httpVersion, headers);
      if (!keepAlive) socket.removeListener('error', onError);
      answer(socket, 426, 'Upgrade Required: this endpoint speaks WebSocket', UPGRADE_REQUIRED, keepAlive);
      if (!keepAlive) return;
      if (socket.writableNeedDrain) {
        // The client is not reading our answers: read nothing more until it does, and not forever.
        timer = setTimeout(() => socket.destroy(), options.timeout);
        socket.once('drain', () => {
          clearTimeout(timer);
          startReading();
          if (result.rest.length > 0) onData(result.rest);
        });
        return;
      }
      startReading();
      input = result.rest; // a pipelined next request, if any
    }
  }
  socket.on('error', onError);
  socket.on('data', onData);
}

const UPGRADE_REQUIRED = { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' };

/** May the connection carry another request? HTTP/1.1 without "close", and no body to skip. */
function isPersistent(httpVersion: string, headers: Record<string, string | string[]>): boolean {
  if (httpVersion !== '1.1') return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length !== undefined && length !== '0') return false;
  const connection = headers.connection;
  const tokens = Array.isArray(connection) ? connection.join(',') : (connection ?? '');
  return !/(^|[\s,])close([\s,]|$)/i.test(tokens);
}

/** The request as node:http would have given it, so handlers written for `ws` keep working. */
function toIncomingMessage(
  socket: Socket,
  line: { method: string; target: string; httpVersion: string },
  rawHeaders: string[],
  headers: Record<string, string | string[]>,
): IncomingMessage {
  const request = new IncomingMessage(socket);
  request.method = line.method;
  request.url = line.target;
  request.httpVersion = line.httpVersion;
  request.httpVersionMajor = Number(line.httpVersion[0]);
  request.httpVersionMinor = Number(line.httpVersion[2]);
  request.rawHeaders = rawHeaders;
  // node:http joins repeated headers with ", " (set-cookie stays a list).
  const joined: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    joined[name] = Array.isArray(value) && name !== 'set-cookie' ? value.join(', ') : value;
  }
  request.headers = joined;
  request.complete = true;
  return request;
}

function answer(
  socket: Socket,
  status: number,
  reason: string,
  headers?: Record<string, string>,
  keepAlive = false,
): void {
  if (keepAlive) {
    socket.write(buildRejectResponse(status, reason, headers, true));
    return;
  }
  socket.on('error', destroyOnError);
  refuseAndClose(socket, status, reason, headers);
}

/** While no WebSocket owns a socket, an error (a reset) destroys it rather than going uncaught. */
export function destroyOnError(this: Socket): void {
  this.destroy();
}

/** Answer an HTTP error response and close; a client that ignores it is not waited for. */
export function refuseAndClose(socket: Socket, status: number, reason: string, headers?: Record<string, string>): void {
  if (socket.writable) socket.end(buildRejectResponse(status, reason, headers));
  socket.destroySoon?.();
}
