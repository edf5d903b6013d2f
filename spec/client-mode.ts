// Client mode: the suite is a fuzzing server speaking the protocol of Autobahn's fuzzingserver,
// so the Autobahn client harnesses libraries already have work unchanged:
//   /getCaseCount                    -> one text message with the number of cases
//   /runCase?case=N&agent=NAME       -> case N (1-based) runs on this connection; the client echoes
//   /getCaseInfo?case=N              -> {"id": "1.1.1", "description": ...}
//   /getCaseStatus?case=N&agent=NAME -> {"behavior": "OK"}
//   /updateReports?agent=NAME        -> the agent's report is complete (written, handed out)
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DEFAULT_TIMING, type CaseDef, type Timing } from './case.js';
import { formatResponse, negotiated, parseOffers } from './extensions.js';
import { Opcode, closePayload, encodeFrame } from './frame.js';
import { buildUpgradeResponse, hasToken, isValidKey, parseHttpHead, type HttpHead } from './handshake.js';
import type { CaseResult, Report } from './report.js';
import { NO_EXTENSION, resultWithoutRun, runCaseOnSocket, type Extension } from './run-case.js';
import { pickCases, type SuiteOptions } from './server-mode.js';

export interface FuzzingServerOptions extends SuiteOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Called when a client asks for /updateReports. */
  onReport?: (report: Report) => void;
}

interface AgentRun {
  results: Map<string, CaseResult>;
  started: number;
  startedAt: Date;
}

export class FuzzingServer {
  readonly cases: CaseDef[];
  readonly timing: Timing;
  private readonly server: Server;
  private readonly agents = new Map<string, AgentRun>();
  private readonly reports = new Map<string, Report>();
  private readonly reportWaiters = new Map<string, ((r: Report) => void)[]>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: FuzzingServerOptions = {}) {
    this.cases = pickCases(opts, 'client');
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.server = createServer((socket) => this.onConnection(socket));
  }

  /** Listen; resolves with the port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `ws://${this.opts.host ?? '127.0.0.1'}:${a.port}`;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The report of an agent, once it asked for /updateReports. */
  waitForReport(agent: string): Promise<Report> {
    const done = this.reports.get(agent);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const list = this.reportWaiters.get(agent) ?? [];
      list.push(resolve);
      this.reportWaiters.set(agent, list);
    });
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), this.timing.replyTimeoutMs * 5);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const head = parseHttpHead(buf);
      if (!head) return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.pause();
      void this.onRequest(socket, head).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  }

  private async onRequest(socket: Socket, head: HttpHead): Promise<void> {
    const [method, target] = head.startLine.split(' ');
    const url = new URL(target ?? '/', 'ws://fuzzing');
    const runDef = url.pathname === '/runCase' ? this.cases[Number(url.searchParams.get('case')) - 1] : undefined;
    let extension: Extension | string = NO_EXTENSION;
    let bad = this.checkRequest(method, head);
    if (!bad && runDef?.deflate) {
      extension = this.negotiate(runDef, head.headers['sec-websocket-extensions']);
      if (typeof extension === 'string') bad = extension;
    }
    if (bad || typeof extension === 'string') {
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${bad}\n`);
      const agent = url.searchParams.get('agent');
      if (runDef && agent) this.record(agent, resultWithoutRun(runDef, 'FAILED', `bad opening handshake from the client: ${bad}`));
      return;
    }
    socket.write(buildUpgradeResponse(head.headers['sec-websocket-key']!, extension.negotiated?.response));
    const agent = url.searchParams.get('agent') ?? 'unknown';
    switch (url.pathname) {
      case '/getCaseCount':
        return this.sendAndClose(socket, String(this.cases.length));
      case '/getCaseInfo': {
        const def = this.cases[Number(url.searchParams.get('case')) - 1];
        return this.sendAndClose(socket, JSON.stringify(def ? { id: def.id, description: def.description } : null));
      }
      case '/getCaseStatus': {
        const def = this.cases[Number(url.searchParams.get('case')) - 1];
        const r = def ? this.agents.get(agent)?.results.get(def.id) : undefined;
        return this.sendAndClose(socket, JSON.stringify({ behavior: r?.verdict ?? 'UNKNOWN' }));
      }
      case '/updateReports':
        this.finishReport(agent);
        return this.sendAndClose(socket, null);
      case '/runCase': {
        if (!runDef) return this.sendAndClose(socket, null, 1008);
        const result = await runCaseOnSocket(runDef, socket, 'server', head.rest, this.timing, this.opts, extension);
        this.record(agent, result);
        return;
      }
      default:
        return this.sendAndClose(socket, null, 1008);
    }
  }

  /** RFC 6455 §4.2.1: what a server checks in the client's opening handshake. */
  private checkRequest(method: string | undefined, head: HttpHead): string | null {
    if (method !== 'GET') return `method ${method}, expected GET`;
    if (!/HTTP\/1\.1$/.test(head.startLine)) return 'expected HTTP/1.1';
    if (!head.headers.host) return 'missing Host';
    if (head.headers.upgrade?.toLowerCase() !== 'websocket') return `bad Upgrade: ${head.headers.upgrade}`;
    if (!hasToken(head.headers.connection, 'upgrade')) return `bad Connection: ${head.headers.connection}`;
    if (!isValidKey(head.headers['sec-websocket-key'])) return `bad Sec-WebSocket-Key: ${head.headers['sec-websocket-key']}`;
    if (head.headers['sec-websocket-version'] !== '13') return `bad Sec-WebSocket-Version: ${head.headers['sec-websocket-version']}`;
    return null;
  }

  /**
   * The suite's answer to the client's permessage-deflate offers for this case (Autobahn's
   * accept functions); a string when an offer is malformed, which fails the handshake as in Autobahn.
   */
  private negotiate(def: CaseDef, header: string | undefined): Extension | string {
    const offers = parseOffers(header);
    if (typeof offers === 'string') return offers;
    const offered = offers.length > 0 ? `the client offered "${header}"` : 'the client offered no permessage-deflate';
    const accepted = offers.length > 0 ? def.deflate!.accept(offers) : null;
    if (!accepted) return { negotiated: null, note: offers.length > 0 ? `${offered}; this case accepts none of the offers` : offered };
    const response = formatResponse(accepted.response);
    return { negotiated: negotiated('server', accepted.response, accepted.offer), note: `${offered}; the suite answered "${response}"` };
  }

  /** Service endpoints: one optional text message, then a clean close (the suite is the server). */
  private sendAndClose(socket: Socket, message: string | null, code = 1000): void {
    socket.resume();
    if (message !== null) socket.write(encodeFrame({ opcode: Opcode.Text, payload: message }));
    socket.write(encodeFrame({ opcode: Opcode.Close, payload: closePayload(code) }));
    // Give the client a moment to answer the close, then end the TCP connection (server side).
    socket.on('data', () => socket.end());
    setTimeout(() => socket.end(), this.timing.closeTimeoutMs).unref();
  }

  private record(agent: string, result: CaseResult): void {
    let run = this.agents.get(agent);
    if (!run) {
      run = { results: new Map(), started: performance.now(), startedAt: new Date() };
      this.agents.set(agent, run);
    }
    run.results.set(result.id, result);
    const done = [...run.results.keys()].length;
    this.opts.onProgress?.(done, this.cases.length, result);
  }

  private finishReport(agent: string): void {
    const run = this.agents.get(agent);
    const results = run ? this.cases.map((c) => run.results.get(c.id)).filter((r): r is CaseResult => r !== undefined) : [];
    const report: Report = {
      tool: 'wsmith-spec',
      mode: 'client',
      agent,
      target: `client connecting to ${this.url}`,
      startedAt: (run?.startedAt ?? new Date()).toISOString(),
      durationMs: run ? Math.round(performance.now() - run.started) : 0,
      results,
    };
    this.agents.delete(agent);
    this.reports.set(agent, report);
    this.opts.onReport?.(report);
    for (const w of this.reportWaiters.get(agent) ?? []) w(report);
    this.reportWaiters.delete(agent);
  }
}

/** A minimal view of a client connection, enough to echo. */
export interface HarnessSocket {
  send(data: Buffer, isBinary: boolean): void;
}

/**
 * Open a client connection to `url`, call `onMessage` for each message, and resolve when the
 * connection is closed (cleanly or not). This is all the harness needs from a client library.
 */
export type OpenClient = (url: string, onMessage: (data: Buffer, isBinary: boolean, socket: HarnessSocket) => void) => Promise<void>;

/** Drive a client the way Autobahn's client harnesses do: getCaseCount, every runCase echoing, updateReports. */
export async function runAutobahnHarness(baseUrl: string, agent: string, open: OpenClient): Promise<number> {
  let count = 0;
  await open(`${baseUrl}/getCaseCount`, (data) => {
    count = Number(data.toString());
  });
  for (let i = 1; i <= count; i++) {
    await open(`${baseUrl}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, (data, isBinary, socket) => socket.send(data, isBinary));
  }
  await open(`${baseUrl}/updateReports?agent=${encodeURIComponent(agent)}`, () => undefined);
  return count;
}

/** Start a fuzzing server, run the harness with `open`, and return the client's report. */
export async function runClientSuite(opts: SuiteOptions & { open: OpenClient; agent: string }): Promise<Report> {
  const server = new FuzzingServer(opts);
  await server.listen();
  try {
    const report = server.waitForReport(opts.agent);
    await runAutobahnHarness(server.url, opts.agent, opts.open);
    return await report;
  } finally {
    await server.close();
  }
}
