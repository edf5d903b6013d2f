/**
 * The `perMessageDeflate` option, named as `ws` names it (doc/ws.md, "new WebSocketServer"),
 * validated and normalised into the settings that negotiation (permessage-deflate.ts) and the
 * DEFLATE engine read. Invalid values throw as `ws` does through node:zlib: a TypeError for a
 * value of the wrong type, a RangeError for a number out of range.
 *
 * Where wsmith differs from ws, on purpose:
 * - A server that leaves `serverNoContextTakeover` / `clientNoContextTakeover` unset answers with
 *   both `server_no_context_takeover` and `client_no_context_takeover` (RFC 7692 §7.1.1.1 and
 *   §7.1.1.2 let it ask for both even when not offered), so that no connection keeps a zlib
 *   context between messages: the engine then serves every connection from a small shared pool.
 *   Setting them to `false` allows context takeover (and still honours a client that asks
 *   for no takeover, where ws would decline its offer).
 * - Window bits are 9..15, not 8..15: zlib cannot make raw DEFLATE with a 256-byte window and
 *   silently uses 512 bytes (zlib issue #171), so neither we nor a zlib-based peer (browsers,
 *   ws, python-websockets) could keep a promise of 8. An 8 in a peer's offer or answer is
 *   still handled as RFC 7692 says (permessage-deflate.ts).
 * - `level` and `memLevel` may be given at the top level (as ws 2.x had them) or, as ws 8 does,
 *   inside `zlibDeflateOptions`; the top level wins. Of `zlibDeflateOptions` only `level`,
 *   `memLevel`, `strategy` and `chunkSize` are used, and of `zlibInflateOptions` only
 *   `chunkSize`: the window comes from the negotiation, and a flush mode or a dictionary
 *   would break the format RFC 7692 §7.2 defines.
 */

/** zlib's option subset that permessage-deflate uses (the other node:zlib options are ignored). */
export interface ZlibTuning {
  level?: number;
  memLevel?: number;
  strategy?: number;
  chunkSize?: number;
  [other: string]: unknown;
}

/** The `perMessageDeflate` option object (ws's names; see doc/ws.md). */
export interface PerMessageDeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Server: answer `server_no_context_takeover` (default true in wsmith). Client: ask for it. */
  serverNoContextTakeover?: boolean;
  /** Server: answer `client_no_context_takeover` (default true in wsmith). Client: offer it. */
  clientNoContextTakeover?: boolean;
  /** Server: the largest window it compresses with (9..15). Client: ask the server for one (9..15). */
  serverMaxWindowBits?: number;
  /**
   * Server: ask the client for a window no larger (9..15), when the client offered the parameter.
   * Client: the window it compresses with (9..15); `true` (default) offers the parameter without
   * a value (RFC 7692 §7.1.2.2), `false` leaves it out.
   */
  clientMaxWindowBits?: number | boolean;
  /** zlib compression level, -1 (zlib's default, 6) to 9. */
  level?: number;
  /** zlib memory level, 1 to 9 (default 8). */
  memLevel?: number;
  /** At most this many zlib jobs at once on the thread pool, process-wide. Default 10. */
  concurrencyLimit?: number;
  zlibDeflateOptions?: ZlibTuning;
  zlibInflateOptions?: ZlibTuning;
}

export type DeflateRole = 'server' | 'client';

/** The option, validated, with every default filled in. */
export interface DeflateSettings {
  readonly role: DeflateRole;
  readonly threshold: number;
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** Undefined: no limit configured (server) / not requested (client). */
  readonly serverMaxWindowBits: number | undefined;
  /** A number, `true` (client only: offered without a value) or undefined (not used). */
  readonly clientMaxWindowBits: number | true | undefined;
  readonly level: number;
  readonly memLevel: number;
  readonly strategy: number;
  /** zlib output chunk sizes, when the user set them. */
  readonly deflateChunkSize: number | undefined;
  readonly inflateChunkSize: number | undefined;
  readonly concurrencyLimit: number;
}

/** RFC 7692 §7.1.2.1 allows 8..15; zlib's raw deflate needs at least 9 (issue #171). */
export const MIN_WINDOW_BITS = 8;
export const MIN_ZLIB_WINDOW_BITS = 9;
export const MAX_WINDOW_BITS = 15;
export const DEFAULT_THRESHOLD = 1024;
export const DEFAULT_CONCURRENCY_LIMIT = 10;
/** zlib's Z_DEFAULT_COMPRESSION and default memLevel (8), as node:zlib uses them. */
export const DEFAULT_LEVEL = -1;
export const DEFAULT_MEM_LEVEL = 8;
/** Node's Z_MIN_CHUNK: the smallest output chunk node:zlib accepts. */
const MIN_CHUNK_SIZE = 64;

/**
 * Validate `perMessageDeflate` for one role. `undefined` means the role's default: off on a
 * server, on on a client (as in ws). Returns null when the extension is off.
 */
export function normalizePerMessageDeflate(
  option: boolean | PerMessageDeflateOptions | undefined,
  role: DeflateRole,
): DeflateSettings | null {
  if (option === undefined) option = role === 'client';
  if (option === false) return null;
  if (option === true) option = {};
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(`The "perMessageDeflate" option must be a boolean or an object, not ${describe(option)}`);
  }
  const deflateTuning = tuning(option.zlibDeflateOptions, 'zlibDeflateOptions');
  const inflateTuning = tuning(option.zlibInflateOptions, 'zlibInflateOptions');
  const server = role === 'server';
  return {
    role,
    threshold: number(option.threshold, 'threshold', 0, Infinity, false) ?? DEFAULT_THRESHOLD,
    // wsmith's server default: no context takeover in either direction (see above).
    serverNoContextTakeover: boolean(option.serverNoContextTakeover, 'serverNoContextTakeover') ?? server,
    clientNoContextTakeover: boolean(option.clientNoContextTakeover, 'clientNoContextTakeover') ?? server,
    serverMaxWindowBits: windowBits(option.serverMaxWindowBits, 'serverMaxWindowBits'),
    clientMaxWindowBits: clientWindowBits(option.clientMaxWindowBits, role),
    level:
      number(option.level, 'level', -1, 9, true) ?? number(deflateTuning.level, 'zlibDeflateOptions.level', -1, 9, true) ?? DEFAULT_LEVEL,
    memLevel:
      number(option.memLevel, 'memLevel', 1, 9, true) ??
      number(deflateTuning.memLevel, 'zlibDeflateOptions.memLevel', 1, 9, true) ??
      DEFAULT_MEM_LEVEL,
    strategy: number(deflateTuning.strategy, 'zlibDeflateOptions.strategy', 0, 4, true) ?? 0,
    deflateChunkSize: number(deflateTuning.chunkSize, 'zlibDeflateOptions.chunkSize', MIN_CHUNK_SIZE, Infinity, true),
    inflateChunkSize: number(inflateTuning.chunkSize, 'zlibInflateOptions.chunkSize', MIN_CHUNK_SIZE, Infinity, true),
    concurrencyLimit:
      number(option.concurrencyLimit, 'concurrencyLimit', 1, Infinity, true) ?? DEFAULT_CONCURRENCY_LIMIT,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function tuning(value: ZlibTuning | undefined, name: string): ZlibTuning {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`The "perMessageDeflate.${name}" option must be an object, not ${describe(value)}`);
  }
  return value;
}

function boolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(`The "perMessageDeflate.${name}" option must be a boolean, not ${describe(value)}`);
}

/** A number in [min, max] (an integer when `integer`; Infinity passes where max is Infinity). */
function number(value: unknown, name: string, min: number, max: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`The "perMessageDeflate.${name}" option must be a number, not ${describe(value)}`);
  }
  const whole = Number.isInteger(value) || (value === Infinity && max === Infinity);
  if (Number.isNaN(value) || value < min || value > max || (integer && !whole)) {
    const kind = integer ? 'an integer' : 'a number';
    const range = max === Infinity ? `>= ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`The "perMessageDeflate.${name}" option must be ${kind} ${range}. Received ${value}`);
  }
  return value;
}

function windowBits(value: unknown, name: string): number | undefined {
  if (value === MIN_WINDOW_BITS) {
    throw new RangeError(
      `The "perMessageDeflate.${name}" option must be an integer from 9 to 15. Received 8: zlib cannot ` +
        'compress raw DEFLATE with a 256-byte window, so no zlib-based side could honour it',
    );
  }
  return number(value, name, MIN_ZLIB_WINDOW_BITS, MAX_WINDOW_BITS, true);
}

function clientWindowBits(value: unknown, role: DeflateRole): number | true | undefined {
  if (typeof value === 'boolean') {
    // Client: true offers the parameter without a value, false leaves it out. Server: no limit.
    return value && role === 'client' ? true : undefined;
  }
  if (value === undefined) return role === 'client' ? true : undefined; // ws and browsers offer it
  return windowBits(value, 'clientMaxWindowBits');
}
