// connect-rate over HTTP/2: `parallel` loops on ONE HTTP/2 session opened beforehand, each doing
// extended CONNECT → 200 → close frame → the server's close frame → both ends of the stream,
// then the next. A cycle counts only when the answer is a right 200 (RFC 8441 §5), the server
// answered our close frame with a close frame (RFC 6455 §5.5.1) and ended the stream, and the
// stream closed without a reset. As in connect-rate.ts the client keeps its own part small: no
// promise, closure or timer per cycle (shared listeners find their state on the stream, one
// watchdog covers every loop).
import { readFileSync } from 'node:fs';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { clientCloseFrame } from './frames.js';
import { checkConnectResponse, extendedConnect, openSession } from './h2-session.js';
import type { LoadJob, LoadResult } from './job.js';
import { MeasureWindow, scheduleWindow, type WindowResult } from './window.js';

const CYCLE_TIMEOUT_MS = 10_000;
const EMPTY = Buffer.alloc(0);
const NO_ERROR = 0; // RFC 9113 §7

const kCycle = Symbol('cycle');

interface Cycle {
  load: H2ConnectLoad;
  loop: number;
  buffered: Buffer;
  opened: boolean;
  closeAnswered: boolean;
  failed: boolean;
}
type CycleStream = ClientHttp2Stream & { [kCycle]: Cycle };

class H2ConnectLoad {
  completed = 0;
  running = true;
  error: string | null = null;
  readonly startedAt: number[];
  readonly streams: (CycleStream | null)[];
  private finished: (() => void) | null = null;
  private active: number;

  constructor(
    readonly session: ClientHttp2Session,
    readonly headers: OutgoingHttpHeaders,
    readonly closeFrame: Buffer,
    readonly parallel: number,
  ) {
    this.startedAt = new Array<number>(parallel).fill(0);
    this.streams = new Array<CycleStream | null>(parallel).fill(null);
    this.active = parallel;
  }

  run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    const watchdog = setInterval(() => this.watch(), 1000);
    const onSessionEnd = (): void => {
      this.error ??= 'the HTTP/2 session ended';
      this.running = false;
    };
    this.session.once('close', onSessionEnd);
    for (let loop = 0; loop < this.parallel; loop++) this.startCycle(loop);
    return done.finally(() => {
      clearInterval(watchdog);
      this.session.off('close', onSessionEnd);
    });
  }

  stop(): void {
    this.running = false;
  }

  startCycle(loop: number): void {
    if (!this.running || this.session.destroyed) {
      this.streams[loop] = null;
      if (--this.active === 0) this.finished?.();
      return;
    }
    const stream = this.session.request(this.headers, { endStream: false }) as CycleStream;
    stream[kCycle] = { load: this, loop, buffered: EMPTY, opened: false, closeAnswered: false, failed: false };
    this.streams[loop] = stream;
    this.startedAt[loop] = Date.now();
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  }

  fail(cycle: Cycle, stream: ClientHttp2Stream, message: string): void {
    if (cycle.failed) return;
    cycle.failed = true;
    this.error ??= message;
    this.running = false;
    stream.destroy();
  }

  private watch(): void {
    const now = Date.now();
    for (let loop = 0; loop < this.parallel; loop++) {
      const stream = this.streams[loop];
      if (stream !== null && now - this.startedAt[loop] > CYCLE_TIMEOUT_MS) this.fail(stream[kCycle], stream, 'cycle timed out');
    }
  }
}

function onResponse(this: CycleStream, headers: IncomingHttpHeaders): void {
  const cycle = this[kCycle];
  const wrong = checkConnectResponse(headers);
  if (wrong !== null) return cycle.load.fail(cycle, this, `extended CONNECT: ${wrong}`);
  cycle.opened = true;
  this.write(cycle.load.closeFrame);
}

function onData(this: CycleStream, chunk: Buffer): void {
  const cycle = this[kCycle];
  if (cycle.failed || cycle.closeAnswered) return;
  const buffered = cycle.buffered.length === 0 ? chunk : Buffer.concat([cycle.buffered, chunk]);
  cycle.buffered = buffered;
  if (buffered.length < 2) return;
  // The server's close frame: FIN + opcode 8, unmasked, payload ≤ 125 (§5.5).
  if (buffered[0] !== 0x88 || buffered[1] > 125) {
    return cycle.load.fail(cycle, this, `expected a close frame, got 0x${buffered[0].toString(16)} 0x${buffered[1].toString(16)}`);
  }
  if (buffered.length >= 2 + buffered[1]) cycle.closeAnswered = true;
}

/** The server ended its side (END_STREAM, RFC 8441 §5.1 as TCP's FIN): end ours. */
function onEnd(this: CycleStream): void {
  this.end();
}

function onError(this: CycleStream, error: Error): void {
  const cycle = this[kCycle];
  cycle.load.fail(cycle, this, error.message);
}

function onClose(this: CycleStream): void {
  const cycle = this[kCycle];
  const load = cycle.load;
  if (!cycle.failed) {
    if (this.rstCode !== NO_ERROR) load.fail(cycle, this, `stream reset with code ${this.rstCode}`);
    else if (cycle.closeAnswered) load.completed++;
    else load.fail(cycle, this, cycle.opened ? 'stream closed without answering the close frame' : 'stream closed during the handshake');
  }
  load.startCycle(cycle.loop);
}

export async function runH2ConnectRate(job: LoadJob & { kind: 'connect' }): Promise<LoadResult> {
  if (job.certFile === undefined) return { ok: false, error: 'HTTP/2 without a certificate to trust' };
  const session = await openSession(job.port, readFileSync(job.certFile));
  try {
    const load = new H2ConnectLoad(session, extendedConnect(job.port, '/'), clientCloseFrame(), job.params.parallel);
    let measured: WindowResult | null = null;
    const window = new MeasureWindow(job.serverPid);
    const loops = load.run();
    await new Promise<void>((resolve) => {
      const cancel = scheduleWindow(window, job.warmupMs, job.measureMs, () => load.completed, (result) => {
        measured = result;
        load.stop();
        resolve();
      });
      void loops.then(() => {
        cancel();
        resolve();
      });
    });
    await loops;
    if (load.error !== null) return { ok: false, error: load.error };
    if (measured === null) return { ok: false, error: 'no measurement' };
    const result: WindowResult = measured;
    return { ok: true, ...result, detail: { handshakes: result.units, totalHandshakes: load.completed } };
  } finally {
    session.destroy();
  }
}
