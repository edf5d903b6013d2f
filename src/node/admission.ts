/**
 * Who gets in: the server's limits on connections, applied before a connection gets any state of
 * its own (no protocol object, no transport, no timer). A connection over a limit is answered
 * with a response made once for the whole process (503, or 429 for one address's share) and
 * closed; the bytes it sends meanwhile are read and dropped, so that closing does not turn into a
 * TCP reset that could destroy the answer before the client reads it.
 *
 * - `maxConnections`: connections in their handshake plus open WebSockets.
 * - `maxConnectionsPerIp`: the same, per client address (IPv6 per /64, the block a subscriber
 *   usually gets: one host can use any address in it).
 * - `maxPendingVerifications`: `verifyClient` calls not yet answered (an asynchronous hook that
 *   asks a database must not be asked a million times at once).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { buildRejectResponse } from '../protocol/http-head.js';

export interface AdmissionOptions {
  /** Connections (handshakes and open WebSockets) at once; more get 503. Default: no limit. */
  maxConnections?: number;
  /** Connections at once from one address (IPv6: one /64); more get 429. Default: no limit. */
  maxConnectionsPerIp?: number;
  /** `verifyClient` calls waiting for their answer at once; more get 503. Default 1,000. */
  maxPendingVerifications?: number;
}

export type ServerLimit = 'maxConnections' | 'maxConnectionsPerIp' | 'maxPendingVerifications';

export const DEFAULT_MAX_PENDING_VERIFICATIONS = 1_000;
/** How long a refused client may take to read its answer before we close. */
const LINGER = 2_000;

const BUSY = Buffer.from(buildRejectResponse(503, 'The server has too many connections', { 'Retry-After': '5' }), 'latin1');
const TOO_MANY_FROM_YOU = Buffer.from(
  buildRejectResponse(429, 'Too many connections from your address', { 'Retry-After': '5' }),
  'latin1',
);

/** The address an admitted connection was counted under (only when a per-address limit is set). */
const kAddress = Symbol('wsmith.admittedAddress');
type Counted = Duplex & { [kAddress]?: string };

function ignore(): void {}
function destroyStream(this: Duplex): void {
  this.destroy();
}

/** Answer and close a connection we will not serve (no state of its own: shared listeners only). */
export function refuseConnection(stream: Duplex, response: Buffer): void {
  stream.on('error', ignore);
  const socket = stream as Partial<Socket>;
  if (socket.setTimeout !== undefined) {
    // Read and drop what it sends until it closes (after reading our answer), or LINGER passes.
    socket.setTimeout(LINGER);
    stream.once('timeout', destroyStream);
    stream.end(response);
    stream.resume();
  } else {
    stream.once('finish', destroyStream);
    stream.end(response);
  }
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 1)) throw new RangeError(`${name} must be a number of at least 1, not ${String(value)}`);
  return value;
}

/**
 * The key a client address is counted under: an IPv4 address (also IPv4-mapped IPv6) as it is,
 * an IPv6 address by its first 64 bits.
 */
export function addressKey(address: string): string {
  if (!address.includes(':')) return address;
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  const zone = lower.indexOf('%');
  const bare = zone === -1 ? lower : lower.slice(0, zone);
  const [left, right = ''] = bare.split('::');
  const head = left === '' ? [] : left.split(':');
  const tail = bare.includes('::') ? (right === '' ? [] : right.split(':')) : [];
  const groups = [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}

export class Admission {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly maxPendingVerifications: number;
  /** Connections counted now (only while a connection limit is set). */
  connections = 0;
  pendingVerifications = 0;
  private readonly perAddress = new Map<string, number>();
  private readonly counting: boolean;
  private readonly onLimit: (limit: ServerLimit, address: string | undefined) => void;

  constructor(options: AdmissionOptions, onLimit: (limit: ServerLimit, address: string | undefined) => void) {
    this.maxConnections = checkLimit('maxConnections', options.maxConnections, Infinity);
    this.maxConnectionsPerIp = checkLimit('maxConnectionsPerIp', options.maxConnectionsPerIp, Infinity);
    this.maxPendingVerifications = checkLimit(
      'maxPendingVerifications',
      options.maxPendingVerifications,
      DEFAULT_MAX_PENDING_VERIFICATIONS,
    );
    this.counting = this.maxConnections !== Infinity || this.maxConnectionsPerIp !== Infinity;
    this.onLimit = onLimit;
  }

  /**
   * Count a new connection in, or answer it (503 or 429) and close it: false then, and the
   * caller does nothing more with it.
   */
  admit(stream: Duplex): boolean {
    if (!this.counting) return true;
    const address = (stream as Partial<Socket>).remoteAddress;
    const refused = this.take(stream, address);
    if (refused === null) return true;
    refuseConnection(stream, refused === 'maxConnectionsPerIp' ? TOO_MANY_FROM_YOU : BUSY);
    return false;
  }

  /**
   * Count a new connection from `address` in, released when `stream` closes; or the limit that
   * refuses it (reported to `onLimit`), for a caller that answers in its own way (an HTTP/2
   * stream answers with its headers, RFC 8441).
   */
  take(stream: Duplex, address: string | undefined): ServerLimit | null {
    if (!this.counting) return null;
    if (this.connections >= this.maxConnections) {
      this.onLimit('maxConnections', address);
      return 'maxConnections';
    }
    if (this.maxConnectionsPerIp !== Infinity && address !== undefined) {
      const key = addressKey(address);
      const count = this.perAddress.get(key) ?? 0;
      if (count >= this.maxConnectionsPerIp) {
        this.onLimit('maxConnectionsPerIp', address);
        return 'maxConnectionsPerIp';
      }
      this.perAddress.set(key, count + 1);
      (stream as Counted)[kAddress] = key;
    }
    this.connections++;
    stream.once('close', this.release);
    return null;
  }

  /** May one more `verifyClient` call start? If so it is counted until `endVerification()`. */
  beginVerification(address: string | undefined): boolean {
    if (this.pendingVerifications >= this.maxPendingVerifications) {
      this.onLimit('maxPendingVerifications', address);
      return false;
    }
    this.pendingVerifications++;
    return true;
  }

  endVerification(): void {
    this.pendingVerifications--;
  }

  /** A counted connection closed (one listener for all of them: `this` is the stream). */
  private readonly release = ((admission: Admission) =>
    function release(this: Duplex): void {
      admission.connections--;
      const key = (this as Counted)[kAddress];
      if (key === undefined) return;
      const count = admission.perAddress.get(key)! - 1;
      if (count === 0) admission.perAddress.delete(key);
      else admission.perAddress.set(key, count);
    })(this);
}
