// The scenarios of issue 7, their sizes in each mode, and how a raw measurement becomes the
// figure in the table. `full` is `npm run bench`; `quick` is `--quick` for development; `tiny` is
// the smoke test's fraction-of-a-second mode.
import type { LoadJob, LoadResult } from './load/job.js';
import type { ServerRole } from './server.js';
import type { TargetName } from './targets.js';

export type Mode = 'full' | 'quick' | 'tiny';
type LoadKind = LoadJob['kind'];

export interface Scenario {
  name: string;
  description: string;
  kind: LoadKind | 'micro';
  role?: ServerRole;
  /** Label of the figure, e.g. 'msg/s'. */
  metric: string;
  higherIsBetter: boolean;
  /** Server CPU per unit of work: label and the factor from CPU-seconds per unit. */
  cpu?: { label: string; scale: number };
  /** Targets this scenario can run against. */
  targets: TargetName[];
  params?: (mode: Mode) => LoadJob['params'];
  /** The figure from a load result: work per second (or memory per connection for idle). */
  figure?: (result: LoadResult & { ok: true }) => number;
  /** CPU-seconds are divided by this many units (e.g. MB rather than messages). */
  cpuUnits?: (result: LoadResult & { ok: true }) => number;
  /**
   * The target ratios are taken against (default ws); ws-deflate for the compression scenarios,
   * wsmith-h1 (wsmith over HTTP/1.1 + TLS) for the HTTP/2 ones.
   */
  baseline?: TargetName;
  /**
   * Rounds in full mode when `--rounds` is not given. The close calls (targets within the
   * machine's noise) get more, so that their medians rest on more samples.
   */
  fullRounds?: number;
}

/** Full-mode rounds of the scenarios whose targets are close calls on a shared 2-core machine. */
const CLOSE_CALL_ROUNDS = 5;

const ALL: TargetName[] = ['wsmith', 'ws', 'ws-native', 'raw'];
const WEBSOCKET_ONLY: TargetName[] = ['wsmith', 'ws', 'ws-native'];
const DEFLATE: TargetName[] = ['wsmith-deflate', 'ws-deflate', 'ws-deflate-native'];
/**
 * The compression scenarios also run the same JSON messages through the plain servers (no
 * offer, nothing compressed): what compression costs each library, side by side (and, in
 * idle-memory-deflate, what an idle connection keeps after one plain message).
 */
const DEFLATE_WITH_PLAIN: TargetName[] = [...DEFLATE, 'wsmith', 'ws'];
/** Above both servers' 1024-byte threshold, so every message is compressed both ways. */
const JSON_MESSAGE = 1100;
/**
 * The HTTP/2 scenarios compare wsmith with itself: one server (http2 over TLS with allowHTTP1),
 * reached over HTTP/1.1 + TLS and over HTTP/2. ws has no HTTP/2 (RFC 8441) support.
 */
const OVER_HTTP2: TargetName[] = ['wsmith-h1', 'wsmith-h2'];
const MB = 1e6;

const perSecond = (result: LoadResult & { ok: true }): number => result.units / result.seconds;
const bytes = (result: LoadResult & { ok: true }): number => Number(result.detail.bytes);

function echoLarge(size: number, label: string, full: [number, number]): Scenario {
  return {
    name: `echo-large-${label}`,
    description: `echo of ${label === '64k' ? '64 KiB' : '1 MiB'} binary messages, ${full[0]} connections × ${full[1]} in flight`,
    kind: 'echo',
    role: 'echo',
    metric: 'MB/s',
    higherIsBetter: true,
    cpu: { label: 'ms/MB', scale: 1e3 },
    targets: ALL,
    params: (mode) => {
      const [connections, inFlight] = mode === 'tiny' ? [1, 1] : full;
      return { connections, inFlight, size, text: false };
    },
    figure: (r) => bytes(r) / MB / r.seconds,
    cpuUnits: (r) => bytes(r) / MB,
    fullRounds: CLOSE_CALL_ROUNDS,
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'echo-small',
    description: 'echo of 32-byte text messages, 64 connections × 16 in flight',
    kind: 'echo',
    role: 'echo',
    metric: 'msg/s',
    higherIsBetter: true,
    cpu: { label: 'µs/msg', scale: 1e6 },
    targets: ALL,
    params: (mode) =>
      mode === 'tiny'
        ? { connections: 8, inFlight: 4, size: 32, text: true }
        : { connections: 64, inFlight: 16, size: 32, text: true },
    figure: perSecond,
  },
  echoLarge(64 * 1024, '64k', [16, 4]),
  echoLarge(1024 * 1024, '1m', [4, 2]),
  {
    name: 'broadcast',
    description: '1 publisher → 1,000 subscribers, 64-byte binary messages, 16 in flight',
    kind: 'broadcast',
    role: 'broadcast',
    metric: 'deliveries/s',
    higherIsBetter: true,
    cpu: { label: 'µs/delivery', scale: 1e6 },
    targets: ALL,
    params: (mode) => ({ subscribers: mode === 'tiny' ? 20 : 1000, window: mode === 'tiny' ? 4 : 16, size: 64 }),
    figure: perSecond,
  },
  {
    name: 'connect-rate',
    description: 'open → upgrade → close handshake → TCP close, 32 parallel loops',
    kind: 'connect',
    role: 'echo', // the raw target must echo the close frame too
    metric: 'handshakes/s',
    higherIsBetter: true,
    cpu: { label: 'µs/handshake', scale: 1e6 },
    targets: ALL,
    params: (mode) => ({ parallel: mode === 'tiny' ? 4 : 32 }),
    figure: perSecond,
    fullRounds: CLOSE_CALL_ROUNDS,
  },
  {
    name: 'http-reject',
    description: 'plain HTTP GET to the WebSocket endpoint (autocannon, 32 connections), answered with a 4xx',
    kind: 'http-reject',
    role: 'echo',
    metric: 'req/s',
    higherIsBetter: true,
    cpu: { label: 'µs/req', scale: 1e6 },
    targets: WEBSOCKET_ONLY,
    params: (mode) => ({ connections: mode === 'tiny' ? 4 : 32 }),
    figure: perSecond,
  },
  {
    name: 'idle-memory',
    description: 'server RSS per idle, handshaken connection (10,000 connections)',
    kind: 'idle',
    role: 'idle',
    metric: 'KiB/conn',
    higherIsBetter: false,
    targets: ALL,
    params: (mode) =>
      mode === 'tiny'
        ? { warm: 20, connections: 100, parallel: 20 }
        : mode === 'quick'
          ? { warm: 200, connections: 2000, parallel: 100 }
          : { warm: 200, connections: 10_000, parallel: 100 },
  },
  {
    name: 'echo-deflate',
    description: 'echo of ~1.1 KiB JSON text, compressed (permessage-deflate), 64 connections × 16 in flight',
    kind: 'echo',
    role: 'echo',
    metric: 'msg/s',
    higherIsBetter: true,
    cpu: { label: 'µs/msg', scale: 1e6 },
    targets: DEFLATE_WITH_PLAIN,
    baseline: 'ws-deflate',
    params: (mode) =>
      mode === 'tiny'
        ? { connections: 8, inFlight: 4, size: JSON_MESSAGE, text: true, json: true }
        : { connections: 64, inFlight: 16, size: JSON_MESSAGE, text: true, json: true },
    figure: perSecond,
  },
  {
    name: 'broadcast-deflate',
    description: '1 publisher → 1,000 subscribers, ~1.1 KiB JSON text, compressed, 16 messages in flight',
    kind: 'broadcast',
    role: 'broadcast',
    metric: 'deliveries/s',
    higherIsBetter: true,
    cpu: { label: 'µs/delivery', scale: 1e6 },
    targets: DEFLATE_WITH_PLAIN,
    baseline: 'ws-deflate',
    params: (mode) => ({ subscribers: mode === 'tiny' ? 20 : 1000, window: mode === 'tiny' ? 4 : 16, size: JSON_MESSAGE, json: true }),
    figure: perSecond,
  },
  {
    name: 'idle-memory-deflate',
    description: 'server RSS per idle connection that has exchanged one compressed ~1.1 KiB message (10,000 connections)',
    kind: 'idle',
    role: 'echo',
    metric: 'KiB/conn',
    higherIsBetter: false,
    targets: DEFLATE_WITH_PLAIN,
    baseline: 'ws-deflate',
    params: (mode) =>
      mode === 'tiny'
        ? { warm: 20, connections: 100, parallel: 20, message: JSON_MESSAGE }
        : mode === 'quick'
          ? { warm: 200, connections: 2000, parallel: 100, message: JSON_MESSAGE }
          : { warm: 200, connections: 10_000, parallel: 100, message: JSON_MESSAGE },
  },
  {
    name: 'h2-echo-small',
    description:
      'echo of 32-byte text, 100 WebSockets × 16 in flight: 100 HTTP/1.1 + TLS connections against 100 streams of one HTTP/2 connection',
    kind: 'echo',
    role: 'echo',
    metric: 'msg/s',
    higherIsBetter: true,
    cpu: { label: 'µs/msg', scale: 1e6 },
    targets: OVER_HTTP2,
    baseline: 'wsmith-h1',
    params: (mode) =>
      mode === 'tiny'
        ? { connections: 8, inFlight: 4, size: 32, text: true }
        : { connections: 100, inFlight: 16, size: 32, text: true },
    figure: perSecond,
    fullRounds: CLOSE_CALL_ROUNDS,
  },
  {
    name: 'h2-connect-rate',
    description:
      'open → close handshake → end, 32 parallel loops: a new TLS connection each (session resumed) against a new stream of one open HTTP/2 connection',
    kind: 'connect',
    role: 'echo',
    metric: 'handshakes/s',
    higherIsBetter: true,
    cpu: { label: 'µs/handshake', scale: 1e6 },
    targets: OVER_HTTP2,
    baseline: 'wsmith-h1',
    params: (mode) => ({ parallel: mode === 'tiny' ? 4 : 32 }),
    figure: perSecond,
    fullRounds: CLOSE_CALL_ROUNDS,
  },
  ...['micro-parse-small', 'micro-parse-64k', 'micro-encode-small', 'micro-encode-64k'].map(
    (name): Scenario => ({
      name,
      description: {
        'micro-parse-small': 'protocol core: parse 32-byte masked text frames (16 KiB chunks)',
        'micro-parse-64k': 'protocol core: parse 64 KiB masked binary frames (64 KiB chunks)',
        'micro-encode-small': 'protocol core: encode one 32-byte server frame',
        'micro-encode-64k': 'protocol core: encode one 64 KiB server frame',
      }[name] as string,
      kind: 'micro',
      metric: name.startsWith('micro-parse-64k') ? 'MB/s' : 'msg/s',
      higherIsBetter: true,
      targets: WEBSOCKET_ONLY,
    }),
  ),
];

export interface Timing {
  warmupMs: number;
  measureMs: number;
  rounds: number;
  /** Time budget of each micro-benchmark case. */
  microMs: number;
}

export const TIMING: Record<Mode, Timing> = {
  full: { warmupMs: 750, measureMs: 2500, rounds: 3, microMs: 500 },
  quick: { warmupMs: 300, measureMs: 1000, rounds: 1, microMs: 200 },
  tiny: { warmupMs: 50, measureMs: 200, rounds: 1, microMs: 30 },
};

/**
 * A filter selects the scenario of that name, else every scenario it prefixes: `--only
 * echo-large` selects echo-large-64k and echo-large-1m, `micro` all micro-*, while `broadcast`
 * is broadcast alone. `deflate` selects the compression scenarios (*-deflate), `h2` the HTTP/2
 * ones (h2-*).
 */
export function selectScenarios(filters: string[] | null): Scenario[] {
  if (filters === null) return SCENARIOS;
  const matches = (s: Scenario, f: string): boolean => {
    if (SCENARIOS.some((other) => other.name === f)) return s.name === f;
    return s.name.startsWith(`${f}-`) || (f === 'deflate' && s.name.endsWith('-deflate'));
  };
  const unknown = filters.filter((f) => !SCENARIOS.some((s) => matches(s, f)));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  return SCENARIOS.filter((s) => filters.some((f) => matches(s, f)));
}
