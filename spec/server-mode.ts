// Server mode: the suite is a fuzzing client and runs each case on a fresh connection to an
// echo server; with --h2, on a fresh stream of an HTTP/2 connection (server-mode-h2.ts).
import { connect, type Socket } from 'node:net';
import type { CarrierKind } from './carrier.js';
import { DEFAULT_TIMING, selectCases, type CaseDef, type RawContext, type RunOptions, type Timing } from './case.js';
import { ALL_CASES } from './cases/index.js';
import { formatOffer, type DeflateParams } from './extensions.js';
import { parseH2Target } from './h2-connection.js';
import { buildRequest, checkUpgradeResponse, newKey, parseHttpHead } from './handshake.js';
import type { CaseResult, Report } from './report.js';
import { extensionOf, resultWithoutRun, runCaseOnSocket, type Extension } from './run-case.js';
import { H2CaseRunner } from './server-mode-h2.js';
import type { LogEntry } from './wire.js';

export interface SuiteOptions extends RunOptions {
  /** Case patterns as Autobahn's: "1.*", "6.4.*", "7.1.1". Default: all. */
  cases?: string[];
  exclude?: string[];
  /** Skip cases whose largest message is bigger than this (bytes), to keep CI quick. */
  maxMessageSize?: number;
  timing?: Partial<Timing>;
  /** Name of the implementation under test, for the reports. */
  agent?: string;
  /** Called after each case. */
  onProgress?: (done: number, total: number, result: CaseResult) => void;
}

export interface ServerSuiteOptions extends SuiteOptions {
  /** ws://host:port/path of an echo server; with `h2`, https://host:port/path (TLS) or http://... (h2c). */
  url: string;
  /** Run over HTTP/2 (RFC 8441): section h2 instead of section 0, each case on a stream. */
  h2?: boolean;
  /** HTTP/2 over TLS: PEM certificates to trust (a self-signed server's, or its CA). */
  ca?: string | Buffer;
  /** HTTP/2 over TLS: do not verify the server's certificate. */
  insecure?: boolean;
}

/**
 * The cases a run has: client mode has neither handshake section; server mode over TCP has
 * section 0 (HTTP/1.1) and over HTTP/2 section h2 (RFC 8441) in its place.
 */
export function pickCases(opts: SuiteOptions, mode: 'server' | 'client', carrier: CarrierKind = 'tcp'): CaseDef[] {
  return selectCases([...ALL_CASES], opts.cases, opts.exclude)
    .filter((c) => (c.runRaw ? mode === 'server' && carrier === 'tcp' : true))
    .filter((c) => (c.runH2 ? mode === 'server' && carrier === 'h2' : true))
    .filter((c) => opts.maxMessageSize === undefined || (c.messageSize ?? 0) <= opts.maxMessageSize);
}

function parseUrl(url: string): { host: string; port: number; path: string } {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported without --h2 (with --h2: https:// or http://), got ${url}`);
  return { host: u.hostname, port: Number(u.port || 80), path: (u.pathname || '/') + u.search };
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Open a WebSocket connection with the suite's own handshake; rejects with the reason. */
async function openWebSocket(host: string, port: number, path: string, timing: Timing, offers: DeflateParams[] = []): Promise<{ socket: Socket; rest: Buffer; extension: Extension }> {
  const socket = await openSocket(host, port, timing.replyTimeoutMs);
  const key = newKey();
  const headers = offers.length > 0 ? { 'Sec-WebSocket-Extensions': offers.map(formatOffer).join(', ') } : undefined;
  socket.write(buildRequest({ host: `${host}:${port}`, path, key, headers }));
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
    };
    const fail = (why: string): void => {
      cleanup();
      socket.destroy();
      reject(new Error(why));
    };
    const onClose = (): void => fail('connection closed during the handshake');
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const head = parseHttpHead(buf);
      if (!head) return;
      const bad = checkUpgradeResponse(head, key);
      if (bad) return fail(`handshake failed: ${bad}`);
      let extension: Extension;
      try {
        extension = extensionOf(offers, head.headers['sec-websocket-extensions']);
      } catch (err) {
        return fail((err as Error).message);
      }
      // Stop the flow until the Wire takes over, so no frame is lost in between.
      socket.pause();
      cleanup();
      resolve({ socket, rest: head.rest, extension });
    };
    const timer = setTimeout(() => fail(`no handshake response within ${timing.replyTimeoutMs} ms`), timing.replyTimeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => undefined);
  });
}

async function runRawCase(def: CaseDef, host: string, port: number, path: string, timing: Timing): Promise<CaseResult> {
  const started = performance.now();
  const log: LogEntry[] = [];
  const sockets: Socket[] = [];
  const r: RawContext = {
    host,
    port,
    path,
    timing,
    log,
    record: (dir, text) => log.push({ t: Math.round(performance.now() - started), dir, text }),
    note: (text) => log.push({ t: Math.round(performance.now() - started), dir: 'note', text }),
    connect: async () => {
      const s = await openSocket(host, port, timing.replyTimeoutMs);
      sockets.push(s);
      return s;
    },
  };
  let outcome;
  try {
    outcome = await def.runRaw!(r);
  } catch (err) {
    outcome = { verdict: 'FAILED' as const, reason: `case crashed: ${(err as Error).message}` };
  }
  for (const s of sockets) s.destroy();
  return {
    id: def.id, description: def.description, expectation: def.expectation,
    verdict: outcome.verdict, reason: outcome.reason,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    closeCode: null, wire: log, wireDropped: 0,
  };
}

interface CaseRunner {
  run(def: CaseDef): Promise<CaseResult>;
  close(): void;
}

/** Over TCP: a fresh connection per case, the HTTP/1.1 upgrade, or raw HTTP for section 0. */
function tcpRunner(url: string, timing: Timing, opts: RunOptions): CaseRunner {
  const { host, port, path } = parseUrl(url);
  return {
    async run(def) {
      if (def.runRaw) return runRawCase(def, host, port, path, timing);
      const t0 = performance.now();
      try {
        const { socket, rest, extension } = await openWebSocket(host, port, path, timing, def.deflate?.offers);
        return await runCaseOnSocket(def, socket, 'client', rest, timing, opts, extension);
      } catch (err) {
        return resultWithoutRun(def, 'FAILED', `could not open the connection: ${(err as Error).message}`, Math.round(performance.now() - t0));
      }
    },
    close: () => undefined,
  };
}

/** Run the suite against an echo server; resolves with the report, never hangs. */
export async function runServerSuite(opts: ServerSuiteOptions): Promise<Report> {
  const timing: Timing = { ...DEFAULT_TIMING, ...opts.timing };
  const h2Target = opts.h2 ? parseH2Target(opts.url, { ca: opts.ca, insecure: opts.insecure }) : null;
  const host = h2Target?.host ?? parseUrl(opts.url).host;
  const runner = h2Target ? new H2CaseRunner(h2Target, timing, opts) : tcpRunner(opts.url, timing, opts);
  const cases = pickCases(opts, 'server', h2Target ? 'h2' : 'tcp');
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  try {
    for (const def of cases) {
      const result = await runner.run(def);
      results.push(result);
      opts.onProgress?.(results.length, cases.length, result);
    }
  } finally {
    runner.close();
  }
  return {
    tool: 'wsmith-spec',
    mode: 'server',
    agent: opts.agent ?? host,
    target: opts.url,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    results,
  };
}
