// What carries a WebSocket's bytes, and how the suite tells that the peer ended it: a TCP
// connection (RFC 6455), or one stream of an HTTP/2 connection (RFC 8441). RFC 8441 §5: "Orderly
// TCP-level closures are represented as END_STREAM flags"; a TCP RST is a stream error
// (RST_STREAM, of type CANCEL). The cases judge the end of a carrier, never its kind.
import { constants, type ClientHttp2Stream, type Http2Session } from 'node:http2';
import type { Duplex } from 'node:stream';

export type CarrierKind = 'tcp' | 'h2';

/** How the peer ended the carrier. */
export type PeerEnd =
  /** TCP: FIN, or the socket closed. */
  | { how: 'fin' }
  /** HTTP/2: END_STREAM (RFC 8441 §5: the orderly close). */
  | { how: 'end-stream' }
  /** HTTP/2: RST_STREAM before END_STREAM, whatever its code (RFC 8441 §5: the TCP RST). */
  | { how: 'reset'; code: number }
  /** HTTP/2: the whole connection went (GOAWAY and close, or the socket dropped). */
  | { how: 'connection-closed' };

export interface CarrierListener {
  data(chunk: Buffer): void;
  /** The peer ended the carrier; `detail` for the wire log. Only the first call counts. */
  ended(end: PeerEnd, detail: string): void;
  /** The carrier is closed, whoever closed it. */
  closed(): void;
  error(text: string): void;
}

const ERROR_NAMES = new Map<number, string>(
  Object.entries(constants)
    .filter(([name]) => name.startsWith('NGHTTP2_') && !name.startsWith('NGHTTP2_ERR') && name.endsWith('ERROR'))
    .map(([name, code]) => [code as number, name.slice('NGHTTP2_'.length)]),
);

/** RFC 9113 §7: an HTTP/2 error code by name ("CANCEL", "PROTOCOL_ERROR"). */
export function h2ErrorName(code: number): string {
  if (code === constants.NGHTTP2_CANCEL) return 'CANCEL';
  if (code === constants.NGHTTP2_REFUSED_STREAM) return 'REFUSED_STREAM';
  if (code === constants.NGHTTP2_ENHANCE_YOUR_CALM) return 'ENHANCE_YOUR_CALM';
  return ERROR_NAMES.get(code) ?? `error code ${code}`;
}

/** What the peer did, as the reasons and the wire log say it. */
export function describePeerEnd(end: PeerEnd): string {
  switch (end.how) {
    case 'fin': return 'dropped TCP';
    case 'end-stream': return 'ended the stream (END_STREAM)';
    case 'reset': return `reset the stream (RST_STREAM ${h2ErrorName(end.code)})`;
    case 'connection-closed': return 'closed the whole HTTP/2 connection';
  }
}

/** Is this the orderly end (TCP FIN, END_STREAM) that a clean closing handshake ends with? */
export function isOrderly(end: PeerEnd): boolean {
  return end.how === 'fin' || end.how === 'end-stream';
}

/** Listen to the carrier's events; the listener learns of the peer's end once. */
export function watchCarrier(stream: Duplex, kind: CarrierKind, listener: CarrierListener): void {
  stream.on('data', (chunk: Buffer) => listener.data(chunk));
  stream.on('error', (err: Error) => listener.error(err.message));
  if (kind === 'tcp') {
    (stream as Partial<{ setNoDelay(on: boolean): void }>).setNoDelay?.(true);
    stream.on('end', () => listener.ended({ how: 'fin' }, 'peer closed its side of the TCP connection (FIN)'));
    stream.on('close', () => {
      listener.ended({ how: 'fin' }, 'TCP connection closed');
      listener.closed();
    });
    return;
  }
  watchStream(stream as ClientHttp2Stream, listener);
}

/**
 * node:http2 emits 'end' for END_STREAM, and also for a stream that closes (RST_STREAM, or the
 * session going): an 'end' on a stream that is not yet closed is END_STREAM (even when a
 * RST_STREAM came in the same read); otherwise 'close' tells what happened from `rstCode` and
 * the session.
 */
function watchStream(stream: ClientHttp2Stream, listener: CarrierListener): void {
  const session: Http2Session | undefined = stream.session;
  let ended = false;
  const onGoaway = (code: number): void => listener.error(`peer sent GOAWAY (${h2ErrorName(code)}) on the HTTP/2 connection`);
  session?.on('goaway', onGoaway);
  stream.on('end', () => {
    if (stream.destroyed || stream.closed) return;
    ended = true;
    listener.ended({ how: 'end-stream' }, 'peer ended its stream (END_STREAM)');
  });
  stream.on('close', () => {
    if (!ended && session !== undefined && (session.destroyed || session.closed)) {
      listener.ended({ how: 'connection-closed' }, 'the HTTP/2 connection closed (GOAWAY or the socket dropped), and the stream with it');
    } else if (!ended) {
      listener.ended({ how: 'reset', code: stream.rstCode }, `peer reset its stream (RST_STREAM ${h2ErrorName(stream.rstCode)})`);
    }
    session?.removeListener('goaway', onGoaway);
    listener.closed();
  });
}

/** How long an ended stream may take to close before the suite resets it (data stuck behind flow control). */
const STREAM_LINGER_MS = 1000;

/**
 * The suite is done with the carrier. TCP: destroy the socket. HTTP/2: after the peer's orderly
 * end, end ours too (END_STREAM: the stream is then closed); otherwise RST_STREAM CANCEL, the
 * TCP RST of RFC 8441 §5. Either way the HTTP/2 connection stays up for the next case.
 */
export function releaseCarrier(stream: Duplex, kind: CarrierKind, peerEndedInOrder: boolean): void {
  if (kind === 'tcp') {
    stream.destroy();
    return;
  }
  const h2 = stream as ClientHttp2Stream;
  if (h2.closed) return;
  if (!peerEndedInOrder) {
    h2.close(constants.NGHTTP2_CANCEL);
    return;
  }
  h2.end();
  // Not close() in the same tick as end(): node 20 then spins forever in its http2 binding.
  setTimeout(() => {
    if (!h2.closed) h2.close(constants.NGHTTP2_CANCEL);
  }, STREAM_LINGER_MS).unref();
}
