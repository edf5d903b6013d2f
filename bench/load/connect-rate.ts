// connect-rate: `parallel` loops, each doing open → upgrade → close handshake → TCP close, then
// the next. A cycle counts only when the 101 and its Sec-WebSocket-Accept are right and the server
// answered our close frame with a close frame (RFC 6455 §5.5.1). Against the raw echo target the
// same bytes are echoed instead, which gives the TCP connect/close ceiling.
//
// Most of a cycle's cost is the kernel's (connect, accept, FIN exchange on both sides), and the
// client shares the machine with the server, so the client's own part is kept small: no promise,
// closure or timer per cycle (the listeners are shared and find their state on the socket, one
// watchdog covers every loop), a response byte-identical to one already checked in full is
// accepted by one comparison (the check is a function of those bytes alone), and the socket is
// closed with one close() when the server's FIN arrives.
//
// With `transport: 'h1-tls'` every cycle is a new TLS connection (ALPN http/1.1) to the HTTP/2
// scenarios' server, resuming the TLS session of an earlier one as a browser does (TLS 1.3
// tickets: no certificate, but still a key exchange). Over HTTP/2 see h2-connect-rate.ts.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { clientCloseFrame, upgradeRequest } from './frames.js';
import { http1TlsOptions, upgradeResponseLength } from './handshake.js';
import type { LoadJob, LoadResult } from './job.js';
import { MeasureWindow, scheduleWindow, type WindowResult } from './window.js';

const CYCLE_TIMEOUT_MS = 10_000;
const EMPTY = Buffer.alloc(0);

const kCycle = Symbol('cycle');

/** One open/handshake/close cycle of one loop. */
interface Cycle {
  load: ConnectLoad;
  loop: number;
  buffered: Buffer;
  upgraded: boolean;
  closeAnswered: boolean;
  failed: boolean;
}
type CycleSocket = net.Socket & { [kCycle]: Cycle };

class ConnectLoad {
  completed = 0;
  running = true;
  error: string | null = null;
  /** A response head (with its CRLFCRLF) that passed the full check (upgradeResponseLength). */
  knownResponse: Buffer | null = null;
  /** The TLS session to resume (the latest ticket), and how many connections resumed one. */
  tlsSession: Buffer | undefined = undefined;
  resumed = 0;
  /** When each loop's current cycle started, and its socket (for the watchdog). */
  readonly startedAt: number[];
  readonly sockets: (net.Socket | null)[];
  private finished: (() => void) | null = null;
  private active: number;

  constructor(
    readonly port: number,
    readonly rawEcho: boolean,
    readonly request: Buffer,
    readonly closeFrame: Buffer,
    readonly parallel: number,
    /** TLS (HTTP/1.1 by ALPN) instead of plain TCP. */
    readonly tlsOptions: tls.ConnectionOptions | null = null,
  ) {
    this.startedAt = new Array<number>(parallel).fill(0);
    this.sockets = new Array<net.Socket | null>(parallel).fill(null);
    this.active = parallel;
  }

  /** Runs every loop until stop() or a failure; resolves when all have ended. */
  run(): Promise<void> {
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    const watchdog = setInterval(() => this.watch(), 1000);
    for (let loop = 0; loop < this.parallel; loop++) this.startCycle(loop);
    return done.finally(() => clearInterval(watchdog));
  }

  stop(): void {
    this.running = false;
  }

  startCycle(loop: number): void {
    if (!this.running) {
      this.sockets[loop] = null;
      if (--this.active === 0) this.finished?.();
      return;
    }
    // allowHalfOpen: on the server's FIN we close at once (onEnd) instead of shutdown() then close().
    const at = { port: this.port, host: '127.0.0.1', allowHalfOpen: true };
    const tlsOptions = this.tlsOptions;
    const socket = (
      tlsOptions === null ? net.connect(at) : tls.connect({ ...at, ...tlsOptions, session: this.tlsSession })
    ) as CycleSocket;
    socket[kCycle] = { load: this, loop, buffered: EMPTY, upgraded: false, closeAnswered: false, failed: false };
    this.sockets[loop] = socket;
    this.startedAt[loop] = Date.now();
    if (tlsOptions === null) {
      socket.on('connect', onConnect);
    } else {
      socket.on('secureConnect', onSecureConnect);
      socket.on('session', onSession);
    }
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  fail(cycle: Cycle, socket: net.Socket, message: string): void {
    if (cycle.failed) return;
    cycle.failed = true;
    this.error ??= message;
    this.running = false;
    socket.destroy();
  }

  private watch(): void {
    const now = Date.now();
    for (let loop = 0; loop < this.parallel; loop++) {
      const socket = this.sockets[loop] as CycleSocket | null;
      if (socket !== null && now - this.startedAt[loop] > CYCLE_TIMEOUT_MS) {
        this.fail(socket[kCycle], socket, 'cycle timed out');
      }
    }
  }
}

function onConnect(this: CycleSocket): void {
  this.write(this[kCycle].load.request);
}

function onSecureConnect(this: CycleSocket & tls.TLSSocket): void {
  const cycle = this[kCycle];
  if (this.alpnProtocol !== 'http/1.1') return cycle.load.fail(cycle, this, `TLS: ALPN chose ${String(this.alpnProtocol)}, expected http/1.1`);
  if (this.isSessionReused()) cycle.load.resumed++;
  this.write(cycle.load.request);
}

/** A TLS 1.3 ticket from the server: the next connections resume with the latest one. */
function onSession(this: CycleSocket, session: Buffer): void {
  this[kCycle].load.tlsSession = session;
}

/** The server closed its side: close ours (one close() sends our FIN; nothing is left unread). */
function onEnd(this: CycleSocket): void {
  this.destroy();
}

function onError(this: CycleSocket, error: Error): void {
  const cycle = this[kCycle];
  cycle.load.fail(cycle, this, error.message);
}

function onClose(this: CycleSocket): void {
  const cycle = this[kCycle];
  const load = cycle.load;
  if (!cycle.failed) {
    if (cycle.closeAnswered) load.completed++;
    else load.fail(cycle, this, cycle.upgraded ? 'closed without answering the close frame' : 'closed during the handshake');
  }
  load.startCycle(cycle.loop);
}

/** Bytes of the response head at the front of `received`, 0 while incomplete, or an error. */
function responseHead(load: ConnectLoad, received: Buffer): number | string {
  const known = load.knownResponse;
  if (known !== null && received.length >= known.length && received.compare(known, 0, known.length, 0, known.length) === 0) {
    return known.length;
  }
  const length = upgradeResponseLength(received);
  if (typeof length === 'number' && length > 0) load.knownResponse ??= Buffer.from(received.subarray(0, length));
  return length;
}

function onData(this: CycleSocket, chunk: Buffer): void {
  const cycle = this[kCycle];
  const load = cycle.load;
  if (cycle.failed || cycle.closeAnswered) return;
  let buffered = cycle.buffered.length === 0 ? chunk : Buffer.concat([cycle.buffered, chunk]);
  if (!cycle.upgraded) {
    let headLength: number | string;
    if (load.rawEcho) {
      const request = load.request;
      if (buffered.length < request.length) return void (cycle.buffered = buffered);
      headLength = buffered.compare(request, 0, request.length, 0, request.length) === 0 ? request.length : 'raw echo changed the request';
    } else {
      headLength = responseHead(load, buffered);
    }
    if (typeof headLength === 'string') return load.fail(cycle, this, headLength);
    if (headLength === 0) return void (cycle.buffered = buffered);
    buffered = buffered.subarray(headLength);
    cycle.upgraded = true;
    this.write(load.closeFrame);
  }
  cycle.buffered = buffered;
  if (buffered.length < 2) return;
  if (load.rawEcho) {
    const closeFrame = load.closeFrame;
    if (buffered.length < closeFrame.length) return;
    if (buffered.compare(closeFrame, 0, closeFrame.length, 0, closeFrame.length) !== 0) {
      return load.fail(cycle, this, 'raw echo changed the close frame');
    }
    cycle.closeAnswered = true;
    this.end(); // the raw echo never closes first
    return;
  }
  // The server's close frame: FIN + opcode 8, unmasked, payload ≤ 125 (§5.5).
  if (buffered[0] !== 0x88 || buffered[1] > 125) {
    return load.fail(cycle, this, `expected a close frame, got 0x${buffered[0].toString(16)} 0x${buffered[1].toString(16)}`);
  }
  if (buffered.length < 2 + buffered[1]) return;
  cycle.closeAnswered = true; // the server ends TCP next; 'close' counts the cycle
}

export async function runConnectRate(job: LoadJob & { kind: 'connect' }): Promise<LoadResult> {
  let tlsOptions: tls.ConnectionOptions | null = null;
  if (job.transport === 'h1-tls') {
    if (job.certFile === undefined) return { ok: false, error: 'TLS without a certificate to trust' };
    tlsOptions = http1TlsOptions(readFileSync(job.certFile));
  }
  const load = new ConnectLoad(job.port, job.rawEcho, upgradeRequest('/'), clientCloseFrame(), job.params.parallel, tlsOptions);
  let measured: WindowResult | null = null;
  const window = new MeasureWindow(job.serverPid);
  const loops = load.run();
  await new Promise<void>((resolve) => {
    const cancel = scheduleWindow(window, job.warmupMs, job.measureMs, () => load.completed, (result) => {
      measured = result;
      load.stop();
      resolve();
    });
    // If a loop fails early the window is abandoned.
    void loops.then(() => {
      cancel();
      resolve();
    });
  });
  await loops;
  if (load.error !== null) return { ok: false, error: load.error };
  if (measured === null) return { ok: false, error: 'no measurement' };
  const result: WindowResult = measured;
  const detail: Record<string, number> = { handshakes: result.units, totalHandshakes: load.completed };
  if (tlsOptions !== null) detail.tlsResumed = load.resumed;
  return { ok: true, ...result, detail };
}
