// Server mode over HTTP/2 (RFC 8441): every case of sections 1–13 runs on a stream of its own,
// opened by an extended CONNECT on the one HTTP/2 connection of the run; the handshake cases
// (section h2) open connections of their own. What a case checks does not change: the frames
// flow in the stream's DATA, and the end of the stream stands for the end of TCP (carrier.ts).
import type { ClientHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';
import { type CaseDef, type H2HandshakeContext, type Outcome, type RunOptions, type Timing } from './case.js';
import { formatOffer } from './extensions.js';
import { H2Connection, closedInOrder, openRawConnection, openSession, type H2Target } from './h2-connection.js';
import { openWebSocketStream } from './h2-handshake.js';
import type { CaseResult } from './report.js';
import { caseBudgetMs, extensionOf, resultWithoutRun, runCaseOnSocket } from './run-case.js';
import type { LogEntry } from './wire.js';

/** Certificate errors get a hint: a self-signed test server needs --ca or --insecure. */
function openingError(err: Error, target: H2Target): string {
  const code = (err as { code?: string }).code ?? '';
  const hint = target.secure && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code) ? ' (trust the server\'s certificate with --ca FILE, or skip the check with --insecure)' : '';
  return `${err.message}${hint}`;
}

export class H2CaseRunner {
  private readonly connection: H2Connection;

  constructor(private readonly target: H2Target, private readonly timing: Timing, private readonly options: RunOptions) {
    this.connection = new H2Connection(target, timing.replyTimeoutMs);
  }

  run(def: CaseDef): Promise<CaseResult> {
    return def.runH2 ? this.handshakeCase(def) : this.webSocketCase(def);
  }

  close(): void {
    this.connection.close();
  }

  /** A case of sections 1–13 on a new stream of the run's connection. */
  private async webSocketCase(def: CaseDef): Promise<CaseResult> {
    const t0 = performance.now();
    let session: ClientHttp2Session;
    try {
      session = await this.connection.session();
    } catch (err) {
      return resultWithoutRun(def, 'FAILED', `could not open the HTTP/2 connection: ${openingError(err as Error, this.target)}`, Math.round(performance.now() - t0));
    }
    const offers = def.deflate?.offers ?? [];
    const offer = offers.length > 0 ? offers.map(formatOffer).join(', ') : undefined;
    let opened;
    try {
      opened = await openWebSocketStream(session, this.target, this.timing.replyTimeoutMs, offer);
    } catch (err) {
      return resultWithoutRun(def, 'FAILED', `could not open the stream: ${(err as Error).message}`, Math.round(performance.now() - t0));
    }
    let extension;
    try {
      const header = opened.headers['sec-websocket-extensions'];
      extension = extensionOf(offers, header === undefined ? undefined : String(header));
    } catch (err) {
      opened.stream.close();
      return resultWithoutRun(def, 'FAILED', `could not open the stream: ${(err as Error).message}`, Math.round(performance.now() - t0));
    }
    const { stream } = opened;
    const id = stream.id;
    const result = await runCaseOnSocket(def, stream, 'client', opened.initial, this.timing, this.options, extension, 'h2');
    result.wire.unshift({ t: 0, dir: 'note', text: `HTTP/2 stream ${id} on connection ${this.connection.opened} (200 to the extended CONNECT)` });
    if (!(await closedInOrder(stream))) this.connection.retire();
    return result;
  }

  /** A case of section h2: its own connections, closed when it ends, within a time bound. */
  private async handshakeCase(def: CaseDef): Promise<CaseResult> {
    const started = performance.now();
    const log: LogEntry[] = [];
    const sessions: ClientHttp2Session[] = [];
    const sockets: Duplex[] = [];
    const stamp = (): number => Math.round(performance.now() - started);
    const r: H2HandshakeContext = {
      target: this.target,
      timing: this.timing,
      log,
      record: (dir, text) => log.push({ t: stamp(), dir, text }),
      note: (text) => log.push({ t: stamp(), dir: 'note', text }),
      openSession: async () => {
        const s = await openSession(this.target, this.timing.replyTimeoutMs);
        sessions.push(s);
        return s;
      },
      openRaw: async () => {
        const s = await openRawConnection(this.target, this.timing.replyTimeoutMs);
        sockets.push(s);
        return s;
      },
    };
    const budget = caseBudgetMs(def, this.timing);
    let timer: NodeJS.Timeout | undefined;
    let outcome: Outcome;
    try {
      outcome = await Promise.race([
        def.runH2!(r),
        new Promise<Outcome>((resolve) => {
          timer = setTimeout(() => resolve({ verdict: 'FAILED', reason: `case did not finish within ${budget} ms (peer hung)` }), budget);
        }),
      ]);
    } catch (err) {
      outcome = { verdict: 'FAILED', reason: `could not run the case: ${openingError(err as Error, this.target)}` };
    } finally {
      clearTimeout(timer);
    }
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
    return {
      id: def.id, description: def.description, expectation: def.expectation,
      verdict: outcome.verdict, reason: outcome.reason,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      closeCode: null, wire: log, wireDropped: 0,
    };
  }
}
