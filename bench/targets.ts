// The servers the bench compares. Each runs in its own child process (bench/server.ts), started
// fresh for every measurement, with the environment below.

export type TargetName =
  | 'wsmith'
  | 'ws'
  | 'ws-native'
  | 'raw'
  | 'wsmith-deflate'
  | 'ws-deflate'
  | 'ws-deflate-native'
  | 'wsmith-h1'
  | 'wsmith-h2'
  | 'broken-drop'
  | 'broken-corrupt'
  | 'broken-corrupt-deflate'
  | 'broken-corrupt-h2';

/** The plain target a target corresponds to: its column in the README table, its colour family. */
export type Column = 'wsmith' | 'ws' | 'ws-native' | 'raw';

/**
 * How the load client reaches the server. Unset: plain TCP to the library's own port. Set: the
 * server is a node:http2 secure server with `allowHTTP1` (the same one for both), and the client
 * speaks HTTP/1.1 over TLS (ALPN http/1.1: one connection per WebSocket, as a browser does
 * without HTTP/2) or HTTP/2 (ALPN h2: every WebSocket a stream of one connection, RFC 8441).
 */
export type Transport = 'h1-tls' | 'h2';

export interface Target {
  name: TargetName;
  label: string;
  /** The library the server is written with ('raw' is node:net without WebSocket framing). */
  library: 'wsmith' | 'ws' | 'raw';
  /** Environment for the server process (and the micro-bench process). */
  env: Record<string, string>;
  /** The raw TCP echo answers with the client's own bytes: frames stay masked. */
  rawEcho: boolean;
  /**
   * The server is made with `perMessageDeflate: true` (RFC 7692) and the load client offers
   * permessage-deflate to it. Each library's defaults apply: wsmith answers
   * server_no_context_takeover and client_no_context_takeover; ws allows context takeover both
   * ways and compresses messages of 1024 bytes and more.
   */
  deflate: boolean;
  column: Column;
  transport?: Transport;
}

// ws 8 picks its native helpers at load time; these variables make it pure JavaScript.
// (On Node 20 ws validates UTF-8 with the built-in buffer.isUtf8 in both variants.)
const WS_PURE_JS = { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' };

export const TARGETS: Record<TargetName, Target> = {
  wsmith: { name: 'wsmith', label: 'wsmith', library: 'wsmith', env: {}, rawEcho: false, deflate: false, column: 'wsmith' },
  ws: { name: 'ws', label: 'ws (pure JS)', library: 'ws', env: WS_PURE_JS, rawEcho: false, deflate: false, column: 'ws' },
  'ws-native': {
    name: 'ws-native',
    label: 'ws + bufferutil/utf-8-validate',
    library: 'ws',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'ws-native',
  },
  raw: { name: 'raw', label: 'raw TCP (ceiling)', library: 'raw', env: {}, rawEcho: true, deflate: false, column: 'raw' },
  'wsmith-deflate': {
    name: 'wsmith-deflate',
    label: 'wsmith, deflate',
    library: 'wsmith',
    env: {},
    rawEcho: false,
    deflate: true,
    column: 'wsmith',
  },
  'ws-deflate': {
    name: 'ws-deflate',
    label: 'ws (pure JS), deflate',
    library: 'ws',
    env: WS_PURE_JS,
    rawEcho: false,
    deflate: true,
    column: 'ws',
  },
  'ws-deflate-native': {
    name: 'ws-deflate-native',
    label: 'ws + bufferutil, deflate',
    library: 'ws',
    env: {},
    rawEcho: false,
    deflate: true,
    column: 'ws-native',
  },
  // The HTTP/2 scenarios: one wsmith server (http2 over TLS, allowHTTP1), two ways to reach it.
  'wsmith-h1': {
    name: 'wsmith-h1',
    label: 'wsmith, HTTP/1.1 + TLS',
    library: 'wsmith',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'wsmith',
    transport: 'h1-tls',
  },
  'wsmith-h2': {
    name: 'wsmith-h2',
    label: 'wsmith, HTTP/2 (TLS)',
    library: 'wsmith',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'wsmith',
    transport: 'h2',
  },
  // Deliberately wrong servers, only for the smoke test of the load client.
  'broken-drop': {
    name: 'broken-drop',
    label: 'ws that drops a message',
    library: 'ws',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'ws',
  },
  'broken-corrupt': {
    name: 'broken-corrupt',
    label: 'ws that corrupts a message',
    library: 'ws',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'ws',
  },
  'broken-corrupt-deflate': {
    name: 'broken-corrupt-deflate',
    label: 'ws, deflate, that corrupts a message',
    library: 'ws',
    env: {},
    rawEcho: false,
    deflate: true,
    column: 'ws',
  },
  'broken-corrupt-h2': {
    name: 'broken-corrupt-h2',
    label: 'wsmith over HTTP/2 that corrupts a message',
    library: 'wsmith',
    env: {},
    rawEcho: false,
    deflate: false,
    column: 'wsmith',
    transport: 'h2',
  },
};

export const DEFAULT_TARGETS: TargetName[] = [
  'wsmith',
  'ws',
  'ws-native',
  'raw',
  'wsmith-deflate',
  'ws-deflate',
  'ws-deflate-native',
  'wsmith-h1',
  'wsmith-h2',
];

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}
