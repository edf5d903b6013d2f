// Server mode: the suite is a fuzzing client and runs each case on a fresh connection to an
// echo server.
import { connect, type Socket } from 'node:net';
import { DEFAULT_TIMING, selectCases, type CaseDef, type RawContext, type RunOptions, type Timing } from './case.js';
import { ALL_CASES } from './cases/index.js';
import { formatOffer, judgeResponse, negotiated, type DeflateParams } from './extensions.js';
import { buildRequest, checkUpgradeResponse, newKey, parseHttpHead } from './handshake.js';
import type { CaseResult, Report } from './report.js';
import { resultWithoutRun, runCaseOnSocket, type Extension } from './run-case.js';
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
  /** ws://host:port/path of an echo server. */
  url: string;
}

export function pickCases(opts: SuiteOptions, mode: 'server' | 'client'): CaseDef[] {
  return selectCases([...ALL_CASES], opts.cases, opts.exclude)
    .filter((c) => mode === 'server' || !c.runRaw)
    .filter((c) => opts.maxMessageSize === undefined || (c.messageSize ?? 0) <= opts.maxMessageSize);
}

function parseUrl(url: string): { host: string; port: number; path: string } {
  const u = new URL(url);
  if (u.protocol !== 'ws:') throw new Error(`only ws:// URLs are supported, got ${url}`);
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

/** The Sec-WebSocket-Extensions response judged against the offers (RFC 7692 §7.1); throws when the client must fail. */
function extensionOf(offers: DeflateParams[], header: string | undefined): Extension {
  const judged = judgeResponse(offers, header);
  if ('error' in judged) throw new Error(`handshake failed: ${judged.error}`);
  const offered = offers.length > 0 ? `offered "${offers.map(formatOffer).join(', ')}"` : 'no extension offered';
  if (!judged.params) return { negotiated: null, note: `${offered}; the server declined` };
  const params = negotiated('client', judged.params, judged.offer);
  return { negotiated: params, note: `${offered}; the server answered "${header}"` };
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

/** Run the suite against an echo server; resolves with the report, never hangs. */
export async function runServerSuite(opts: ServerSuiteOptions): Promise<Report> {
  const timing: Timing = { ...DEFAULT_TIMING, ...opts.timing };
  const { host, port, path } = parseUrl(opts.url);
  const cases = pickCases(opts, 'server');
  const startedAt = new Date();
  const started = performance.now();
  const results: CaseResult[] = [];
  for (const def of cases) {
    let result: CaseResult;
    if (def.runRaw) result = await runRawCase(def, host, port, path, timing);
    else {
      const t0 = performance.now();
      try {
        const { socket, rest, extension } = await openWebSocket(host, port, path, timing, def.deflate?.offers);
        result = await runCaseOnSocket(def, socket, 'client', rest, timing, opts, extension);
      } catch (err) {
        result = resultWithoutRun(def, 'FAILED', `could not open the connection: ${(err as Error).message}`, Math.round(performance.now() - t0));
      }
    }
    results.push(result);
    opts.onProgress?.(results.length, cases.length, result);
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
