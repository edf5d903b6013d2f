/**
 * The guard of one open connection: keepalive (keepalive.ts), its share of the process-wide
 * budget for unfinished messages, and the deadline of the message it is receiving
 * (message-guard.ts). Servers and clients give every connection one when it opens, on by
 * default; a Hub changes the keepalive of its members through `setKeepalive`.
 *
 * The transport calls `afterRead()` once per read (a few field reads when nothing is in
 * progress) and `end()` when TCP is closed; everything else runs from the shared sweeps.
 */
import { CloseCode } from '../protocol/close.js';
import { ProtocolError, type ProtocolErrorCode } from '../protocol/errors.js';
import { ReadyState } from '../protocol/protocol.js';
import {
  DEFAULT_KEEPALIVE,
  KeepaliveEntry,
  KeepaliveSweep,
  checkKeepaliveOptions,
  type KeepaliveHooks,
  type KeepaliveOptions,
} from './keepalive.js';
import { DEFAULT_MESSAGE_TIMEOUT, DeadlineEntry, DeadlineSweep, messageMemory } from './message-guard.js';
import type { SocketTransport, TransportGuard } from './socket-transport.js';

/** The options servers and clients take for their connections' guards. */
export interface GuardOptions {
  /**
   * Ping every `interval` ms; cut a peer that sends neither a Pong nor a data frame within
   * `timeout` ms of a ping (1011). Default `{ interval: 30_000, timeout: 30_000 }`; `false`: off.
   */
  keepalive?: Partial<KeepaliveOptions> | false;
  /** A message must be complete this many ms after its first frame (1008). Default 60 s; `false`: off. */
  messageTimeout?: number | false;
}

/** The settings in force: validated once, when a server or client is made. */
export interface GuardSettings {
  keepalive: KeepaliveOptions | null;
  messageTimeout: number | null;
}

/** Validate and complete the options (a RangeError names a bad one). */
export function resolveGuardOptions(options: GuardOptions): GuardSettings {
  return { keepalive: resolveKeepalive(options.keepalive), messageTimeout: resolveMessageTimeout(options.messageTimeout) };
}

export function resolveKeepalive(option: Partial<KeepaliveOptions> | false | undefined): KeepaliveOptions | null {
  if (option === false) return null;
  const keepalive = { ...DEFAULT_KEEPALIVE, ...option };
  checkKeepaliveOptions(keepalive);
  return keepalive;
}

function resolveMessageTimeout(option: number | false | undefined): number | null {
  if (option === false) return null;
  const timeout = option ?? DEFAULT_MESSAGE_TIMEOUT;
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 2 ** 31 - 1) {
    throw new RangeError(`messageTimeout must be a number of milliseconds between 1 and 2^31 - 1, or false, not ${String(timeout)}`);
  }
  return timeout;
}

// One sweep per distinct setting, shared by every connection of the process.
const keepaliveSweeps = new Map<string, KeepaliveSweep<ConnectionGuard>>();
const deadlineSweeps = new Map<number, DeadlineSweep<ConnectionGuard>>();

const keepaliveHooks: KeepaliveHooks<ConnectionGuard> = {
  activity: (guard) => guard.transport.protocol.activity,
  ping: (guard) => guard.ping(),
  onSilent: (guard) => guard.cutSilent(),
};

function keepaliveSweep(options: KeepaliveOptions): KeepaliveSweep<ConnectionGuard> {
  const key = `${options.interval}:${options.timeout}`;
  let sweep = keepaliveSweeps.get(key);
  if (sweep === undefined) keepaliveSweeps.set(key, (sweep = new KeepaliveSweep(options, keepaliveHooks)));
  return sweep;
}

function deadlineSweep(timeout: number): DeadlineSweep<ConnectionGuard> {
  let sweep = deadlineSweeps.get(timeout);
  if (sweep === undefined) deadlineSweeps.set(timeout, (sweep = new DeadlineSweep(timeout, onMessageExpired)));
  return sweep;
}

function onMessageExpired(guard: ConnectionGuard): void {
  guard.failWith(CloseCode.PolicyViolation, 'WS_ERR_MESSAGE_TIMEOUT', 'A message was not complete in time');
}

/** Give an open connection its guard. */
export function guardConnection(transport: SocketTransport, settings: GuardSettings): ConnectionGuard {
  const guard = new ConnectionGuard(transport, settings.messageTimeout);
  transport.guard = guard;
  if (settings.keepalive !== null) guard.setKeepalive(settings.keepalive);
  return guard;
}

/** Change (or stop, with null) the keepalive of an open connection: a Hub's `heartbeat`. */
export function setKeepalive(transport: SocketTransport, options: KeepaliveOptions | null): void {
  if (transport.protocol.state === ReadyState.Closed) return;
  const guard = (transport.guard as ConnectionGuard | null) ?? guardConnection(transport, { keepalive: null, messageTimeout: null });
  guard.setKeepalive(options);
}

export class ConnectionGuard implements TransportGuard {
  readonly transport: SocketTransport;
  private keepalive: KeepaliveEntry<ConnectionGuard> | null = null;
  private keepaliveTimeout = 0;
  private readonly deadlines: DeadlineSweep<ConnectionGuard> | null;
  private deadline: DeadlineEntry<ConnectionGuard> | null = null;
  /** Bytes this connection has counted in `messageMemory`. */
  private held = 0;

  constructor(transport: SocketTransport, messageTimeout: number | null) {
    this.transport = transport;
    this.deadlines = messageTimeout === null ? null : deadlineSweep(messageTimeout);
  }

  setKeepalive(options: KeepaliveOptions | null): void {
    if (options === null) {
      this.keepalive?.sweep?.remove(this.keepalive);
      return;
    }
    this.keepaliveTimeout = options.timeout;
    keepaliveSweep(options).add((this.keepalive ??= new KeepaliveEntry<ConnectionGuard>(this)));
  }

  afterRead(): void {
    const protocol = this.transport.protocol;
    if (protocol.heldBytes !== this.held && !this.countHeld()) {
      this.failWith(CloseCode.MessageTooBig, 'WS_ERR_MESSAGE_MEMORY', 'The server has no memory left for unfinished messages');
    }
    const deadlines = this.deadlines;
    if (deadlines === null) return;
    if (protocol.isReceivingMessage) {
      const entry = (this.deadline ??= new DeadlineEntry<ConnectionGuard>(this));
      const message = protocol.messagesStarted;
      if (entry.sweep === null || entry.message !== message) deadlines.watch(entry, message, Date.now());
    } else if (this.deadline !== null) {
      deadlines.remove(this.deadline);
    }
  }

  end(): void {
    this.setKeepalive(null);
    if (this.deadline !== null) this.deadlines?.remove(this.deadline);
    messageMemory.adjust(-this.held);
    this.held = 0;
  }

  ping(): void {
    const transport = this.transport;
    if (!transport.protocol.canSend) return;
    transport.protocol.sendPing();
    transport.scheduleFlush();
  }

  /**
   * No sign of life within the keepalive's timeout: a Close (1011, as python-websockets) if it
   * can still go, then cut TCP. The peer is gone, not wrong: 'close' reports 1011 (and
   * `protocol.failure` says why), but no 'error' is emitted.
   */
  cutSilent(): void {
    const protocol = this.transport.protocol;
    if (protocol.state === ReadyState.Closed) return;
    const message = `No Pong within ${this.keepaliveTimeout} ms of a Ping`;
    protocol.failure ??= new ProtocolError(CloseCode.InternalError, 'WS_ERR_KEEPALIVE_TIMEOUT', message);
    protocol.sendClose(CloseCode.InternalError);
    this.transport.flush();
    this.transport.stream.destroy();
  }

  /** Fail the connection (§7.1.7) with this code, and give back what it held. */
  failWith(closeCode: number, code: ProtocolErrorCode, message: string): void {
    const protocol = this.transport.protocol;
    if (protocol.state !== ReadyState.Closed) protocol.fail(new ProtocolError(closeCode, code, message));
    this.countHeld();
    if (this.deadline !== null) this.deadlines?.remove(this.deadline);
  }

  /** Bring `messageMemory` up to date with what the protocol holds; false if that is over budget. */
  private countHeld(): boolean {
    const held = this.transport.protocol.heldBytes;
    const delta = held - this.held;
    this.held = held;
    return messageMemory.adjust(delta);
  }
}
