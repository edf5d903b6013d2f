/**
 * The server's answer to the handshake in both of its forms: the `ResponseHead` the protocol
 * core checks (src/protocol/client-handshake.ts) and the http.IncomingMessage that `ws`'s
 * 'upgrade' and 'unexpected-response' listeners receive.
 *
 * The fast path reads the response itself and makes the IncomingMessage only for a listener;
 * the node:http path (client-http.ts) gets one from node and turns it into a ResponseHead so that
 * both paths judge a response by the same rules.
 */
import { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResponseHead } from '../protocol/client-handshake.js';

/** What node:http uses to fill `headers` and `headersDistinct` from `rawHeaders`. */
interface HeaderLines {
  _addHeaderLines?(rawHeaders: string[], count: number): void;
}

/** Group raw header lines by lower-cased name; a repeated header becomes an array (as the fast path reads them). */
function groupHeaders(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1];
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  return headers;
}

/** A response node:http read, as the protocol core checks it. */
export function responseHeadOf(message: IncomingMessage): ResponseHead {
  return {
    httpVersion: message.httpVersion,
    statusCode: message.statusCode ?? 0,
    statusMessage: message.statusMessage ?? '',
    headers: groupHeaders(message.rawHeaders),
    rawHeaders: message.rawHeaders,
  };
}

/**
 * A response the fast path read, as an http.IncomingMessage: status, `headers` with node's rules
 * for repeated fields, `rawHeaders`, and no body (a 101 has none).
 */
export function incomingMessageOf(response: ResponseHead, socket: Duplex): IncomingMessage {
  const message = new IncomingMessage(socket as ConstructorParameters<typeof IncomingMessage>[0]);
  const rawHeaders = response.rawHeaders ?? Object.entries(response.headers).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).flatMap((one) => [name, one]));
  const lines = message as unknown as HeaderLines;
  if (typeof lines._addHeaderLines === 'function') {
    lines._addHeaderLines(rawHeaders, rawHeaders.length);
  } else {
    message.rawHeaders = rawHeaders;
    message.headers = { ...response.headers };
  }
  const [major, minor] = response.httpVersion.split('.').map(Number);
  message.httpVersion = response.httpVersion;
  message.httpVersionMajor = major;
  message.httpVersionMinor = minor;
  message.statusCode = response.statusCode;
  message.statusMessage = response.statusMessage;
  message.complete = true;
  message.push(null);
  return message;
}
