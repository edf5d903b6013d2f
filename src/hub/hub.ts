/**
 * `Hub`: the registry of open sockets, their rooms, and the fan-out to them — what every chat
 * server writes by hand (gorilla's examples/chat/hub.go), as a library.
 *
 * - Broadcast encodes the frame once and queues the same Buffer on each receiver; each receiver
 *   then writes everything queued during the tick with one socket write. A room broadcast walks
 *   the room's members only.
 * - Dead peers are found by the connections' own keepalive (src/node/keepalive.ts: one timer
 *   per setting for the whole process); `heartbeat` sets it for the hub's members.
 * - A receiver whose unsent bytes pass `maxBufferedBytes` is closed or skipped, so one peer that
 *   stops reading never grows the server's memory nor slows the others.
 * - With an adapter, broadcasts and `sendTo` reach the sockets of other processes too.
 *
 * Sockets are server-side WebSockets, whose frames are unmasked (§5.1), so one encoding fits all.
 * A client-side socket (one this process dialed) may be added too: its frames must be masked with
 * a fresh key each (§5.3), so it is sent a per-socket encoding through `send` instead.
 */
import { randomUUID } from 'node:crypto';
import { CloseCode } from '../protocol/close.js';
import { ReadyState } from '../protocol/protocol.js';
import { resolveKeepalive, setKeepalive } from '../node/connection-guard.js';
import type { KeepaliveOptions } from '../node/keepalive.js';
import { READ_PAUSE_THRESHOLD } from '../node/socket-transport.js';
import { rawDataLength, transportOf, type RawData, type WebSocket } from '../node/websocket.js';
import { SHARED_CHANNEL, callAdapter, roomChannel, type HubAdapter } from './adapter.js';
import { EnvelopeKind, decodeEnvelope, encodeEnvelope } from './envelope.js';
import { BroadcastFrames } from './broadcast-frames.js';
import { encodeMessageFrame } from './prepared-message.js';
import { Rooms } from './rooms.js';
import type {
  AddOptions,
  BroadcastOptions,
  HubCloseOptions,
  HubMessage,
  HubOptions,
  HubStats,
  SendToOptions,
  SlowConsumerPolicy,
} from './options.js';

export type { AddOptions, BroadcastOptions, HubCloseOptions, HubMessage, HubOptions, HubStats, SendToOptions, SlowConsumerPolicy };

interface Member {
  id: string;
  data: unknown;
  /** Set once the slow-consumer policy closed it: terminate if the handshake does not finish. */
  slowCloseTimer: NodeJS.Timeout | null;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_HUB_CLOSE_TIMEOUT = 5_000;

export class Hub {
  /** This hub's id among the nodes sharing an adapter. */
  readonly nodeId = randomUUID();
  private readonly sockets = new Map<WebSocket, Member>();
  private readonly ids = new Map<string, WebSocket>();
  private readonly roomIndex = new Rooms<WebSocket>();
  /** The keepalive given to members (`heartbeat`), or null to leave theirs as it is. */
  private readonly keepalive: KeepaliveOptions | null;
  private readonly maxBufferedBytes: number;
  private readonly policy: SlowConsumerPolicy;
  private readonly closeTimeout: number;
  private readonly adapter: HubAdapter | null;
  private readonly onAdapterError: ((error: Error) => void) | undefined;
  private readonly subscriptions = new Set<Promise<void>>();
  private closing: Promise<void> | null = null;
  /** One 'close' listener for all sockets: EventEmitter calls it with `this` = the socket. */
  private readonly onSocketClose: (this: WebSocket) => void;
  private whenEmpty: (() => void) | null = null;
  private readonly counters = {
    messagesIn: 0,
    bytesIn: 0,
    messagesOut: 0,
    bytesOut: 0,
    broadcasts: 0,
    remoteBroadcasts: 0,
    directMessages: 0,
    remoteDirectMessages: 0,
    drops: 0,
    slowConsumerCloses: 0,
    heartbeatTerminations: 0,
    adapterPublished: 0,
    adapterErrors: 0,
  };

  constructor(options: HubOptions = {}) {
    const hub = this;
    this.onSocketClose = function (this: WebSocket): void {
      if (transportOf(this)?.protocol.failure?.code === 'WS_ERR_KEEPALIVE_TIMEOUT') hub.counters.heartbeatTerminations++;
      hub.remove(this);
    };
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.policy = options.slowConsumerPolicy ?? 'close';
    if (this.policy !== 'close' && this.policy !== 'drop') {
      throw new TypeError(`slowConsumerPolicy must be 'close' or 'drop', not ${String(this.policy)}`);
    }
    this.closeTimeout = options.closeTimeout ?? DEFAULT_HUB_CLOSE_TIMEOUT;
    this.keepalive = options.heartbeat === undefined ? null : resolveKeepalive(options.heartbeat);
    this.adapter = options.adapter ?? null;
    this.onAdapterError = options.onAdapterError;
    if (this.adapter !== null) {
      this.adapter.open(this.onAdapterMessage);
      this.trackSubscription(this.adapter, SHARED_CHANNEL);
    }
  }

  /** The number of sockets on this node. */
  get size(): number {
    return this.sockets.size;
  }

  /**
   * Register an open socket; returns its id. It leaves the hub (and its rooms) when it closes.
   * After `close()` the hub takes no new sockets: they are closed with 1001 at once.
   */
  add(ws: WebSocket, options: AddOptions = {}): string {
    const known = this.sockets.get(ws);
    if (known !== undefined) return known.id;
    const id = options.id ?? randomUUID();
    if (this.closing !== null) {
      if (ws.readyState === ReadyState.Open) ws.close(CloseCode.GoingAway, 'server shutting down');
      return id;
    }
    if (this.ids.has(id)) throw new Error(`A socket with id ${JSON.stringify(id)} is already in this hub`);
    if (ws.readyState !== ReadyState.Open) return id;
    this.sockets.set(ws, { id, data: options.data, slowCloseTimer: null });
    this.ids.set(id, ws);
    ws.on('close', this.onSocketClose);
    ws.on('message', this.onSocketMessage);
    const transport = transportOf(ws);
    if (this.keepalive !== null && transport !== null) setKeepalive(transport, this.keepalive);
    // Up to maxBufferedBytes of broadcasts may wait for a slow reader: that alone must not stop
    // us reading it (its own messages, its Close, the heartbeat's sign of life). Replies its own
    // frames cause (pongs, echoes) are still bounded, by READ_PAUSE_THRESHOLD above that.
    if (transport !== null) transport.readPauseThreshold = this.maxBufferedBytes + READ_PAUSE_THRESHOLD;
    return id;
  }

  /** Take a socket out of the hub (and its rooms) without closing it. */
  remove(ws: WebSocket): boolean {
    const member = this.sockets.get(ws);
    if (member === undefined) return false;
    this.sockets.delete(ws);
    this.ids.delete(member.id);
    if (member.slowCloseTimer !== null) clearTimeout(member.slowCloseTimer);
    ws.removeListener('close', this.onSocketClose);
    ws.removeListener('message', this.onSocketMessage);
    const transport = transportOf(ws);
    if (transport !== null) transport.readPauseThreshold = READ_PAUSE_THRESHOLD;
    for (const room of this.roomIndex.leaveAll(ws)) this.roomEmptied(room);
    if (this.whenEmpty !== null && this.sockets.size === 0) this.whenEmpty();
    return true;
  }

  /** Join a room; false if the socket is not in the hub (e.g. it has closed meanwhile). */
  join(ws: WebSocket, room: string): boolean {
    if (!this.sockets.has(ws)) return false;
    if (this.roomIndex.join(ws, room) && this.adapter !== null) {
      this.trackSubscription(this.adapter, roomChannel(room));
    }
    return true;
  }

  leave(ws: WebSocket, room: string): boolean {
    if (!this.roomIndex.has(ws, room)) return false;
    if (this.roomIndex.leave(ws, room)) this.roomEmptied(room);
    return true;
  }

  /** The rooms this socket is in. */
  rooms(ws: WebSocket): string[] {
    return this.roomIndex.roomsOf(ws);
  }

  /** The local members of a room (this node's sockets only). */
  members(room: string): WebSocket[] {
    const members = this.roomIndex.membersOf(room);
    return members === undefined ? [] : Array.from(members);
  }

  get(id: string): WebSocket | undefined {
    return this.ids.get(id);
  }

  idOf(ws: WebSocket): string | undefined {
    return this.sockets.get(ws)?.id;
  }

  /** The `data` given to `add`. */
  data(ws: WebSocket): unknown {
    return this.sockets.get(ws)?.data;
  }

  /**
   * Send `data` to every socket (or every member of `options.room`) on every node, except
   * `options.except`. Encoded once; returns the number of local sockets it was queued on.
   */
  broadcast(data: HubMessage, options: BroadcastOptions = {}): number {
    const frame = encodeMessageFrame(data, options.binary ?? typeof data !== 'string');
    this.counters.broadcasts++;
    const room = options.room;
    const except = options.except;
    let exceptSocket: WebSocket | undefined;
    let exceptId = '';
    if (typeof except === 'string') {
      exceptId = except;
      exceptSocket = this.ids.get(except);
    } else if (except !== undefined) {
      exceptSocket = except;
      exceptId = this.sockets.get(except)?.id ?? '';
    }
    const delivered = this.deliverBroadcast(frame, room, exceptSocket);
    if (this.adapter !== null) {
      this.publish(room === undefined ? SHARED_CHANNEL : roomChannel(room), EnvelopeKind.Broadcast, room ?? '', exceptId, frame);
    }
    return delivered;
  }

  /**
   * Send `data` to the socket with this id, on this node or (through the adapter) another.
   * Returns true if it was queued locally; false if it was forwarded or no such socket is known.
   */
  sendTo(id: string, data: HubMessage, options: SendToOptions = {}): boolean {
    this.counters.directMessages++;
    const frame = encodeMessageFrame(data, options.binary ?? typeof data !== 'string');
    const ws = this.ids.get(id);
    if (ws !== undefined) return this.deliver(ws, frame);
    if (this.adapter !== null) this.publish(SHARED_CHANNEL, EnvelopeKind.Direct, id, '', frame);
    return false;
  }

  /** Resolves once every room subscription asked of the adapter so far is active. */
  async ready(): Promise<void> {
    while (this.subscriptions.size > 0) await Promise.all(this.subscriptions);
  }

  stats(): HubStats {
    return { sockets: this.sockets.size, rooms: this.roomIndex.size, ...this.counters };
  }

  /**
   * Graceful shutdown: take no new sockets, send Close (default 1001 Going Away) to all, wait up
   * to `timeout` for the closing handshakes, terminate the rest. Messages queued before are
   * written before the Close frame, so a client that keeps reading loses none.
   */
  close(options: HubCloseOptions = {}): Promise<void> {
    if (this.closing !== null) return this.closing;
    const code = options.code ?? CloseCode.GoingAway;
    const timeout = options.timeout ?? this.closeTimeout;
    const allClosed = new Promise<void>((resolve) => {
      this.whenEmpty = resolve;
      if (this.sockets.size === 0) resolve();
    });
    for (const ws of Array.from(this.sockets.keys())) {
      if (ws.readyState === ReadyState.Open) ws.close(code, options.reason);
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    this.closing = Promise.race([allClosed, deadline])
      .then(() => {
        clearTimeout(timer);
        for (const ws of this.sockets.keys()) ws.terminate();
        return allClosed;
      })
      .then(() => (this.adapter === null ? undefined : callAdapter(() => this.adapter!.close())))
      .catch((error: unknown) => this.adapterFailed(error));
    return this.closing;
  }

  // --- delivery ------------------------------------------------------------------------------

  private deliverBroadcast(frame: Buffer, room: string | undefined, except: WebSocket | undefined): number {
    let receivers: Iterable<WebSocket>;
    if (room === undefined) {
      receivers = this.sockets.keys();
    } else {
      const members = this.roomIndex.membersOf(room);
      if (members === undefined) return 0;
      receivers = members;
    }
    const frames = new BroadcastFrames(frame);
    const limit = this.maxBufferedBytes - frame.length;
    let delivered = 0;
    for (const ws of receivers) {
      if (ws !== except && this.queue(ws, frames, limit)) delivered++;
    }
    this.counters.messagesOut += delivered;
    return delivered;
  }

  private deliver(ws: WebSocket, frame: Buffer): boolean {
    const queued = this.queue(ws, new BroadcastFrames(frame), this.maxBufferedBytes - frame.length);
    if (queued) this.counters.messagesOut++;
    return queued;
  }

  /**
   * Queue the broadcast on `ws`, unless more than `limit` bytes already wait for it (a slow
   * consumer): the shared frame (plain, or compressed once for all), or the connection's own
   * encoding where it must make one (a client-role socket masks, §5.3; context takeover).
   */
  private queue(ws: WebSocket, frames: BroadcastFrames, limit: number): boolean {
    const buffered = ws.bufferedAmount;
    // An idle socket always takes the message, even one larger than the limit on its own.
    if (buffered !== 0 && buffered > limit) {
      this.slowConsumer(ws);
      return false;
    }
    const transport = transportOf(ws);
    if (transport === null) return false;
    const frame = frames.frameFor(transport);
    if (frame === null) {
      if (ws.readyState !== ReadyState.Open) return false;
      ws.send(frames.payload, { binary: frames.isBinary });
      this.counters.bytesOut += frames.payload.length;
      return true;
    }
    if (!transport.sendEncoded(frame)) return false;
    this.counters.bytesOut += Buffer.isBuffer(frame) ? frame.length : frame.sizeHint;
    return true;
  }

  private slowConsumer(ws: WebSocket): void {
    if (this.policy === 'drop') {
      this.counters.drops++;
      return;
    }
    const member = this.sockets.get(ws);
    if (member === undefined || member.slowCloseTimer !== null) return;
    this.counters.slowConsumerCloses++;
    // Its Close frame waits behind what it has not read, so it may never get it: cut TCP later.
    ws.close(CloseCode.TryAgainLater, 'slow consumer');
    member.slowCloseTimer = setTimeout(() => ws.terminate(), this.closeTimeout);
    member.slowCloseTimer.unref();
  }

  // --- socket events (one listener per hub, shared by all sockets) ---------------------------

  private readonly onSocketMessage = (data: RawData): void => {
    this.counters.messagesIn++;
    this.counters.bytesIn += rawDataLength(data);
  };

  // --- the adapter ---------------------------------------------------------------------------

  private roomEmptied(room: string): void {
    if (this.adapter !== null && this.closing === null) {
      const adapter = this.adapter;
      callAdapter(() => adapter.unsubscribe(roomChannel(room))).catch(this.adapterFailed);
    }
  }

  private trackSubscription(adapter: HubAdapter, channel: string): void {
    const tracked = callAdapter(() => adapter.subscribe(channel)).catch(this.adapterFailed).finally(() => this.subscriptions.delete(tracked));
    this.subscriptions.add(tracked);
  }

  private publish(channel: string, kind: EnvelopeKind, target: string, except: string, frame: Buffer): void {
    const message = encodeEnvelope({ kind, origin: this.nodeId, target, except, frame });
    this.counters.adapterPublished++;
    const adapter = this.adapter!;
    callAdapter(() => adapter.publish(channel, message)).catch(this.adapterFailed);
  }

  private readonly onAdapterMessage = (_channel: string, message: Buffer): void => {
    const envelope = decodeEnvelope(message);
    // Our own broadcasts were delivered locally when they were made.
    if (envelope === null || envelope.origin === this.nodeId || this.closing !== null) return;
    if (envelope.kind === EnvelopeKind.Broadcast) {
      this.counters.remoteBroadcasts++;
      const except = envelope.except === '' ? undefined : this.ids.get(envelope.except);
      this.deliverBroadcast(envelope.frame, envelope.target === '' ? undefined : envelope.target, except);
    } else {
      const ws = this.ids.get(envelope.target);
      if (ws === undefined) return;
      this.counters.remoteDirectMessages++;
      this.deliver(ws, envelope.frame);
    }
  };

  private readonly adapterFailed = (error: unknown): void => {
    this.counters.adapterErrors++;
    try {
      this.onAdapterError?.(error instanceof Error ? error : new Error(String(error)));
    } catch (thrown) {
      // The application's error handler failed too: say so, but never crash the process for it.
      process.emitWarning(`Hub onAdapterError threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`, 'WsmithWarning');
    }
  };
}
